import datetime
import importlib.util
import re
from unittest.mock import patch

import holidays
from freezegun import freeze_time
from lxml import etree

from odoo.tests import Form, TransactionCase, tagged
from odoo.tools import file_path

from odoo.addons.touch_plan import post_init_hook
from odoo.addons.touch_plan.models.touch_plan_occasion import TouchPlanOccasion

D = datetime.date
# the library's English names of Iran's days of mourning
MOURNING = re.compile(r"Martyrdom|Death|Ashura|Tasua|Arbaeen|Uprising")


@tagged("post_install", "-at_install")
class TestHolidaysOutOfTheBox(TransactionCase):
    """A database without demo occasions: holidays come from the library alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        cls.Occasion = cls.env["touch.plan.occasion"].with_context(active_test=False)
        cls.Enrollment = cls.env["touch.plan.enrollment"]
        cls.company = cls.env.company
        cls.saudi_arabia = cls.env.ref("base.sa")
        cls.iran = cls.env.ref("base.ir")
        cls.company.country_id = cls.saudi_arabia
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.holiday_step = cls.lifetime.step_ids.filtered(lambda s: s.timing == "occasion")
        cls.holiday_step.occasion_ids = False
        cls.offset = datetime.timedelta(days=cls.holiday_step.offset_days)
        # as after an install without demo data: no occasion at all (the demo
        # clients' touches are left as they are)
        cls.Occasion.search([]).with_context(touch_plan_occasion_fill=True).unlink()
        cls.country = cls.env["res.country"].create({"name": "Touchland", "code": "TX"})

    def _client(self, name, country=None, **values):
        return self.env["res.partner"].create(
            {
                "name": name,
                "email": f"{name.lower().replace(' ', '.')}@example.com",
                "country_id": country.id if country else False,
                **values,
            }
        )

    def _enroll(self, partners, plan=None):
        enrollments = partners._touch_plan_enroll(plan or self.lifetime)
        enrollments._generate_touches()
        return enrollments

    def _cards(self, enrollment):
        return enrollment.touch_ids.filtered(lambda t: t.step_id == self.holiday_step).sorted(
            "scheduled_date"
        )

    def _library_names(self, code, day):
        return holidays.country_holidays(code, years=day.year, language="en_US").get_list(day)

    # ------------------------------------------------------------------
    # Which occasions are greetings
    # ------------------------------------------------------------------

    def test_mourning_days_get_no_card(self):
        occasions = self.Occasion._fill_from_holidays(self.iran, [2027, 2028])
        greeting = {o.holiday_name: o.greeting for o in occasions}
        for name in (
            "Martyrdom of Imam Ali",
            "Ashura",
            "Tasua",
            "Arbaeen",
            "Death of Prophet Muhammad and Martyrdom of Hasan ibn Ali",
            "Death of Imam Khomeini",
            "Martyrdom of Fatima",
        ):
            self.assertIs(greeting[name], False, f"{name} is a day of mourning")
        for name in ("Nowruz", "Eid al-Fitr", "Eid al-Adha", "Eid al-Ghadir", "Nature's Day"):
            self.assertIs(greeting[name], True, f"{name} is a day to greet on")
        self.assertNotIn("Ramadan", greeting, "Iran's calendar gets no added Islamic days")

        self.env["res.lang"]._activate_lang("ar_001")
        saudi = self.Occasion._fill_from_holidays(self.saudi_arabia, [2027, 2028])
        self.assertEqual(
            sorted(saudi.filtered("greeting").mapped("holiday_name")),
            [
                "Day of Arafah",
                "Eid al-Adha",
                "Eid al-Fitr",
                "Founding Day",
                "Islamic New Year",
                "National Day",
                "Ramadan",
            ],
        )
        self.assertFalse(saudi.filtered(lambda o: not o.greeting))
        ramadan = saudi.filtered(lambda o: o.holiday_name == "Ramadan")
        self.assertEqual(ramadan.date_kind, "per_year")
        # the years asked for (running cycles of the demo clients may have filled others)
        self.assertEqual(
            ramadan.date_ids.filtered(lambda d: d.date.year in (2027, 2028)).mapped("date"),
            [D(2027, 2, 8), D(2028, 1, 28)],
        )
        self.assertEqual(ramadan.with_context(lang="ar_001").name, "رمضان")

        # the admin's choice per occasion stays on a refill
        national_day = saudi.filtered(lambda o: o.holiday_name == "National Day")
        with Form(national_day) as occasion_form:
            occasion_form.greeting = False
        self.Occasion._fill_from_holidays(self.saudi_arabia, [2027, 2028])
        self.assertFalse(national_day.greeting)
        self.assertTrue(
            self.Occasion.create({"name": "Our Anniversary", "month": "5", "day": 4}).greeting
        )

    # ------------------------------------------------------------------
    # Install and enrolment fill the calendars
    # ------------------------------------------------------------------

    @freeze_time("2027-06-01")
    def test_install_fills_the_company_country(self):
        self.Occasion.search([]).with_context(touch_plan_occasion_fill=True).unlink()
        post_init_hook(self.env)
        saudi = self.Occasion.search([("country_id", "=", self.saudi_arabia.id)])
        self.assertTrue(saudi)
        self.assertEqual(saudi.company_id, self.company)
        eid_fitr = saudi.filtered(lambda o: o.holiday_name == "Eid al-Fitr")
        # this year and the next (and those of the demo clients' running cycles)
        self.assertLessEqual({2027, 2028}, set(eid_fitr.date_ids.mapped("year")))
        # a second run finds the calendar filled: nothing is read from the library
        with patch.object(TouchPlanOccasion, "_fill_from_holidays") as fill:
            post_init_hook(self.env)
        fill.assert_not_called()

    @freeze_time("2027-01-10")
    def test_saudi_and_iranian_clients_get_seven_cards(self):
        saudi_client = self._client("Saudi Client", self.saudi_arabia)
        iranian_client = self._client("Iranian Client", self.iran)
        no_country = self._client("Client Without Country")
        enrollments = self._enroll(saudi_client | iranian_client | no_country)
        by_partner = {e.partner_id: e for e in enrollments}

        saudi_cards = self._cards(by_partner[saudi_client])
        self.assertEqual(len(saudi_cards), 7)
        self.assertEqual(
            [card.scheduled_date - self.offset for card in saudi_cards],
            [
                D(2027, 2, 8),  # Ramadan
                D(2027, 2, 22),  # Founding Day
                D(2027, 3, 9),  # Eid al-Fitr
                D(2027, 5, 15),  # Day of Arafah
                D(2027, 5, 16),  # Eid al-Adha
                D(2027, 6, 6),  # Islamic New Year
                D(2027, 9, 23),  # National Day
            ],
        )
        self.assertEqual(
            self._cards(by_partner[no_country]).mapped("scheduled_date"),
            saudi_cards.mapped("scheduled_date"),
            "a client without a country gets the company's holidays",
        )
        iranian_cards = self._cards(by_partner[iranian_client])
        self.assertEqual(len(iranian_cards), 7)
        for card in iranian_cards:
            day = card.scheduled_date - self.offset
            names = self._library_names("IR", day)
            self.assertTrue(names, f"{day} is a holiday in Iran")
            self.assertFalse(
                [name for name in names if MOURNING.search(name)],
                f"no card for a day of mourning ({day}: {names})",
            )
        for enrollment in enrollments:
            self.assertNotIn("Holiday card", enrollment.shortfall_reason or "")
        # both calendars were filled for the years of the cycle, once per country
        iran_occasions = self.Occasion.search([("country_id", "=", self.iran.id)])
        nowruz = iran_occasions.filtered(lambda o: o.holiday_name == "Nowruz")
        self.assertEqual(nowruz.date_ids.mapped("year"), [2027, 2028])
        with patch.object(TouchPlanOccasion, "_fill_from_holidays") as fill:
            more = self._enroll(
                self._client("Second Iranian", self.iran) | self._client("Third", self.iran)
            )
        fill.assert_not_called()
        self.assertEqual(self.Occasion.search([("country_id", "=", self.iran.id)]), iran_occasions)
        self.assertEqual(len(self._cards(more[0])), 7)

    @freeze_time("2027-01-10")
    def test_fill_a_country_at_its_first_client(self):
        egypt = self.env.ref("base.eg")
        self.assertFalse(self.Occasion.search_count([("country_id", "=", egypt.id)]))
        enrollment = self._enroll(self._client("Cairo Client", egypt))
        occasions = self.Occasion.search([("country_id", "=", egypt.id)])
        self.assertIn("Ramadan", occasions.mapped("holiday_name"))
        self.assertTrue(self._cards(enrollment))
        # a country the library does not know keeps what the admin made, without error
        touchland = self._enroll(self._client("Touchland Client", self.country))
        self.assertFalse(self.Occasion.search_count([("country_id", "=", self.country.id)]))
        self.assertFalse(self._cards(touchland))
        self.assertIn("only 0 greeting occasions of Touchland", touchland.shortfall_reason)

    @freeze_time("2027-01-10")
    def test_company_country_set_later_fills_its_calendar(self):
        """An admin sets the company's country after install: its clients
        without a country get that country's holiday cards at once."""
        self.company.country_id = False
        enrollment = self._enroll(self._client("Client Without Country"))
        self.assertFalse(self._cards(enrollment))
        egypt = self.env.ref("base.eg")
        self.company.country_id = egypt
        occasions = self.Occasion.search([("country_id", "=", egypt.id)])
        self.assertIn("Ramadan", occasions.mapped("holiday_name"))
        self.assertEqual(occasions.company_id, self.company)
        cards = self._cards(enrollment)
        self.assertEqual(len(cards), 7)
        self.assertTrue(all(card.state == "planned" for card in cards))
        # a new company with a country gets its calendar too
        jordan = self.env.ref("base.jo")
        other = self.env["res.company"].create({"name": "Amman Office", "country_id": jordan.id})
        self.assertTrue(
            self.Occasion.search_count(
                [("country_id", "=", jordan.id), ("company_id", "=", other.id)]
            )
        )

    @freeze_time("2027-01-10")
    def test_migration_replans_existing_clients(self):
        """An existing database: cards were planned on Iran's days of mourning."""
        occasions = self.Occasion._fill_from_holidays(self.iran, [2027, 2028])
        mourning = occasions.filtered(lambda o: not o.greeting)
        filler = mourning.with_context(touch_plan_occasion_fill=True)
        filler.greeting = True  # as before the upgrade
        enrollment = self._enroll(self._client("Iranian Client", self.iran))
        mourning_days = {
            day + self.offset
            for days in mourning._get_dates(D(2027, 1, 1), D(2028, 12, 31)).values()
            for day in days
        }
        self.assertTrue(mourning_days & set(self._cards(enrollment).mapped("scheduled_date")))
        filler.greeting = False  # the new column, computed at the upgrade
        spec = importlib.util.spec_from_file_location(
            "post_holidays", file_path("touch_plan/migrations/18.0.1.1.0/post-holidays.py")
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        cards = self._cards(enrollment)
        self.assertEqual(len(cards), 7)
        self.assertFalse(mourning_days & set(cards.mapped("scheduled_date")))

    # ------------------------------------------------------------------
    # Editing occasions re-plans running clients
    # ------------------------------------------------------------------

    def _touchland_occasions(self):
        return self.Occasion.create(
            [
                {
                    "name": f"Touchland holiday {month}",
                    "country_id": self.country.id,
                    "date_kind": "fixed",
                    "month": str(month),
                    "day": 15,
                }
                for month in (2, 3, 4, 6, 9, 11, 12)
            ]
        )

    def test_editing_occasions_replans_future_cards(self):
        with freeze_time("2027-01-10"):
            occasions = self._touchland_occasions()
            enrollment = self._enroll(self._client("Touchland Client", self.country))
            cards = self._cards(enrollment)
            self.assertEqual(len(cards), 7)
            self.assertNotIn("Holiday card", enrollment.shortfall_reason or "")
        with freeze_time("2027-02-16"):
            cards[0].write({"state": "done", "done_date": D(2027, 2, 15)})
            february, march, april = occasions[:3]
            # the first card is done: changing its occasion leaves it as it is
            february.day = 20
            # a day of mourning this year: no card on it
            march.greeting = False
            # moved by the admin
            april.day = 25
            cards = self._cards(enrollment)
            self.assertEqual(
                [card.scheduled_date - self.offset for card in cards],
                [D(2027, 2, 15), D(2027, 4, 25), D(2027, 6, 15), D(2027, 9, 15)]
                + [D(2027, 11, 15), D(2027, 12, 15)],
            )
            self.assertEqual(cards[0].state, "done")
            enrollment.invalidate_recordset(["shortfall_reason"])
            self.assertIn(
                "Holiday card: 6 of 7 planned: only 6 greeting occasions of Touchland",
                enrollment.shortfall_reason,
            )
            # a moving occasion added with its date: planned at once
            new = self.Occasion.create(
                {"name": "Touchland Eid", "country_id": self.country.id, "date_kind": "per_year"}
            )
            new.date_ids = [(0, 0, {"date": D(2027, 7, 1)})]
            self.assertIn(
                D(2027, 7, 1) + self.offset, self._cards(enrollment).mapped("scheduled_date")
            )
            enrollment.invalidate_recordset(["shortfall_reason"])
            self.assertNotIn("Holiday card", enrollment.shortfall_reason or "")
            # another occasion on a day of mourning keeps no card that day
            self.Occasion.create(
                {
                    "name": "Day of Mourning",
                    "country_id": self.country.id,
                    "month": "7",
                    "day": 1,
                    "greeting": False,
                }
            )
            self.assertNotIn(
                D(2027, 7, 1) + self.offset, self._cards(enrollment).mapped("scheduled_date")
            )
            # and removing it gives the card back
            self.Occasion.search([("name", "=", "Day of Mourning")]).unlink()
            self.assertIn(
                D(2027, 7, 1) + self.offset, self._cards(enrollment).mapped("scheduled_date")
            )

    # ------------------------------------------------------------------
    # Why a client gets fewer touches
    # ------------------------------------------------------------------

    @freeze_time("2027-01-10")
    def test_shortfall_reasons_and_client_filter(self):
        self.company.country_id = False
        self._touchland_occasions()
        full = self._client("Full Client", self.country)
        self.env["touch.plan.key.date"].create(
            [
                {
                    "partner_id": full.id,
                    "type_id": self.env.ref(xmlid).id,
                    "date": day,
                }
                for xmlid, day in (
                    ("touch_plan.key_date_type_birthday", D(1980, 3, 3)),
                    ("touch_plan.key_date_type_purchase_anniversary", D(2015, 7, 20)),
                )
            ]
        )
        no_country = self._client("Nowhere Client")
        enrollments = self._enroll(full | no_country)
        by_partner = {e.partner_id: e for e in enrollments}
        self.assertIn(
            "Personal occasion card: 2 of 4 planned: only 2 key dates of the client",
            by_partner[full].shortfall_reason,
        )
        self.assertNotIn("Holiday card", by_partner[full].shortfall_reason)
        reason = by_partner[no_country].shortfall_reason
        self.assertIn("Holiday card: 0 of 7 planned: the client has no country", reason)
        self.assertIn("no birthday or other key date known", reason)

        Partner = self.env["res.partner"]
        short = Partner.search([("touch_plan_has_shortfall", "=", True)])
        self.assertIn(no_country, short)
        self.assertIn(full, short)
        self.assertTrue(no_country.touch_plan_has_shortfall)
        self.env["touch.plan.key.date"].create(
            [
                {"partner_id": full.id, "type_id": self.env.ref(xmlid).id, "date": day}
                for xmlid, day in (
                    ("touch_plan.key_date_type_wedding_anniversary", D(2005, 10, 1)),
                    ("touch_plan.key_date_type_passport_expiry", D(2027, 8, 1)),
                )
            ]
        )
        by_partner[full]._generate_touches()
        by_partner[full].invalidate_recordset(["has_shortfall"])
        self.assertFalse(by_partner[full].has_shortfall)
        self.assertNotIn(full, Partner.search([("touch_plan_has_shortfall", "=", True)]))
        self.assertIn(full, Partner.search([("touch_plan_has_shortfall", "=", False)]))

    def test_plan_below_target_warns(self):
        plan = self.env["touch.plan"].create(
            {
                "name": "Short Plan",
                "step_ids": [
                    (0, 0, {"name": "Calls", "kind": "call", "channel": "call", "count": 5})
                ],
            }
        )
        self.assertEqual((plan.step_count, plan.yearly_target), (5, 33))
        arch = etree.fromstring(plan.get_views([(False, "form")])["views"]["form"]["arch"])
        warning = arch.xpath("//div[@name='target_warning']")
        self.assertEqual(len(warning), 1)
        self.assertEqual(warning[0].get("invisible"), "step_count >= yearly_target")
        arch = etree.fromstring(plan.get_views([(False, "list")])["views"]["list"]["arch"])
        step_count = arch.xpath("//field[@name='step_count']")[0]
        self.assertEqual(step_count.get("decoration-warning"), "step_count < yearly_target")

    # ------------------------------------------------------------------
    # What the browser shows
    # ------------------------------------------------------------------

    def test_no_sum_of_days_or_years(self):
        self.assertNotIn("aggregator", self.Occasion.fields_get(["day"])["day"])
        OccasionDate = self.env["touch.plan.occasion.date"]
        self.assertNotIn("aggregator", OccasionDate.fields_get(["year"])["year"])
        self._touchland_occasions()
        groups = self.Occasion.web_read_group(
            [("country_id", "=", self.country.id)], ["day"], ["country_id"]
        )["groups"]
        self.assertEqual(len(groups), 1)
        self.assertNotIn("day", groups[0])

    def test_years_without_thousands_separator(self):
        for model, fields in (
            ("touch.plan.occasion.fill", ("year_from", "year_to")),
            ("touch.plan.export.xlsx", ("year",)),
        ):
            arch = etree.fromstring(
                self.env[model].get_views([(False, "form")])["views"]["form"]["arch"]
            )
            for field in fields:
                node = arch.xpath(f"//field[@name='{field}']")[0]
                self.assertEqual(node.get("options"), "{'enable_formatting': false}")
