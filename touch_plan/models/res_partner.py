from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    key_date_ids = fields.One2many(
        "touch.plan.key.date",
        "partner_id",
        string="Key Dates",
        groups="touch_plan.touch_plan_group_user",
    )
