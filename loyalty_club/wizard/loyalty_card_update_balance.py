from odoo import _, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import float_compare


class LoyaltyCardUpdateBalance(models.TransientModel):
    _inherit = "loyalty.card.update.balance"

    def action_update_card_point(self):
        """On a club card, the new balance is booked in the points ledger by a club
        manager: a rise opens a batch, a fall consumes batches soonest expiry first."""
        club_wizards = self.filtered("card_id.is_club")
        res = True
        if self - club_wizards:
            res = super(LoyaltyCardUpdateBalance, self - club_wizards).action_update_card_point()
        for wizard in club_wizards:
            if (
                float_compare(wizard.new_balance, 0, precision_digits=2) < 0
                or float_compare(wizard.new_balance, wizard.old_balance, precision_digits=2) == 0
            ):
                raise ValidationError(
                    _(
                        "The new balance of club card %(card)s must be positive and "
                        "different from the current balance.",
                        card=wizard.card_id.code,
                    )
                )
            wizard.card_id.check_access("write")
            if not self.env.user.has_group("sales_team.group_sale_manager"):
                raise AccessError(_("Only club managers can change the balance of a club card."))
            wizard.card_id.sudo()._club_adjust_balance(wizard.new_balance, wizard.description)
        return res
