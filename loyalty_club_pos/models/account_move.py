from odoo import _, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        refunds = posted.filtered(lambda m: m.move_type == "out_refund")
        if refunds:
            refunds._club_pos_take_back_points()
        return posted

    def _club_pos_take_back_points(self):
        """A credit note of an invoiced POS order takes back the club points the order
        earned and gives back what it spent, for the share of the invoice it credits.

        The invoice of a POS refund order is left out: the refund order reversed its
        points when it was paid.
        """
        for move in self.sudo():
            if move.pos_order_ids:
                continue
            for order in move.reversed_entry_id.pos_order_ids:
                order._club_pos_reverse_points(
                    _("Credit note %(move)s", move=move.name), document=move
                )
