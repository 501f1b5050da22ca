from odoo import fields, models


class LoyaltyMail(models.Model):
    _inherit = "loyalty.mail"

    trigger = fields.Selection(
        selection_add=[
            ("club_upgrade", "Tier Upgrade"),
            ("club_downgrade", "Tier Downgrade"),
            ("club_downgrade_warning", "Before a Downgrade"),
            ("club_points_expiring", "Points About to Expire"),
        ],
        ondelete={
            "club_upgrade": "cascade",
            "club_downgrade": "cascade",
            "club_downgrade_warning": "cascade",
            "club_points_expiring": "cascade",
        },
    )
