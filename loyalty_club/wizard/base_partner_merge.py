from odoo import models


class MergePartnerAutomatic(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge_loyalty_cards(self, src_partners, dst_partner):
        """Merging members of a club merges their points ledgers too.

        Odoo adds the balances of the merged cards on the card it keeps; the club
        first moves the ledger lines of the other cards to that card, so its
        balance is still the sum of its ledger (and the emptied cards' is zero).
        """
        Card = self.env["loyalty.card"].sudo()
        club_cards = Card.search(
            [("partner_id", "in", src_partners.ids), ("is_club", "=", True)], order="id"
        )
        for program in club_cards.program_id:
            cards = club_cards.filtered(lambda c, p=program: c.program_id == p)
            kept = (
                Card.search(
                    [("partner_id", "=", dst_partner.id), ("program_id", "=", program.id)], limit=1
                )
                or cards[:1]
            )
            merged = cards - kept
            if merged:
                kept._club_lock()
                self.env["loyalty.history"].sudo().search([("card_id", "in", merged.ids)]).write(
                    {"card_id": kept.id}
                )
        return super()._merge_loyalty_cards(src_partners, dst_partner)
