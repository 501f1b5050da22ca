from collections import defaultdict

from odoo import _, models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        refunds = posted.filtered(lambda m: m.move_type == "out_refund")
        if refunds:
            refunds._club_take_back_points()
        return posted

    def _club_take_back_points(self):
        """A credit note takes back the club points of its sale orders, pro rata of
        the untaxed amount credited (all posted credit notes of the order together)."""
        orders = self.invoice_line_ids.sale_line_ids.order_id.filtered(lambda o: o.state == "sale")
        if not orders:
            return
        club_lines = (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [
                    ("order_model", "=", "sale.order"),
                    ("order_id", "in", orders.ids),
                    ("is_club", "=", True),
                    ("move_type", "=", "issue"),
                    ("issued", ">", 0),
                ]
            )
        )
        if not club_lines:
            return
        credited = defaultdict(float)
        refund_lines = orders.order_line.invoice_lines.filtered(
            lambda line: line.move_id.move_type == "out_refund" and line.move_id.state == "posted"
        )
        for line in refund_lines:
            for order in line.sale_line_ids.order_id:
                credited[order] += line.price_subtotal
        for move in self:
            for order in move.invoice_line_ids.sale_line_ids.order_id & orders:
                lines = club_lines.filtered(lambda h, o=order: h.order_id == o.id)
                if not lines or not order.amount_untaxed:
                    continue
                order._club_reverse_points(
                    lines,
                    credited[order] / order.amount_untaxed,
                    _("Credit note %(move)s", move=move.name),
                    document=move,
                )
