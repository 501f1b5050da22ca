from odoo import fields, models
from odoo.tools import SQL

from ..models.loyalty_club_score import VALUE_CLASSES


class LoyaltyClubTierReport(models.Model):
    """Members per tier at each review and their moves between reviews."""

    _name = "loyalty.club.tier.report"
    _inherit = ["touch.plan.sql.report", "loyalty.club.xlsx.mixin"]
    _description = "Club Tier Distribution and Movements"
    _auto = False
    _order = "date desc, id"
    _rec_name = "partner_id"

    review_id = fields.Many2one("loyalty.club.review", readonly=True)
    date = fields.Date(string="Review Date", readonly=True)
    program_id = fields.Many2one("loyalty.program", string="Club", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    card_id = fields.Many2one("loyalty.card", string="Card", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True)
    tier_before_id = fields.Many2one("loyalty.club.tier", string="Tier Before", readonly=True)
    tier_after_id = fields.Many2one("loyalty.club.tier", string="Tier", readonly=True)
    move = fields.Selection([("up", "Up"), ("down", "Down"), ("same", "Same")], readonly=True)
    member_count = fields.Integer(string="Members", readonly=True)
    up_count = fields.Integer(string="Moved Up", readonly=True)
    down_count = fields.Integer(string="Moved Down", readonly=True)
    qualifying_value = fields.Float(readonly=True, aggregator="avg")
    value_class = fields.Selection(VALUE_CLASSES, string="Value Class", readonly=True)
    rfm_segment_id = fields.Many2one("loyalty.club.segment", string="RFM Segment", readonly=True)

    def _club_xlsx_fields(self):
        return [
            "date",
            "program_id",
            "partner_id",
            "tier_before_id",
            "tier_after_id",
            "move",
            "qualifying_value",
            "value_class",
            "rfm_segment_id",
        ]

    def _select(self):
        return SQL(
            """
            l.id, l.review_id, r.date, r.program_id, r.company_id, l.card_id, l.partner_id,
            l.tier_before_id, l.tier_after_id, l.move, 1 AS member_count,
            (l.move = 'up')::int AS up_count, (l.move = 'down')::int AS down_count,
            l.qualifying_value, l.value_class, l.rfm_segment_id
            """
        )

    def _from(self):
        return SQL("loyalty_club_review_line l JOIN loyalty_club_review r ON r.id = l.review_id")

    def _query(self):
        return SQL("SELECT %s FROM %s", self._select(), self._from())
