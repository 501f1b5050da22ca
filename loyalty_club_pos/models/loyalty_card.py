from odoo import api, fields, models
from odoo.tools import float_round


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    # What the till shows and multiplies by (the tier model is not loaded in the POS)
    club_tier_name = fields.Char(related="club_tier_id.name", string="Tier Name")
    club_multiplier = fields.Float(
        related="club_tier_id.multiplier", string="Tier Multiplier", digits=(16, 2)
    )

    @api.model
    def _load_pos_data_fields(self, config_id):
        return [
            *super()._load_pos_data_fields(config_id),
            "is_club",
            "club_tier_name",
            "club_multiplier",
        ]

    def _club_pos_earned(self, points):
        """The points a club card earns for ``points`` of the program's rules: times the
        member's tier multiplier, rounded down to the cent (as on a sale order)."""
        self.ensure_one()
        multiplier = self.club_tier_id.multiplier if self.club_tier_id else 1.0
        # the rounding of loyalty_club's sale.order._program_check_compute_points
        return float_round(points * multiplier, precision_digits=2, rounding_method="DOWN")
