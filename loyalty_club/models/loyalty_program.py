from odoo import fields, models


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    is_club = fields.Boolean(
        string="Customer Club",
        help="Members of a club program climb tiers, are reviewed periodically "
        "and earn points that expire.",
    )
    club_tier_ids = fields.One2many("loyalty.club.tier", "program_id", string="Tiers")
