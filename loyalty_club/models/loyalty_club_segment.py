from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

SCORE_RANGE_FIELDS = (
    ("recency_min", "recency_max"),
    ("frequency_min", "frequency_max"),
    ("monetary_min", "monetary_max"),
)


class LoyaltyClubSegment(models.Model):
    _name = "loyalty.club.segment"
    _description = "Customer Club RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10, help="Segments are tried in this order; the first one that matches wins."
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to use the segment in every company."
    )
    color = fields.Integer()
    description = fields.Text(
        translate=True, help="How to address this segment: message, channel, offer."
    )
    recency_min = fields.Integer(string="R from", default=1)
    recency_max = fields.Integer(string="R to", default=5)
    frequency_min = fields.Integer(string="F from", default=1)
    frequency_max = fields.Integer(string="F to", default=5)
    monetary_min = fields.Integer(string="M from", default=1)
    monetary_max = fields.Integer(string="M to", default=5)
    score_ids = fields.One2many("loyalty.club.score", "segment_id", string="Scores")
    partner_count = fields.Integer(compute="_compute_partner_count", string="Customers")

    def _compute_partner_count(self):
        counts = dict(
            self.env["loyalty.club.score"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.partner_count = counts.get(segment, 0)

    @api.constrains(*(fname for pair in SCORE_RANGE_FIELDS for fname in pair))
    def _check_ranges(self):
        for segment in self:
            for fmin, fmax in SCORE_RANGE_FIELDS:
                low, high = segment[fmin], segment[fmax]
                if not 1 <= low <= high <= 5:
                    raise ValidationError(
                        _(
                            "Segment %(segment)s: score ranges must satisfy "
                            "1 <= from <= to <= 5 (got %(low)s to %(high)s).",
                            segment=segment.name,
                            low=low,
                            high=high,
                        )
                    )

    def action_view_scores(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_club.loyalty_club_score_action"
        )
        action["domain"] = [("segment_id", "=", self.id)]
        return action
