from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

# the holidays library computes lunar calendars for this range
MIN_YEAR, MAX_YEAR = 1950, 2075
MAX_SPAN = 10


class TouchPlanOccasionFill(models.TransientModel):
    _name = "touch.plan.occasion.fill"
    _description = "Fill Occasions from a Country's Holidays"

    country_id = fields.Many2one(
        "res.country",
        required=True,
        default=lambda self: self.env.company.country_id,
    )
    year_from = fields.Integer(
        string="From Year",
        required=True,
        default=lambda self: fields.Date.context_today(self).year,
    )
    year_to = fields.Integer(
        string="To Year",
        required=True,
        default=lambda self: fields.Date.context_today(self).year + 2,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.constrains("year_from", "year_to")
    def _check_years(self):
        for wizard in self:
            if not (
                MIN_YEAR <= wizard.year_from <= MAX_YEAR and MIN_YEAR <= wizard.year_to <= MAX_YEAR
            ):
                raise ValidationError(
                    _(
                        "Fill years between %(min)s and %(max)s.",
                        min=MIN_YEAR,
                        max=MAX_YEAR,
                    )
                )
            if wizard.year_to < wizard.year_from:
                raise ValidationError(_("The last year comes before the first one."))
            if wizard.year_to - wizard.year_from >= MAX_SPAN:
                raise ValidationError(_("Fill at most %(count)s years at a time.", count=MAX_SPAN))

    def action_fill(self):
        self.ensure_one()
        occasions = self.env["touch.plan.occasion"]._fill_from_holidays(
            self.country_id,
            list(range(self.year_from, self.year_to + 1)),
            company=self.company_id,
        )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "touch_plan.touch_plan_occasion_action"
        )
        action["domain"] = [("id", "in", occasions.ids)]
        action["context"] = {"active_test": False}
        return action
