from odoo import models


class LoyaltyHistory(models.Model):
    _inherit = "loyalty.history"

    _sql_constraints = [
        (
            "club_pos_order_once",
            "EXCLUDE (order_id WITH =, card_id WITH =, move_type WITH =) "
            "WHERE (order_model = 'pos.order' AND is_club AND origin_id IS NULL "
            "AND move_type IN ('issue', 'spend'))",
            "A Point of Sale order records its club points on a card once.",
        ),
    ]
