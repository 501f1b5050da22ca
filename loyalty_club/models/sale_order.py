from collections import defaultdict

from odoo import _, models
from odoo.tools import float_round


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _program_check_compute_points(self, programs):
        """Multiply the points a club earns by the member's tier multiplier."""
        result = super()._program_check_compute_points(programs)
        clubs = programs.filtered("is_club")
        if not clubs or not self.partner_id:
            return result
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .search([("program_id", "in", clubs.ids), ("partner_id", "=", self.partner_id.id)])
        )
        multipliers = {
            card.program_id: card.club_tier_id.multiplier for card in cards if card.club_tier_id
        }
        for program, multiplier in multipliers.items():
            status = result.get(program, {})
            if "points" in status and multiplier != 1.0:
                status["points"] = [
                    float_round(points * multiplier, precision_digits=2, rounding_method="DOWN")
                    for points in status["points"]
                ]
        return result

    def _get_point_changes(self):
        changes = super()._get_point_changes()
        if self.env.context.get("loyalty_club_keep_ledger"):
            # club points are taken back through the ledger (see _action_cancel)
            for coupon in [c for c in changes if c.program_id.is_club]:
                del changes[coupon]
        return changes

    def _action_cancel(self):
        previously_confirmed = self.filtered(lambda s: s.state == "sale")
        club_lines = (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [
                    ("order_model", "=", self._name),
                    ("order_id", "in", previously_confirmed.ids),
                    ("is_club", "=", True),
                    ("move_type", "in", ("issue", "spend")),
                ]
            )
        )
        res = super(SaleOrder, self.with_context(loyalty_club_keep_ledger=True))._action_cancel()
        for order in previously_confirmed:
            lines = club_lines.filtered(lambda h, o=order: h.order_id == o.id)
            if lines:
                order._club_reverse_points(
                    lines, 1.0, _("Order %(order)s cancelled", order=order.name), restore_spent=True
                )
        return res

    def _club_reverse_points(self, lines, ratio, description, restore_spent=False, document=None):
        """Take back ``ratio`` of the points the order issued (minus what was already taken back).

        :param lines: the order's club ledger lines
        :param restore_spent: give back the points the order spent (cancellation)
        :param document: record the reversal lines point to (the order by default)
        """
        self.ensure_one()
        document = document or self
        History = self.env["loyalty.history"].sudo()
        batches = lines.filtered(lambda h: h.issued > 0)
        already = defaultdict(float)
        for reversal in History.search(
            [("origin_id", "in", batches.ids), ("move_type", "=", "reversal")]
        ):
            already[reversal.origin_id] += reversal.used
        to_take = {}
        for batch in batches:
            amount = (
                float_round(batch.issued * min(ratio, 1.0), precision_digits=2) - already[batch]
            )
            if amount > 0:
                to_take[batch] = amount
        if to_take:
            History._club_take_back(to_take, description, order=document)
        if restore_spent:
            spent = [line for line in lines if line.used > 0]
            if spent:
                restored = History.create(
                    [
                        {
                            "card_id": line.card_id.id,
                            "description": description,
                            "issued": line.used,
                            "move_type": "reversal",
                            "origin_id": line.id,
                            "order_model": document._name,
                            "order_id": document.id,
                        }
                        for line in spent
                    ]
                )
                delta = defaultdict(float)
                for line in restored:
                    delta[line.card_id.id] += line.issued
                self.env["loyalty.card"]._club_add_points(delta)
