import calendar
import datetime
import re
from collections import defaultdict

import holidays
from holidays.groups import IslamicHolidays

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# "Eid al-Fitr (estimated)", "National Day (observed)", "... (observed, estimated)"
QUALIFIER_RE = re.compile(r"\s*\(([^()]*)\)\s*$")
QUALIFIERS = {"estimated", "observed"}
HOLIDAY_SUFFIX = " Holiday"
# years looked at beyond the filled ones to tell a fixed day from a moving one
KIND_LOOKAHEAD_YEARS = 4
# Days of the library that are no occasion to greet a client on: days of
# mourning and remembrance (Iran's Tasua, Ashura, Arbaeen, "Martyrdom of ...",
# "Death of ..."; memorial days elsewhere), and days off without a name of their
# own. Matched on the library's English names.
MOURNING_RE = re.compile(
    r"\b(martyrdom|martyrs?'?|death|passing|ashura|tasua|arbaeen|mourning|remembrance|"
    r"memorial|commemoration|genocide|victims?|massacre|tragedy|holocaust|uprising|"
    r"good friday|all souls)\b",
    re.IGNORECASE,
)
DAY_OFF_RE = re.compile(
    r"^((public|bank|government|additional|special|extra) holiday|day off)$", re.IGNORECASE
)
# Islamic days greeted in these countries that their public calendar leaves
# out (they are no day off): the first day of Ramadan and the Islamic New Year,
# from the library's Islamic calendar. Shia calendars (Iran, Iraq) open
# Muharram with mourning and are not listed.
ISLAMIC_GREETING_DAYS = {
    "Ramadan": ("_add_ramadan_beginning_day", _lt("Ramadan")),
    "Islamic New Year": ("_add_islamic_new_year_day", _lt("Islamic New Year")),
}
ISLAMIC_GREETING_COUNTRIES = {
    "AE",
    "BH",
    "DZ",
    "EG",
    "JO",
    "KW",
    "MA",
    "OM",
    "QA",
    "SA",
    "TN",
    "YE",
}
# fields of an occasion whose change moves the holiday cards planned on it
REPLAN_FIELDS = {"active", "greeting", "date_kind", "month", "day", "country_id", "company_id"}


class IslamicGreetingDays(holidays.HolidayBase, IslamicHolidays):
    """The library's Islamic calendar, for the greeted days of ``ISLAMIC_GREETING_DAYS``."""

    estimated_label = "%s (estimated)"

    def __init__(self, *args, **kwargs):
        IslamicHolidays.__init__(self, show_estimated=True)
        super().__init__(*args, **kwargs)

    def _populate_public_holidays(self):
        for name, (method, _label) in ISLAMIC_GREETING_DAYS.items():
            getattr(self, method)(name)


MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]


class TouchPlanOccasion(models.Model):
    _name = "touch.plan.occasion"
    _description = "Occasion"
    _order = "sequence, name, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    country_id = fields.Many2one(
        "res.country",
        index=True,
        help="The country whose holiday calendar keeps this occasion. "
        "Leave empty for an occasion kept everywhere.",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the occasion with every company.",
    )
    date_kind = fields.Selection(
        [("fixed", "Same Day Every Year"), ("per_year", "Dates per Year")],
        string="Date",
        required=True,
        default="fixed",
        help="Same Day Every Year: a day and a month (New Year's Day, a national day).\n"
        "Dates per Year: the occasion moves, one date per year (Eid al-Fitr, Eid al-Adha, "
        "Nowruz on the March equinox).",
    )
    month = fields.Selection(MONTHS)
    day = fields.Integer(aggregator=None)
    date_ids = fields.One2many("touch.plan.occasion.date", "occasion_id", string="Dates")
    holiday_name = fields.Char(
        string="Holiday Name in Library",
        help="The name of this holiday in the holidays library: filling the country's "
        "occasions again refreshes the occasion of this name.",
    )
    next_date = fields.Date(
        compute="_compute_next_date",
        help="The next date of this occasion, from today.",
    )
    date_count = fields.Integer(compute="_compute_date_count", string="Years Known")
    greeting = fields.Boolean(
        string="Greet Clients",
        compute="_compute_greeting",
        store=True,
        readonly=False,
        help="Holiday cards go out on this occasion. Days of mourning and remembrance "
        "(e.g. Ashura, Tasua, the martyrdom of an Imam) are filled without it: no "
        "card falls on them, even for an occasion on the same day.",
    )
    note = fields.Text(translate=True)

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("date_kind", "month", "day", "date_ids.date", "company_id")
    @api.depends_context("company")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        horizon = today.replace(year=today.year + 2, month=1, day=1)
        dates = self.filtered("id")._get_dates(today, horizon)
        for occasion in self:
            occasion.next_date = (dates.get(occasion.id) or [False])[0]

    @api.depends("holiday_name")
    def _compute_greeting(self):
        for occasion in self:
            occasion.greeting = self._is_greeting_name(occasion.holiday_name)

    @api.depends("date_ids")
    def _compute_date_count(self):
        for occasion in self:
            occasion.date_count = len(occasion.date_ids)

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("date_kind", "month", "day")
    def _check_day(self):
        for occasion in self.filtered(lambda o: o.date_kind == "fixed"):
            if not occasion.month:
                raise ValidationError(
                    _(
                        "The occasion %(name)s falls on the same day every year: "
                        "give it a month and a day.",
                        name=occasion.name,
                    )
                )
            month_label = dict(self._fields["month"]._description_selection(self.env))[
                occasion.month
            ]
            if not 1 <= occasion.day <= 31:
                raise ValidationError(
                    _(
                        "The day of the occasion %(name)s must be between 1 and 31, not %(day)s.",
                        name=occasion.name,
                        day=occasion.day,
                    )
                )
            # A leap year accepts every day that exists (Feb 29 included).
            if occasion.day > calendar.monthrange(2000, int(occasion.month))[1]:
                raise ValidationError(
                    _(
                        "%(month)s %(day)s does not exist: the occasion %(name)s "
                        "cannot fall on it.",
                        month=month_label,
                        day=occasion.day,
                        name=occasion.name,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        occasions = super().create(vals_list)
        if not self.env.context.get("touch_plan_occasion_fill"):
            occasions._replan_holiday_touches()
        return occasions

    def write(self, vals):
        replan = REPLAN_FIELDS & set(vals) and not self.env.context.get("touch_plan_occasion_fill")
        steps = self._get_holiday_steps() if replan else None
        res = super().write(vals)
        if replan:
            (steps | self._get_holiday_steps())._regenerate_future_touches()
        return res

    def unlink(self):
        steps = self._get_holiday_steps()
        res = super().unlink()
        if not self.env.context.get("touch_plan_occasion_fill"):
            steps.exists()._regenerate_future_touches()
        return res

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _is_greeting_name(self, holiday_name):
        """Whether a holiday of the library's name ``holiday_name`` is one to greet on.

        Occasions made by hand (no library name) are.
        """
        if not holiday_name:
            return True
        return not (MOURNING_RE.search(holiday_name) or DAY_OFF_RE.match(holiday_name.strip()))

    def _get_greeting_dates(self, country_ids, date_from, date_to):
        """Return the days to send holiday cards on, per client country.

        :param country_ids: ids of the clients' countries (``False`` for none)
        :return: ``{country_id: [date, ...]}`` sorted, for every country of
            ``country_ids`` and for ``False``: the dates of the greeting
            occasions of ``self`` kept in that country or everywhere, without
            the country's days of mourning (an occasion falling on Ashura gets
            no card that year). A constant number of queries.
        """
        country_ids = set(country_ids) | {False}
        greeting = self.filtered("greeting")
        # a day of mourning of a country, whichever company keeps the occasion
        mourning = self.search(
            [
                ("greeting", "=", False),
                ("country_id", "in", [country_id for country_id in country_ids if country_id]),
            ]
        )
        dates = (greeting | mourning)._get_dates(date_from, date_to)
        kept = defaultdict(set)
        mourned = defaultdict(set)
        for occasion in greeting:
            kept[occasion.country_id.id].update(dates[occasion.id])
        for occasion in mourning:
            mourned[occasion.country_id.id].update(dates[occasion.id])
        return {
            country_id: sorted((kept[country_id] | kept[False]) - mourned[country_id])
            for country_id in country_ids
        }

    def _get_holiday_steps(self):
        """The active steps planning holiday cards on the occasions of ``self``."""
        if not self:
            return self.env["touch.plan.step"]
        return (
            self.env["touch.plan.step"]
            .sudo()
            .search(
                [
                    ("timing", "=", "occasion"),
                    "|",
                    ("occasion_ids", "=", False),
                    ("occasion_ids", "in", self.ids),
                ]
            )
        )

    def _replan_holiday_touches(self):
        """Re-plan the future holiday touches of running enrollments on ``self``.

        Planned touches from today on are replaced; done, skipped and scheduled
        ones stay (set-based: one regeneration for all steps concerned).
        """
        self._get_holiday_steps()._regenerate_future_touches()

    def _get_dates(self, date_from, date_to):
        """Return the dates of the occasions of ``self`` in ``[date_from, date_to]``.

        :return: ``{occasion_id: [datetime.date, ...]}`` sorted, with a key for
            every occasion of ``self`` (an empty list when none falls in the range).
            Fixed occasions on Feb 29 follow the Feb 29 policy of their company
            (or of the current company) in common years. The per-year dates of
            all occasions are read with one query.
        """
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        result = {occasion.id: [] for occasion in self}
        if not self or date_from > date_to:
            return result
        fixed = self.filtered(lambda o: o.date_kind == "fixed" and o.month and o.day)
        for occasion in fixed:
            company = occasion.company_id or self.env.company
            for year in range(date_from.year, date_to.year + 1):
                try:
                    day = company._touch_plan_make_date(year, int(occasion.month), occasion.day)
                except ValueError:
                    continue
                if date_from <= day <= date_to:
                    result[occasion.id].append(day)
        per_year = self.filtered(lambda o: o.date_kind == "per_year")
        if per_year:
            dates = self.env["touch.plan.occasion.date"].search_fetch(
                [
                    ("occasion_id", "in", per_year.ids),
                    ("date", ">=", date_from),
                    ("date", "<=", date_to),
                ],
                ["occasion_id", "date"],
                order="date",
            )
            for occasion_date in dates:
                result[occasion_date.occasion_id.id].append(occasion_date.date)
        for days in result.values():
            days.sort()
        return result

    def _get_next_date(self, date_from):
        """Return the first date of the occasion on or after ``date_from`` (or False)."""
        self.ensure_one()
        date_from = fields.Date.to_date(date_from)
        date_to = datetime.date(date_from.year + 2, 12, 31)
        return (self._get_dates(date_from, date_to)[self.id] or [False])[0]

    # ------------------------------------------------------------------
    # Filling from the holidays library
    # ------------------------------------------------------------------

    @api.model
    def _fill_from_holidays(self, countries, years=None, company=None, replan=True):
        """Create or refresh the occasions of ``countries`` from the holidays library.

        Matches occasions on country, company and library name, so filling
        again updates what exists and never duplicates it. Archived occasions
        stay archived; per-year dates edited by hand are kept for their year.

        :param countries: ``res.country`` recordset (or ids)
        :param years: list of years to fill the per-year dates of (default:
            this year and the next two)
        :param company: ``res.company`` the occasions belong to (default: the
            current company)
        :param replan: re-plan the future holiday touches of running
            enrollments on the filled occasions
        :return: the occasions created or refreshed
        """
        if not isinstance(countries, models.BaseModel):
            countries = self.env["res.country"].browse(countries)
        if not years:
            this_year = fields.Date.context_today(self).year
            years = [this_year, this_year + 1, this_year + 2]
        years = sorted(set(years))
        company = company or self.env.company
        occasions = self.browse()
        for country in countries:
            occasions |= self._fill_country_from_holidays(country, years, company)
        if replan:
            occasions._replan_holiday_touches()
        return occasions

    @api.model
    def _fill_missing(self, needs, replan=True):
        """Fill the calendars of countries from the library, once per country and year.

        :param needs: ``{(res.country, res.company): {year, ...}}``; a
            country (of a company) is filled for a year when occasions were
            filled for it and, if some move every year, have a date that
            year. Countries the library has no calendar for are left alone.
            Three queries whatever the number of countries.
        :param replan: see :meth:`_fill_from_holidays`
        :return: the occasions filled

        Privileged: enrolling a client (a rep's work, or the daily job) fills
        its country's calendar, which only managers may edit.
        """
        supported = holidays.list_supported_countries()
        needs = {key: years for key, years in needs.items() if key[0].code in supported and years}
        if not needs:
            return self.browse()
        Occasion = self.sudo().with_context(active_test=False)
        countries = self.env["res.country"].union(*(key[0] for key in needs))
        companies = self.env["res.company"].union(*(key[1] for key in needs))
        domain = [
            ("holiday_name", "!=", False),
            ("country_id", "in", countries.ids),
            ("company_id", "in", companies.ids),
        ]
        kinds = defaultdict(set)
        for country, company, kind in Occasion._read_group(
            domain, ["country_id", "company_id", "date_kind"]
        ):
            kinds[country, company].add(kind)
        known = defaultdict(set)
        all_years = set().union(*needs.values())
        for country, company, year in (
            self.env["touch.plan.occasion.date"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    ("occasion_id", "any", domain),
                    ("year", "in", sorted(all_years)),
                ],
                ["country_id", "company_id", "year"],
            )
        ):
            known[country, company].add(year)
        occasions = Occasion.browse()
        for (country, company), years in needs.items():
            if not kinds[country, company]:
                missing = years
            elif "per_year" in kinds[country, company]:
                missing = years - known[country, company]
            else:
                continue
            if missing:
                occasions |= Occasion._fill_from_holidays(
                    country, sorted(missing), company=company, replan=False
                )
        if replan:
            occasions._replan_holiday_touches()
        return occasions.with_env(self.env)

    @api.model
    def _fill_for_enrollments(self, enrollments):
        """Fill the calendars of the enrolled clients' countries for their cycles' years.

        A client without a country keeps the occasions of its company's country.
        Called while the touches of ``enrollments`` are being planned, so it
        does not re-plan them.
        """
        needs = defaultdict(set)
        for enrollment in enrollments:
            country = enrollment.partner_id.country_id or enrollment.company_id.country_id
            if country and enrollment.cycle_start and enrollment.cycle_end:
                needs[country, enrollment.company_id].update(
                    range(enrollment.cycle_start.year, enrollment.cycle_end.year + 1)
                )
        return self._fill_missing(needs, replan=False)

    @api.model
    def _fill_company_calendars(self, companies=None):
        """Fill the calendar of each company's country (at install, and when a
        company gets a country).

        For this year, the next one and the years of running cycles.

        :param companies: ``res.company`` recordset (default: every company)
        """
        this_year = fields.Date.context_today(self).year
        if companies is None:
            companies = self.env["res.company"].sudo().search([])
        companies = companies.filtered("country_id")
        if not companies:
            return self.browse()
        needs = defaultdict(set)
        for company in companies:
            needs[company.country_id, company].update((this_year, this_year + 1))
        for company, cycle_start, cycle_end in (
            self.env["touch.plan.enrollment"]
            .sudo()
            ._read_group(
                [("state", "in", ("active", "paused")), ("company_id", "in", companies.ids)],
                ["company_id"],
                ["cycle_start:min", "cycle_end:max"],
            )
        ):
            if company.country_id and cycle_start and cycle_end:
                needs[company.country_id, company].update(
                    range(cycle_start.year, cycle_end.year + 1)
                )
        return self._fill_missing(needs)

    def _fill_country_from_holidays(self, country, years, company):
        reference_years = sorted(
            set(years) | set(range(years[-1] + 1, years[-1] + 1 + KIND_LOOKAHEAD_YEARS))
        )
        library = self._get_library_occasions(country, reference_years)
        wanted = {
            name: by_year
            for name, by_year in library.items()
            if any(year in by_year for year in years)
        }
        if not wanted:
            return self.browse()
        Occasion = self.with_context(active_test=False, touch_plan_occasion_fill=True)
        existing = {
            occasion.holiday_name: occasion
            for occasion in Occasion.search(
                [
                    ("country_id", "=", country.id),
                    ("company_id", "=", company.id),
                    ("holiday_name", "in", list(wanted)),
                ]
            )
        }
        create_vals = []
        for name, by_year in wanted.items():
            days = {
                (day.month, day.day)
                for year in reference_years
                for day, _estimated in by_year.get(year, [])
            }
            every_year_once = all(len(by_year.get(year, [])) == 1 for year in reference_years)
            if every_year_once and len(days) == 1:
                month, day = days.pop()
                vals = {"date_kind": "fixed", "month": str(month), "day": day}
            else:
                vals = {"date_kind": "per_year"}
            occasion = existing.get(name)
            if occasion:
                changed = {key: value for key, value in vals.items() if occasion[key] != value}
                if changed:
                    occasion.write(changed)
                continue
            vals.update(
                name=name,
                holiday_name=name,
                country_id=country.id,
                company_id=company.id,
            )
            create_vals.append(vals)
        occasions = Occasion.browse(occasion.id for occasion in existing.values())
        new_occasions = Occasion.create(create_vals)
        occasions |= new_occasions
        # the library's names in the active languages: all of them for new
        # occasions; for older ones only the languages activated since (still
        # showing the English name), so that a name changed by hand stays
        named = occasions.with_context(lang="en_US").filtered(lambda o: o.name == o.holiday_name)
        if named:
            translations = self._get_library_translations(country, years)
            for occasion in named:
                names = translations.get(occasion.holiday_name) or {}
                if occasion not in new_occasions:
                    names = {
                        lang: name
                        for lang, name in names.items()
                        if occasion.with_context(lang=lang).name == occasion.holiday_name
                    }
                if names:
                    occasion.update_field_translations("name", names)
        self._fill_occasion_dates(
            occasions.filtered(lambda o: o.date_kind == "per_year"), wanted, years
        )
        return occasions.with_env(self.env)

    def _fill_occasion_dates(self, occasions, library, years):
        """Make the per-year dates of ``occasions`` in ``years`` those of the library.

        A year where someone edited a date by hand is left as it is.
        """
        OccasionDate = self.env["touch.plan.occasion.date"].with_context(
            touch_plan_occasion_fill=True
        )
        current = defaultdict(lambda: OccasionDate)
        for occasion_date in OccasionDate.search(
            [("occasion_id", "in", occasions.ids), ("year", "in", years)]
        ):
            current[occasion_date.occasion_id.id, occasion_date.year] |= occasion_date
        to_create = []
        to_unlink = OccasionDate
        for occasion in occasions:
            by_year = library.get(occasion.holiday_name, {})
            for year in years:
                dates = current[occasion.id, year]
                if any(dates.mapped("is_manual")):
                    continue
                wanted = dict(by_year.get(year, []))
                for occasion_date in dates:
                    if occasion_date.date not in wanted:
                        to_unlink |= occasion_date
                    elif occasion_date.is_estimated != wanted[occasion_date.date]:
                        occasion_date.is_estimated = wanted[occasion_date.date]
                known = set(dates.mapped("date"))
                to_create += [
                    {"occasion_id": occasion.id, "date": day, "is_estimated": estimated}
                    for day, estimated in wanted.items()
                    if day not in known
                ]
        to_unlink.unlink()
        OccasionDate.create(to_create)

    @api.model
    def _get_library_occasions(self, country, years):
        """Read the holidays of ``country`` in ``years`` from the holidays library.

        Observed (substitute) days are left out; "X Holiday" days are merged
        into "X"; a holiday of several days counts from its first day (the day
        named exactly "X" when the library has one, e.g. Eid al-Fitr in the
        United Arab Emirates).

        :return: ``{name: {year: [(date, estimated), ...]}}``
        """
        entries = self._get_library_entries(country, years)
        names = {entry["name"] for entry in entries}
        grouped = defaultdict(lambda: defaultdict(dict))  # base -> year -> {date: (exact, est)}
        for entry in entries:
            base = self._get_holiday_base_name(entry["name"], names)
            day = entry["date"]
            grouped[base][day.year][day] = (entry["name"] == base, entry["estimated"])
        result = {}
        for base, by_year in grouped.items():
            result[base] = {}
            for year, days in by_year.items():
                exact = {day: info[1] for day, info in days.items() if info[0]}
                chosen = exact or {day: info[1] for day, info in days.items()}
                result[base][year] = [
                    (day, chosen[day])
                    for day in sorted(chosen)
                    if day - datetime.timedelta(days=1) not in chosen
                ]
        return result

    @api.model
    def _get_library_translations(self, country, years):
        """Return the library's names of the holidays in the installed languages it knows.

        :return: ``{name: {lang_code: translated name}}`` (e.g. Eid al-Fitr in
            Arabic, Nowruz in Persian)
        """
        localized = holidays.list_localized_countries().get(country.code, [])
        installed = [
            code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"
        ]
        languages = {}
        for lang_code in installed:
            if lang_code in localized:
                languages[lang_code] = lang_code
            elif lang_code.split("_")[0] in localized:
                languages[lang_code] = lang_code.split("_")[0]
        result = defaultdict(dict)
        if country.code in ISLAMIC_GREETING_COUNTRIES:
            # the days the library's calendar of the country leaves out: our own terms
            for name, (_method, label) in ISLAMIC_GREETING_DAYS.items():
                for lang_code in installed:
                    result[name][lang_code] = self.with_context(lang=lang_code).env._(label)
        if not languages:
            return dict(result)
        english = self._get_library_entries(country, years)
        names = {entry["name"] for entry in english}
        for lang_code, library_language in languages.items():
            local = holidays.country_holidays(country.code, years=years, language=library_language)
            # the name of the day named exactly like the occasion first; only
            # days of one holiday tell which name is which
            for entry in sorted(english, key=lambda e: (not e["exact"], e["date"])):
                base = self._get_holiday_base_name(entry["name"], names)
                local_names = local.get_list(entry["date"])
                if lang_code in result[base] or not entry["alone"] or len(local_names) != 1:
                    continue
                translated = local_names[0].strip()
                for _qualifier in range(entry["qualifiers"]):
                    translated = QUALIFIER_RE.sub("", translated, count=1)
                if translated:
                    result[base][lang_code] = translated
        return dict(result)

    @api.model
    def _get_library_entries(self, country, years):
        """Return the holidays the library lists, observed days left out.

        :return: list of dicts with ``name`` (qualifiers removed), ``date``,
            ``estimated``, ``index`` (position among the names of that day),
            ``alone`` (the only holiday of that day), ``qualifiers`` (how many
            were removed) and ``exact`` (whether the name is not an "X Holiday"
            day off)
        """
        code = country.code
        if not code or code not in holidays.list_supported_countries():
            raise UserError(
                _(
                    "The holidays library has no calendar for %(country)s: "
                    "add its occasions by hand.",
                    country=country.name,
                )
            )
        localized = holidays.list_localized_countries().get(code, [])
        language = "en_US" if "en_US" in localized else None
        calendar_days = holidays.country_holidays(code, years=years, language=language)
        entries = []
        for day in sorted(calendar_days):
            for index, raw_name in enumerate(calendar_days.get_list(day)):
                name, estimated, observed, qualifiers = self._split_holiday_name(raw_name)
                if not observed and name:
                    entries.append(
                        {
                            "name": name,
                            "date": day,
                            "estimated": estimated,
                            "index": index,
                            "qualifiers": qualifiers,
                            "alone": len(calendar_days.get_list(day)) == 1,
                            "exact": not name.endswith(HOLIDAY_SUFFIX),
                        }
                    )
        if code in ISLAMIC_GREETING_COUNTRIES:
            names = {entry["name"] for entry in entries}
            greeting_days = IslamicGreetingDays(years=years)
            for day in sorted(greeting_days):
                for raw_name in greeting_days.get_list(day):
                    name, estimated, _observed, qualifiers = self._split_holiday_name(raw_name)
                    if name not in names:
                        entries.append(
                            {
                                "name": name,
                                "date": day,
                                "estimated": estimated,
                                "index": 0,
                                "qualifiers": qualifiers,
                                "alone": False,
                                "exact": True,
                            }
                        )
        return entries

    @api.model
    def _get_holiday_base_name(self, name, names):
        """ "Eid al-Fitr Holiday" -> "Eid al-Fitr" (but "Public Holiday" stays)."""
        if name.endswith(HOLIDAY_SUFFIX):
            stem = name[: -len(HOLIDAY_SUFFIX)].strip()
            if stem in names or len(stem.split()) > 1:
                return stem
        return name

    @api.model
    def _split_holiday_name(self, raw_name):
        """Return ``(name, estimated, observed, qualifiers)`` from a library name.

        ``qualifiers`` counts the trailing "(estimated)", "(observed)" groups
        removed from the English name.
        """
        name = raw_name.strip()
        estimated = observed = False
        qualifiers = 0
        while True:
            match = QUALIFIER_RE.search(name)
            if not match:
                break
            words = {word.strip() for word in match.group(1).split(",")}
            if not words <= QUALIFIERS:
                break
            estimated = estimated or "estimated" in words
            observed = observed or "observed" in words
            name = name[: match.start()].strip()
            qualifiers += 1
        return name, estimated, observed, qualifiers
