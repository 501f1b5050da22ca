import calendar
import datetime

from odoo import api, fields, models
from odoo.tools import SQL


class ResCompany(models.Model):
    _inherit = "res.company"

    touch_plan_feb29_policy = fields.Selection(
        [("feb28", "On February 28"), ("mar1", "On March 1")],
        string="Feb 29 in Common Years",
        required=True,
        default="feb28",
        help="Where a yearly date falling on February 29 (a birthday, an anniversary, "
        "an occasion) lands in years that have no February 29.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["touch.plan.occasion"]._fill_company_calendars(companies)
        return companies

    def write(self, vals):
        res = super().write(vals)
        if "touch_plan_feb29_policy" in vals:
            self._touch_plan_recompute_feb29()
        if vals.get("country_id"):
            # the holiday cards of the company's clients follow its new country
            self.env["touch.plan.occasion"]._fill_company_calendars(self)
        return res

    def _touch_plan_recompute_feb29(self):
        """Next dates of the Feb 29 key dates follow a change of the policy.

        The stored dependency covers the contacts of these companies; contacts
        without a company use the current company's policy, so their Feb 29
        dates are recomputed too.
        """
        KeyDate = self.env["touch.plan.key.date"].sudo()
        KeyDate.flush_model(["date", "company_id"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM touch_plan_key_date
                    WHERE EXTRACT(MONTH FROM date) = 2 AND EXTRACT(DAY FROM date) = 29
                      AND (company_id IS NULL OR company_id = ANY(%s))""",
                self.ids,
            )
        )
        key_dates = KeyDate.browse([row[0] for row in rows])
        self.env.add_to_compute(KeyDate._fields["next_date"], key_dates)
        key_dates._recompute_recordset(["next_date"])

    def _touch_plan_make_date(self, year, month, day):
        """Return the date of ``day``/``month`` in ``year``, moving Feb 29 by the policy.

        Uses the policy of the company of ``self`` (or of the environment's
        company when ``self`` is empty). Any other date that does not exist
        raises ``ValueError`` like :class:`datetime.date`.
        """
        if month == 2 and day == 29 and not calendar.isleap(year):
            policy = (self[:1] or self.env.company).touch_plan_feb29_policy
            if policy == "mar1":
                return datetime.date(year, 3, 1)
            return datetime.date(year, 2, 28)
        return datetime.date(year, month, day)
