from collections import defaultdict

from odoo import _, models
from odoo.tools import float_compare, float_round

PRECISION = 2
REFUND_STATES = ("paid", "done", "invoiced")


class PosOrder(models.Model):
    _inherit = "pos.order"

    # ------------------------------------------------------------------
    # The POS calls: points go through the club's ledger, once
    # ------------------------------------------------------------------
    def confirm_coupon_programs(self, coupon_data):
        """Club cards get the order's points from the club ledger, not by adding the
        points the POS sends to the balance (``pos_loyalty`` does that first and writes
        the ledger only with a second call the POS does not wait for).

        The points of club programs are taken out before Odoo confirms the order's
        coupons (new cards are created, reward lines linked to their card), then written
        as ledger lines by :meth:`_club_pos_record_points`, which does nothing for a card
        whose points this order already recorded: the call can be repeated.
        """
        coupon_data = {int(key): vals for key, vals in coupon_data.items()}
        self._check_existing_loyalty_cards(coupon_data)
        program_ids = {vals.get("program_id") for vals in coupon_data.values()}
        club_ids = set(
            self.env["loyalty.program"].sudo().browse(program_ids).filtered("is_club").ids
        )
        club_points = {}  # {coupon key: net points sent by the POS}
        for key, vals in coupon_data.items():
            if vals.get("program_id") in club_ids:
                club_points[key] = vals.get("points") or 0.0
                vals["points"] = 0.0
        result = super().confirm_coupon_programs(coupon_data)
        if not club_points:
            return result
        new_ids = {
            update["old_id"]: update["id"]
            for update in result.get("coupon_updates", [])
            if update["old_id"] != update["id"]
        }
        if any(key < 0 and key not in new_ids for key in club_points):
            # cards of programs that are not nominative are not returned to the POS
            created = (
                self.env["loyalty.card"]
                .sudo()
                .search([("source_pos_order_id", "=", self.id), ("is_club", "=", True)])
            )
            for key in [k for k in club_points if k < 0 and k not in new_ids]:
                card = created.filtered(
                    lambda c, k=key: c.program_id.id == coupon_data[k]["program_id"]
                )[:1]
                if card:
                    new_ids[key] = card.id
        net_by_card = defaultdict(float)
        for key, points in club_points.items():
            card_id = new_ids.get(key, key)
            if card_id > 0:
                net_by_card[card_id] += points
        cards = self._club_pos_record_points(net_by_card)
        balances = {card.id: card.points for card in cards}
        for update in result.get("coupon_updates", []):
            if update["id"] in balances:
                update["points"] = balances[update["id"]]
        return result

    def add_loyalty_history_lines(self, coupon_data, coupon_updates):
        """Club cards: the confirmation wrote the ledger already (nothing is written
        twice); when it was lost, this call records the order's points the same way."""
        id_mapping = {int(item["old_id"]): int(item["id"]) for item in coupon_updates}
        card_ids = {
            id_mapping.get(int(coupon["card_id"])) or int(coupon["card_id"])
            for coupon in coupon_data
        }
        clubs = (
            self.env["loyalty.card"]
            .sudo()
            .browse([card_id for card_id in card_ids if card_id > 0])
            .exists()
            .filtered("is_club")
        )
        others, net_by_card = [], defaultdict(float)
        for coupon in coupon_data:
            card_id = id_mapping.get(int(coupon["card_id"])) or int(coupon["card_id"])
            if card_id in clubs.ids:
                net_by_card[card_id] += (coupon.get("won") or 0.0) - (coupon.get("spent") or 0.0)
            else:
                others.append(coupon)
        for order in self:
            order._club_pos_record_points(net_by_card)
        return super().add_loyalty_history_lines(others, coupon_updates)

    def _club_pos_record_points(self, net_by_card):
        """Write what the order earned and spent on club cards as two ledger lines.

        What the order spent is the points cost of its reward lines on the card (at
        least what the POS sent as a net loss); what it earned is the rest of the net
        points the POS sent, times the member's tier multiplier. The earned points are
        a batch with the club's expiry, the spent points consume batches soonest expiry
        first, and the card's balance follows the ledger
        (``loyalty.card._club_sync_points``). A card whose points this order already
        recorded is left alone, so lost or repeated POS calls record them once.

        Privileged helper: the POS calls it for a cashier, who may not write ledgers.

        :param net_by_card: ``{card_id: earned minus spent points, as the POS computed
            them without tier multipliers}``
        :return: the club cards concerned, with their balance up to date
        """
        self.ensure_one()
        History = self.env["loyalty.history"].sudo()
        cards = (
            self.env["loyalty.card"]
            .sudo()
            .browse([card_id for card_id in net_by_card if card_id > 0])
            .exists()
            .filtered("is_club")
        )
        if not cards:
            return cards
        if self.lines and all(line.refunded_orderline_id for line in self.lines):
            # a refund earns and spends nothing: it reverses the orders it returns when
            # it is paid (_club_pos_reverse_points); the POS counts the cost of the
            # reward lines it returns as spent again
            return cards
        cards._club_lock()
        recorded = History.search(
            [
                ("order_model", "=", self._name),
                ("order_id", "=", self.id),
                ("card_id", "in", cards.ids),
                ("origin_id", "=", False),
                ("move_type", "in", ("issue", "spend")),
            ]
        ).card_id
        # reward lines returned by this order (a refund) are reversed by the refund
        # itself (_club_pos_reverse_points): the POS counts their cost as spent again
        cost, returned = defaultdict(float), defaultdict(float)
        for line in self.lines.filtered(lambda line: line.is_reward_line and line.coupon_id):
            if line.refunded_orderline_id:
                returned[line.coupon_id.id] += line.points_cost
            else:
                cost[line.coupon_id.id] += line.points_cost
        description = _("Onsite %(order)s", order=self.display_name)
        vals_list = []
        for card in cards - recorded:
            net = net_by_card[card.id] + returned[card.id]
            spent = round(max(cost[card.id], -net, 0.0), PRECISION)
            earned = card._club_pos_earned(max(net + spent, 0.0))
            base = {
                "card_id": card.id,
                "order_model": self._name,
                "order_id": self.id,
                "description": description,
            }
            if float_compare(earned, 0, precision_digits=PRECISION) > 0:
                vals_list.append({**base, "issued": earned, "used": 0.0, "move_type": "issue"})
            if float_compare(spent, 0, precision_digits=PRECISION) > 0:
                vals_list.append({**base, "issued": 0.0, "used": spent, "move_type": "spend"})
        if vals_list:
            History.create(vals_list)
        cards.invalidate_recordset(["points"])
        return cards

    # ------------------------------------------------------------------
    # Paid orders: refunds and spend-based tiers
    # ------------------------------------------------------------------
    def action_pos_order_paid(self):
        res = super().action_pos_order_paid()
        self._club_pos_after_paid()
        return res

    def _club_pos_after_paid(self):
        """A paid refund takes back the points of the orders it refunds; a paid order
        may lift its customer to a tier of a spend-based club."""
        for order in self:
            # as superuser: the cashier paying a refund may not read invoices or ledgers
            refunded = order.sudo().lines.refunded_orderline_id.order_id
            for original in refunded:
                original._club_pos_reverse_points(
                    _("Refund %(order)s", order=order.display_name), document=order
                )
        partners = self.partner_id.commercial_partner_id | self.partner_id
        if partners:
            cards = (
                self.env["loyalty.card"]
                .sudo()
                .search(
                    [
                        ("is_club", "=", True),
                        ("partner_id", "in", partners.ids),
                        ("program_id.club_tier_basis", "=", "spend"),
                    ]
                )
            )
            cards._club_check_tier_upgrade()

    def _club_pos_refunded_shares(self):
        """How much of the order was refunded, over all its paid refunds and the posted
        credit notes of its invoice: ``(share of what it earned, share of what it spent)``.

        Earned points follow the untaxed amount of the order's sold lines (reward
        lines left out) that refund orders returned; spent points follow the points
        cost of the reward lines they returned. A credit note of the order's invoice
        counts for the share of the invoice's untaxed amount it credits, on both.
        """
        self.ensure_one()
        sold = self.lines.filtered(lambda line: not line.is_reward_line)
        rewards = self.lines.filtered("is_reward_line")
        refund_lines = self.lines.refund_orderline_ids.filtered(
            lambda line: line.order_id.state in REFUND_STATES
        )
        earned_share = spent_share = 0.0
        sold_amount = sum(sold.mapped("price_subtotal"))
        if sold_amount:
            returned = -sum(
                refund_lines.filtered(lambda r: r.refunded_orderline_id in sold).mapped(
                    "price_subtotal"
                )
            )
            earned_share += returned / sold_amount
        cost = sum(rewards.mapped("points_cost"))
        if cost:
            returned_cost = sum(
                line.refunded_orderline_id.points_cost * -line.qty / line.refunded_orderline_id.qty
                for line in refund_lines
                if line.refunded_orderline_id in rewards and line.refunded_orderline_id.qty
            )
            spent_share += returned_cost / cost
        invoice = self.account_move
        if invoice and invoice.amount_untaxed:
            credit_notes = (
                self.env["account.move"]
                .sudo()
                .search(
                    [
                        ("reversed_entry_id", "=", invoice.id),
                        ("move_type", "=", "out_refund"),
                        ("state", "=", "posted"),
                    ]
                )
                .filtered(lambda move: not move.pos_order_ids)
            )
            credited = sum(credit_notes.mapped("amount_untaxed")) / invoice.amount_untaxed
            earned_share += credited
            spent_share += credited
        return min(earned_share, 1.0), min(spent_share, 1.0)

    def _club_pos_reverse_points(self, description, document):
        """Take back what the refunded part of the order earned and give back what it
        spent, each line at most once in all and never below a zero balance.

        The shares are cumulative (see :meth:`_club_pos_refunded_shares`): each refund
        or credit note reverses the share refunded so far minus what earlier ones
        reversed, through the club's reversal API (every reversal names its line).

        Privileged helper: a refund's payment or a credit note's posting runs it as
        superuser, for users who may not read invoices nor write ledgers.

        :param document: the refund order or credit note the reversal lines point to
        """
        self.ensure_one()
        History = self.env["loyalty.history"].sudo()
        lines = History.search(
            [
                ("order_model", "=", self._name),
                ("order_id", "=", self.id),
                ("is_club", "=", True),
                ("origin_id", "=", False),
                ("move_type", "in", ("issue", "spend")),
            ],
            order="id",
        )
        if not lines:
            return
        earned_share, spent_share = self._club_pos_refunded_shares()
        lines.card_id._club_lock()
        give_back = []
        for spend in lines.filtered(lambda line: line.used > 0):
            amount = round(
                float_round(spend.used * spent_share, precision_digits=PRECISION)
                - spend.reversed_used,
                PRECISION,
            )
            if float_compare(amount, 0, precision_digits=PRECISION) > 0:
                give_back.append(
                    {
                        "card_id": spend.card_id.id,
                        "description": description,
                        "issued": amount,
                        "used": 0.0,
                        "move_type": "reversal",
                        "origin_id": spend.id,
                        "order_model": document._name,
                        "order_id": document.id,
                    }
                )
        if give_back:
            History.create(give_back)
        to_take = {}
        for batch in lines.filtered(lambda line: line.issued > 0):
            taken = sum(
                batch.reversal_ids.filtered(lambda r: r.move_type == "reversal").mapped("used")
            )
            amount = round(
                float_round(batch.issued * earned_share, precision_digits=PRECISION) - taken,
                PRECISION,
            )
            if float_compare(amount, 0, precision_digits=PRECISION) > 0:
                to_take[batch] = amount
        if to_take:
            History._club_take_back(to_take, description, order=document)
