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
        """Club balances move through their ledger (the order's history lines, and
        the reversals of :meth:`_action_cancel`), never by these raw changes."""
        changes = super()._get_point_changes()
        for coupon in [c for c in changes if c.program_id.is_club]:
            del changes[coupon]
        return changes

    def _add_loyalty_history_lines(self):
        """The order's points go to the club ledger as the club's own operation: the
        user confirming the order may write it, the ledger lines are written as
        superuser (see ``loyalty.history._club_check_ledger_access``)."""
        self.check_access("write")
        return super(SaleOrder, self.sudo())._add_loyalty_history_lines()

    def action_confirm(self):
        res = super().action_confirm()
        # spend basis: the order that crosses a threshold counts once it is confirmed
        cards = self._club_member_cards().filtered(
            lambda c: c.program_id.club_tier_basis == "spend"
        )
        cards._club_check_tier_upgrade()
        return res

    def _club_member_cards(self):
        """Club cards of the orders' customers (their commercial partner's cards)."""
        partners = self.partner_id.commercial_partner_id | self.partner_id
        return (
            self.env["loyalty.card"]
            .sudo()
            .search([("is_club", "=", True), ("partner_id", "in", partners.ids)])
        )

    def _club_order_lines(self):
        """The club ledger lines the orders wrote when confirmed (not their reversals)."""
        return (
            self.env["loyalty.history"]
            .sudo()
            .search(
                [
                    ("order_model", "=", self._name),
                    ("order_id", "in", self.ids),
                    ("is_club", "=", True),
                    ("origin_id", "=", False),
                    ("move_type", "in", ("issue", "spend")),
                ],
                order="id",
            )
        )

    def _action_cancel(self):
        previously_confirmed = self.filtered(lambda s: s.state == "sale")
        res = super(SaleOrder, self.with_context(loyalty_club_keep_ledger=True))._action_cancel()
        club_lines = previously_confirmed._club_order_lines()
        for order in previously_confirmed:
            lines = club_lines.filtered(lambda h, o=order: h.order_id == o.id)
            if lines:
                order._club_reverse_points(
                    lines, 1.0, _("Order %(order)s cancelled", order=order.name), restore_spent=True
                )
        return res

    def _club_reverse_points(self, lines, ratio, description, restore_spent=False, document=None):
        """Reverse the order's club lines, each at most for what is left of it.

        Spent points are given back first (cancellation), then ``ratio`` of the
        points each line issued is taken back, minus what earlier take-backs of that
        line took, and never more than what is left of it (issued minus taken back
        or expired) nor than the card's balance. Cancelling, confirming again and
        cancelling again therefore reverses every line once.

        :param lines: the order's club ledger lines (see :meth:`_club_order_lines`)
        :param ratio: share of the issued points to take back in all (1.0: all)
        :param restore_spent: give back the points the order spent (cancellation)
        :param document: record the reversal lines point to (the order by default)
        """
        self.ensure_one()
        document = document or self
        History = self.env["loyalty.history"].sudo()
        lines = History.browse(lines.ids).sorted("id")
        if restore_spent:
            History._club_give_back(lines.filtered("used"), description, order=document)
        batches = lines.filtered("issued")
        taken = defaultdict(float)
        for reversal in History.search(
            [("origin_id", "in", batches.ids), ("move_type", "=", "reversal"), ("used", ">", 0)]
        ):
            taken[reversal.origin_id.id] += reversal.used
        to_take = {}
        for batch in batches:
            amount = (
                float_round(batch.issued * min(ratio, 1.0), precision_digits=2) - taken[batch.id]
            )
            if amount > 0:
                to_take[batch] = amount
        if to_take:
            History._club_take_back(to_take, description, order=document)
