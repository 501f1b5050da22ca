from odoo import fields, models


class TouchPlanEnrollment(models.Model):
    _inherit = "touch.plan.enrollment"

    club_rule_id = fields.Many2one(
        "loyalty.club.plan.rule",
        string="Moved by Rule",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="The customer club plan rule (RFM segment or tier) that created this enrollment.",
    )
