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
