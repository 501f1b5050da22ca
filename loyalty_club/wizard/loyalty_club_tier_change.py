from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class LoyaltyClubTierChange(models.TransientModel):
    """A club manager moves members to a tier by hand, with a reason."""

    _name = "loyalty.club.tier.change"
    _description = "Change Club Tier"

    card_ids = fields.Many2many(
        "loyalty.card", string="Members", required=True, domain=[("is_club", "=", True)]
    )
    program_id = fields.Many2one("loyalty.program", compute="_compute_program_id")
    tier_id = fields.Many2one(
        "loyalty.club.tier",
        string="New Tier",
        required=True,
        domain="[('program_id', '=', program_id)]",
    )
    reason = fields.Char(required=True, help="Kept in the members' tier history.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "loyalty.card" and "card_ids" in fields_list:
            values["card_ids"] = [fields.Command.set(self.env.context.get("active_ids", []))]
        return values

    @api.depends("card_ids")
    def _compute_program_id(self):
        for wizard in self:
            wizard.program_id = wizard.card_ids.program_id[:1]

    def action_apply(self):
        self.ensure_one()
        cards = self.card_ids
        cards._club_check_tier_rights()
        cards.check_access("write")
        if cards.program_id != self.tier_id.program_id:
            raise ValidationError(
                _(
                    "Tier %(tier)s does not belong to the club of these members.",
                    tier=self.tier_id.name,
                )
            )
        cards.filtered(lambda c: c.club_tier_id != self.tier_id)._club_set_tier(
            self.tier_id, reason="manual", note=self.reason
        )
        return {"type": "ir.actions.act_window_close"}
