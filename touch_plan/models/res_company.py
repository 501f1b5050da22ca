import calendar
import datetime

from odoo import fields, models


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
