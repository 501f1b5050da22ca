from odoo import _, api, fields, models


class TouchPlanOccasionDate(models.Model):
    _name = "touch.plan.occasion.date"
    _description = "Occasion Date"
    _order = "date, id"
    _rec_name = "occasion_id"

    occasion_id = fields.Many2one(
        "touch.plan.occasion", required=True, ondelete="cascade", index=True
    )
    date = fields.Date(required=True, index=True)
    year = fields.Integer(compute="_compute_year", store=True, aggregator=None)
    is_estimated = fields.Boolean(
        string="Estimated",
        help="The holidays library computed this date from the lunar calendar: the "
        "authorities may announce it a day earlier or later. Correct it by hand then.",
    )
    is_manual = fields.Boolean(
        string="Edited by Hand",
        help="Set when someone changes the date: filling the country's occasions "
        "again keeps this date instead of the library's one.",
    )
    country_id = fields.Many2one(related="occasion_id.country_id", store=True)
    company_id = fields.Many2one(related="occasion_id.company_id", store=True)

    _sql_constraints = [
        (
            "occasion_date_uniq",
            "unique (occasion_id, date)",
            "An occasion cannot have the same date twice.",
        ),
    ]

    @api.depends("date")
    def _compute_year(self):
        for occasion_date in self:
            occasion_date.year = occasion_date.date.year if occasion_date.date else 0

    @api.depends("occasion_id.name", "date")
    def _compute_display_name(self):
        for occasion_date in self:
            occasion_date.display_name = _(
                "%(occasion)s %(year)s",
                occasion=occasion_date.occasion_id.name or "",
                year=occasion_date.year or "",
            )

    @api.model_create_multi
    def create(self, vals_list):
        by_hand = not self.env.context.get("touch_plan_occasion_fill")
        if by_hand:
            vals_list = [dict(vals, is_manual=True) for vals in vals_list]
        occasion_dates = super().create(vals_list)
        if by_hand:
            occasion_dates.occasion_id._replan_holiday_touches()
        return occasion_dates

    def write(self, vals):
        by_hand = not self.env.context.get("touch_plan_occasion_fill")
        if "date" in vals and by_hand:
            vals = dict(vals, is_manual=True, is_estimated=False)
        occasions = self.occasion_id
        res = super().write(vals)
        if by_hand and {"date", "occasion_id"} & set(vals):
            (occasions | self.occasion_id)._replan_holiday_touches()
        return res

    def unlink(self):
        occasions = self.occasion_id
        res = super().unlink()
        if not self.env.context.get("touch_plan_occasion_fill"):
            occasions.exists()._replan_holiday_touches()
        return res
