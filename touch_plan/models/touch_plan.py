from odoo import fields, models


class TouchPlan(models.Model):
    _name = "touch.plan"
    _description = "Touch Plan"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [
            ("lifetime", "Lifetime Clients"),
            ("advocate", "Advocates"),
            ("nurture", "Lead Nurture"),
            ("custom", "Custom"),
        ],
        required=True,
        default="custom",
        tracking=True,
    )
    yearly_target = fields.Integer(
        string="Touches per Year",
        default=33,
        help="How many touches each enrolled client should receive per cycle.",
    )
    description = fields.Html(
        translate=True,
        help="What of value this plan gives its clients (market reports, advice, ...).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
