from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    touch_plan_feb29_policy = fields.Selection(
        related="company_id.touch_plan_feb29_policy", readonly=False
    )
