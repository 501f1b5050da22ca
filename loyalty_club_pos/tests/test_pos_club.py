from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import new_test_user, tagged

from .common import ClubPosCommon


@tagged("post_install", "-at_install")
class TestPosClub(ClubPosCommon):
    def test_gold_member_earns_at_the_till_what_a_sale_order_earns(self):
        self.card.club_tier_id = self.gold
        sale = self._order(qty=3)
        sale.action_confirm()
        on_sale = self.card.points
        self.assertEqual(on_sale, 60.0, "3 units x 10 points, doubled by Gold")
        order = self._pos_order(qty=3)
        payload = self._pos_calls(order, self.card, 30.0)  # the POS computes 3 x 10
        self.assertEqual(self.card.points - on_sale, on_sale, "the till earns the same 60")
        line = self._order_lines(order)
        self.assertEqual(line.issued, 60.0)
        self.assertEqual(line.move_type, "issue")
        today = fields.Date.context_today(line)
        self.assertEqual(line.expiry_date, today + relativedelta(months=12))
        update = next(u for u in payload["coupon_updates"] if u["id"] == self.card.id)
        self.assertEqual(update["points"], 120.0, "the POS is told the balance of the ledger")
        self.assertLedgerBalanced(self.card)

    def test_order_earning_and_spending_writes_two_lines(self):
        soon = self._issue(self.card, 600, fields.Date.today() + timedelta(days=5))
        late = self._issue(self.card, 600, fields.Date.today() + timedelta(days=50))
        self.assertEqual(self.card.club_tier_id, self.platinum, "x3")
        order = self._pos_order(qty=1, card=self.card, reward_points=1000)
        coupon_data = self._coupon_data(order, self.card, 10.0 - 1000)
        self.assertTrue(self._validate(order, self.card, 10.0 - 1000)["successful"])
        self.assertEqual(self.card.points, 1200.0)
        self.assertLedgerBalanced(self.card)
        payload = self._confirm(order, coupon_data)
        lines = self._order_lines(order)
        self.assertEqual(lines.mapped("move_type"), ["issue", "spend"])
        self.assertEqual(lines.mapped("issued"), [30.0, 0.0], "10 points x 3, in their batch")
        self.assertEqual(lines.mapped("used"), [0.0, 1000.0])
        self.assertEqual(lines[0].remaining_points, 30.0, "earned points are not spent first")
        self.assertTrue(lines[0].expiry_date)
        self.assertEqual(soon.remaining_points, 0.0, "the soonest-expiring batch goes first")
        self.assertEqual(late.remaining_points, 200.0)
        self.assertEqual(self.card.points, 230.0)
        self.assertLedgerBalanced(self.card)
        self._history(order, coupon_data, payload)
        self.assertEqual(len(self._order_lines(order)), 2, "the history call writes nothing more")
        self.assertEqual(self.card.points, 230.0)
        self.assertLedgerBalanced(self.card)

    def test_repeated_confirmation_records_points_once(self):
        order = self._pos_order(qty=2)
        coupon_data = self._coupon_data(order, self.card, 20.0)
        for _attempt in range(3):
            payload = self._confirm(order, coupon_data)
            self.assertEqual(self.card.points, 20.0)
            self.assertLedgerBalanced(self.card)
        self._history(order, coupon_data, payload)
        self._history(order, coupon_data, payload)
        self.assertEqual(len(self._order_lines(order)), 1)
        self.assertEqual(self.card.points, 20.0)
        self.assertLedgerBalanced(self.card)

    def test_lost_confirmation_the_history_call_records_the_points(self):
        self._issue(self.card, 50)
        order = self._pos_order(qty=1, card=self.card, reward_points=40)
        coupon_data = self._coupon_data(order, self.card, 10.0 - 40)
        # confirm_coupon_programs never reached the server
        self._history(order, coupon_data, {"coupon_updates": []})
        lines = self._order_lines(order)
        self.assertEqual(lines.mapped("issued"), [10.0, 0.0])
        self.assertEqual(lines.mapped("used"), [0.0, 40.0])
        self.assertEqual(self.card.points, 20.0)
        self.assertLedgerBalanced(self.card)
        # the confirmation arrives late, then again
        self._confirm(order, coupon_data)
        self._confirm(order, coupon_data)
        self.assertEqual(len(self._order_lines(order)), 2)
        self.assertEqual(self.card.points, 20.0)
        self.assertLedgerBalanced(self.card)

    def test_new_member_at_the_till(self):
        walk_in = self.env["res.partner"].create({"name": "Walk-in Customer"})
        order = self._pos_order(qty=2, partner=walk_in)
        payload = self._pos_calls(order, None, 20.0)
        card = self.env["loyalty.card"].search(
            [("partner_id", "=", walk_in.id), ("program_id", "=", self.program.id)]
        )
        self.assertEqual(card.points, 20.0)
        self.assertEqual(card.club_tier_id, self.silver)
        self.assertEqual(card.source_pos_order_id, order)
        self.assertIn(card.id, [u["id"] for u in payload["coupon_updates"]])
        self.assertLedgerBalanced(card)

    def test_cashier_serves_a_member(self):
        cashier = new_test_user(
            self.env, login="club_cashier", groups="point_of_sale.group_pos_user"
        )
        self.card.club_tier_id = self.gold
        self._issue(self.card, 100)
        order = self._pos_order(qty=1, card=self.card, reward_points=50)
        self._pos_calls(order.with_user(cashier), self.card, 10.0 - 50)
        self.assertEqual(self.card.points, 70.0, "100 + 10 x 2 - 50")
        self.assertLedgerBalanced(self.card)

    def test_spend_based_tiers_count_pos_purchases(self):
        self.program.club_tier_basis = "spend"
        self._order(qty=1).action_confirm()
        self.assertEqual(self.card.club_tier_id, self.gold, "100 spent on a sale order")
        order = self._pos_order(qty=3)
        self.assertEqual(self.card.club_tier_id, self.gold, "400 in all")
        self._pos_refund(order, 1)
        self.assertEqual(self.card.club_tier_id, self.gold, "a refund at the till counts against")
        today = fields.Date.context_today(order)
        values = self.program._club_qualifying_values(self.card, today)
        self.assertEqual(values[self.card.id], 300.0)
        self._pos_order(qty=2)
        self.assertEqual(self.card.club_tier_id, self.platinum, "500: the paid order lifts")
        values = self.program._club_qualifying_values(self.card, today)
        self.assertEqual(values[self.card.id], 500.0)

    def test_pos_data_carries_the_tier(self):
        self.card.club_tier_id = self.gold
        fields_ = self.env["loyalty.card"]._load_pos_data_fields(self.config.id)
        self.assertIn("club_multiplier", fields_)
        data = self.card.read(["club_tier_name", "club_multiplier", "is_club"])[0]
        self.assertEqual((data["club_tier_name"], data["club_multiplier"]), ("Gold", 2.0))
