import datetime
import re

from odoo import _, api, fields, models, modules
from odoo.exceptions import ValidationError
from odoo.tools import SQL, split_every
from odoo.tools.misc import format_date

# "--03-14" (ISO 8601 / vCard without year), "14/03", "14.03", "3-14", "14 03"
YEARLESS_RE = re.compile(r"^\s*(--\d{1,2}-?\d{1,2}|\d{1,2}\s*[/.\- ]\s*\d{1,2})\s*$")


class TouchPlanKeyDate(models.Model):
    _name = "touch.plan.key.date"
    _description = "Key Date"
    _order = "next_date, id"
    _rec_name = "type_id"

    partner_id = fields.Many2one(
        "res.partner", string="Contact", required=True, ondelete="cascade", index=True
    )
    type_id = fields.Many2one(
        "touch.plan.key.date.type", string="Type", required=True, ondelete="restrict", index=True
    )
    date = fields.Date(
        required=True,
        help="The full date, with its year: the birth date, the purchase date, the expiry date.",
    )
    yearly = fields.Boolean(related="type_id.yearly")
    next_date = fields.Date(
        string="Next Occurrence",
        compute="_compute_next_date",
        store=True,
        help="The next time this date comes round, from today (Feb 29 moved by the "
        "company's policy in common years). Empty for a date that has passed and "
        "does not recur.",
    )
    note = fields.Char()
    company_id = fields.Many2one(related="partner_id.company_id", store=True, index=True)
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    color = fields.Integer(related="type_id.color")

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------

    @api.depends("date", "type_id.yearly", "partner_id.company_id.touch_plan_feb29_policy")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        for key_date in self:
            key_date.next_date = key_date._next_occurrence(today)

    def _next_occurrence(self, date_from):
        self.ensure_one()
        if not self.date:
            return False
        if not self.type_id.yearly:
            return self.date if self.date >= date_from else False
        company = self.partner_id.company_id or self.env.company
        year = max(date_from.year, self.date.year)
        for candidate_year in (year, year + 1):
            day = company._touch_plan_make_date(candidate_year, self.date.month, self.date.day)
            if day >= date_from and day > self.date:
                return day
        return False

    # ------------------------------------------------------------------
    # Constraints
    # ------------------------------------------------------------------

    @api.constrains("partner_id", "type_id")
    def _check_one_yearly_date(self):
        yearly = self.filtered("type_id.yearly")
        if not yearly:
            return
        duplicates = self._read_group(
            [("partner_id", "in", yearly.partner_id.ids), ("type_id", "in", yearly.type_id.ids)],
            ["partner_id", "type_id"],
            having=[("__count", ">", 1)],
        )
        if duplicates:
            partner, date_type = duplicates[0]
            raise ValidationError(
                _(
                    "%(partner)s already has a %(type)s date: a yearly date is kept once "
                    "per contact.",
                    partner=partner.display_name,
                    type=date_type.name,
                )
            )

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _parse_date_text(self, text):
        """Turn a key date typed or imported as text into a date.

        Accepts ISO dates (1980-03-14) and the user's language date format.
        Raises a ``ValidationError`` naming the value when it has no year
        ("14/03", "--03-14") or is not a date that exists.
        """
        value = (text or "").strip()
        if not value:
            return False
        if YEARLESS_RE.match(value):
            raise ValidationError(
                _(
                    "The key date %(value)s has no year. Enter the full date, "
                    "e.g. %(example)s: the year tells the age or the anniversary.",
                    value=value,
                    example=format_date(self.env, datetime.date(1980, 3, 14)),
                )
            )
        try:
            return fields.Date.to_date(value)
        except ValueError:
            pass
        lang = self.env["res.lang"]._get_data(code=self.env.lang or "en_US")
        if lang and lang.date_format:
            try:
                return datetime.datetime.strptime(value, lang.date_format).date()
            except ValueError:
                pass
        raise ValidationError(
            _(
                "%(value)s is not a date that exists. Enter a full date, e.g. %(example)s.",
                value=value,
                example=format_date(self.env, datetime.date(1980, 3, 14)),
            )
        )

    @api.model
    def _get_occurrences(self, partners, key_date_types, date_from, date_to):
        """Return when the key dates of ``partners`` fall in ``[date_from, date_to]``.

        Yearly types (birthday, anniversaries) occur every year after their
        date (the first birthday, not the birth); other types (passport or
        contract expiry) occur once, on their date. Feb 29 moves to Feb 28 or
        Mar 1 in common years following the policy of the partner's company
        (or of the current company).
        Offsets are the caller's business.

        :param partners: ``res.partner`` recordset
        :param key_date_types: ``touch.plan.key.date.type`` recordset; empty
            means every active type
        :return: ``{partner_id: [(key_date_type_id, datetime.date), ...]}``
            sorted by date, with a key for every partner of ``partners``.
            Read with a constant number of queries whatever the number of
            partners.
        """
        date_from = fields.Date.to_date(date_from)
        date_to = fields.Date.to_date(date_to)
        result = {partner.id: [] for partner in partners}
        if not partners or date_from > date_to:
            return result
        domain = [("partner_id", "in", partners.ids)]
        if key_date_types:
            domain.append(("type_id", "in", key_date_types.ids))
        else:
            domain.append(("type_id.active", "=", True))
        # tens of thousands of key dates for a large enrolment: read as rows (the
        # access rules of the search kept), not as records field by field
        self.flush_model(["partner_id", "type_id", "date"])
        query = self._search(domain)
        rows = self.env.execute_query(
            query.select(
                *(SQL.identifier(self._table, name) for name in ("partner_id", "type_id", "date"))
            )
        )
        yearly = {
            key_type.id: key_type.yearly
            for key_type in self.env["touch.plan.key.date.type"].browse({row[1] for row in rows})
        }
        companies = {partner.id: partner.company_id for partner in partners}
        # the date of a day in a year, per company (its Feb 29 policy)
        made = {}
        for partner_id, type_id, date in rows:
            if not yearly[type_id]:
                if date_from <= date <= date_to:
                    result[partner_id].append((type_id, date))
                continue
            company = companies[partner_id] or self.env.company
            for year in range(max(date_from.year, date.year), date_to.year + 1):
                key = (company.id, year, date.month, date.day)
                if key not in made:
                    made[key] = company._touch_plan_make_date(year, date.month, date.day)
                occurrence = made[key]
                if date_from <= occurrence <= date_to and occurrence > date:
                    result[partner_id].append((type_id, occurrence))
        for occurrences in result.values():
            occurrences.sort(key=lambda occurrence: (occurrence[1], occurrence[0]))
        return result

    @api.model
    def _cron_update_next_date(self, batch_size=1000):
        """Move the next occurrence of key dates that have passed to the next year.

        Expiry dates that have passed get no next occurrence.
        """
        today = fields.Date.context_today(self)
        passed_ids = self.search([("next_date", "<", today)]).ids
        done = 0
        for batch_ids in split_every(batch_size, passed_ids):
            batch = self.browse(batch_ids)
            self.env.add_to_compute(self._fields["next_date"], batch)
            batch._recompute_recordset(["next_date"])
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(passed_ids) - done)
            if not modules.module.current_test:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return True
