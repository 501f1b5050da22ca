from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class LoyaltyClubTier(models.Model):
    _name = "loyalty.club.tier"
    _description = "Club Tier"
    _order = "program_id, sequence, threshold, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    program_id = fields.Many2one(
        "loyalty.program", required=True, ondelete="cascade", domain=[("is_club", "=", True)]
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    threshold = fields.Float(
        required=True,
        help="Qualifying points (or spend) in the evaluation window needed to hold this tier.",
    )
    multiplier = fields.Float(
        string="Earning Multiplier",
        default=1.0,
        help="Points earned by members of this tier are multiplied by this factor.",
    )
    pricelist_id = fields.Many2one("product.pricelist", string="Pricelist")
    benefits = fields.Html(translate=True)
    color = fields.Integer()
    member_count = fields.Integer(compute="_compute_member_count", string="Members")

    def _compute_member_count(self):
        counts = dict(
            self.env["loyalty.card"]._read_group(
                [("club_tier_id", "in", self.ids)], ["club_tier_id"], ["__count"]
            )
        )
        for tier in self:
            tier.member_count = counts.get(tier, 0)

    @api.constrains("threshold", "multiplier")
    def _check_values(self):
        for tier in self:
            if tier.threshold < 0:
                raise ValidationError(
                    _("The threshold of tier %(tier)s cannot be negative.", tier=tier.name)
                )
            if tier.multiplier < 0:
                raise ValidationError(
                    _(
                        "The earning multiplier of tier %(tier)s cannot be below zero.",
                        tier=tier.name,
                    )
                )

    @api.constrains("threshold", "sequence", "program_id")
    def _check_threshold_order(self):
        for program in self.program_id:
            tiers = program.club_tier_ids.sorted(lambda t: (t.sequence, t.id))
            for lower, higher in zip(tiers, tiers[1:], strict=False):
                if higher.threshold <= lower.threshold:
                    raise ValidationError(
                        _(
                            "Tier thresholds must rise with the tier order: %(higher)s "
                            "(%(higher_threshold)s) comes after %(lower)s "
                            "(%(lower_threshold)s) and needs a higher threshold.",
                            higher=higher.name,
                            higher_threshold=higher.threshold,
                            lower=lower.name,
                            lower_threshold=lower.threshold,
                        )
                    )
