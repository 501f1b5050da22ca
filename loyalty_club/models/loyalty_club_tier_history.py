from odoo import fields, models

REASONS = [
    ("review", "Review"),
    ("upgrade", "Threshold Reached"),
    ("manual", "Manual"),
    ("downgrade", "Downgrade"),
]


class LoyaltyClubTierHistory(models.Model):
    _name = "loyalty.club.tier.history"
    _description = "Club Tier Change"
    _order = "date desc, id desc"

    card_id = fields.Many2one(
        "loyalty.card", string="Member Card", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(related="card_id.partner_id", store=True, string="Member")
    program_id = fields.Many2one(related="card_id.program_id", store=True, string="Club")
    company_id = fields.Many2one(related="card_id.company_id", store=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    tier_before_id = fields.Many2one("loyalty.club.tier", string="From Tier", ondelete="set null")
    tier_after_id = fields.Many2one("loyalty.club.tier", string="To Tier", ondelete="set null")
    reason = fields.Selection(REASONS, required=True, default="manual")
    qualifying_value = fields.Float(string="Qualifying Value")
    review_id = fields.Many2one("loyalty.club.review", ondelete="set null", index="btree_not_null")
    note = fields.Char()
