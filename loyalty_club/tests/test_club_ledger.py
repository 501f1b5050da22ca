from datetime import timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, TransactionCase, tagged

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestClubLedger(ClubCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()

    def test_sale_order_earns_points_with_tier_multiplier(self):
        self.card.club_tier_id = self.gold
        order = self._order(qty=2)
        order.action_confirm()
        # 2 units x 10 points, doubled by the Gold multiplier
        self.assertEqual(self.card.points, 40.0)
        line = self.card.history_ids.filtered(lambda h: h.order_id == order.id)
        self.assertEqual(line.issued, 40.0)
        self.assertEqual(line.move_type, "issue")
        self.assertEqual(line.remaining_points, 40.0)
        today = fields.Date.context_today(line)  # the member's day, not the server's
        self.assertEqual(line.expiry_date, today + relativedelta(months=12))
        self.assertLedgerBalanced(self.card)

    def test_member_without_multiplier_earns_base_points(self):
        self.assertEqual(self.card.club_tier_id, self.silver, "new members start at the base tier")
        self._order(qty=1).action_confirm()
        self.assertEqual(self.card.points, 10.0)

    def test_reaching_a_threshold_upgrades_at_once(self):
        order = self._order(qty=12)  # 120 points > Gold threshold 100
        order.action_confirm()
        self.assertEqual(self.card.club_tier_id, self.gold)
        change = self.card.club_tier_history_ids.filtered(lambda h: h.reason == "upgrade")[:1]
        self.assertEqual(change.tier_before_id, self.silver)
        self.assertEqual(change.tier_after_id, self.gold)
        mail = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", self.card.id)]
        )
        self.assertTrue(any("Gold" in m.subject for m in mail), "the member is mailed the upgrade")

    def test_fifo_consumption_across_batches(self):
        today = fields.Date.today()
        late = self._issue(self.card, 50, today + timedelta(days=90))
        soon = self._issue(self.card, 50, today + timedelta(days=10))
        never = self._issue(self.card, 50, False)
        never.expiry_date = False  # a batch without expiry is consumed last
        self.card._club_spend(70, "Reward")
        self.assertEqual(soon.remaining_points, 0.0, "the soonest-expiring batch goes first")
        self.assertEqual(late.remaining_points, 30.0)
        self.assertEqual(never.remaining_points, 50.0)
        self.assertEqual(self.card.points, 80.0)
        self.assertLedgerBalanced(self.card)

    def test_spend_beyond_balance_refused(self):
        self._issue(self.card, 30)
        with self.assertRaisesRegex(UserError, "holds only 30"):
            self.card._club_spend(31, "Too much")
        self.assertEqual(self.card.points, 30.0)
        with self.assertRaises(UserError):
            self.card._club_spend(-5, "Negative")
        self.assertLedgerBalanced(self.card)

    def test_negative_balance_rejected(self):
        with self.assertRaisesRegex(ValidationError, "cannot go below zero"):
            self.card.points = -1

    def test_expiry_cron_writes_ledger_lines(self):
        today = fields.Date.today()
        expired = self._issue(self.card, 40, today - timedelta(days=1))
        partly = self._issue(self.card, 30, today - timedelta(days=2))
        alive = self._issue(self.card, 25, today + timedelta(days=200))
        self.card._club_spend(10, "Spent before expiry")  # from `partly`, the soonest
        self.env["loyalty.card"]._cron_club_points_expiry()
        lines = self.card.history_ids.filtered(lambda h: h.move_type == "expire")
        self.assertEqual(len(lines), 2)
        self.assertEqual(sorted(lines.mapped("used")), [20.0, 40.0])
        self.assertEqual(lines.origin_id, expired | partly)
        self.assertEqual((expired | partly).mapped("remaining_points"), [0.0, 0.0])
        self.assertEqual(alive.remaining_points, 25.0)
        self.assertEqual(self.card.points, 25.0)
        self.assertLedgerBalanced(self.card)
        # rerun: nothing more expires
        self.env["loyalty.card"]._cron_club_points_expiry()
        self.assertEqual(len(self.card.history_ids.filtered(lambda h: h.move_type == "expire")), 2)

    def test_expiry_warning_mail_sent_once(self):
        self._issue(self.card, 40, fields.Date.today() + timedelta(days=5))
        self.assertEqual(self.card.club_points_expiring, 40.0)
        Mail = self.env["mail.mail"]
        domain = [("model", "=", "loyalty.card"), ("res_id", "=", self.card.id)]
        before = Mail.search_count(domain)
        self.env["loyalty.card"]._cron_club_points_expiry()
        self.assertEqual(Mail.search_count(domain), before + 1)
        self.env["loyalty.card"]._cron_club_points_expiry()
        self.assertEqual(Mail.search_count(domain), before + 1, "one warning per batch")

    def test_expiry_query_count_constant_per_batch(self):
        yesterday = fields.Date.today() - timedelta(days=1)
        partners = self.env["res.partner"].create([{"name": f"M{i}"} for i in range(8)])
        cards = self.env["loyalty.card"]
        for partner in partners:
            card = self._make_member(partner)
            self._issue(card, 10, yesterday)
            self._issue(card, 5, yesterday - timedelta(days=3))
            cards |= card
        counts = []
        cards[:1]._club_expire_points(fields.Date.today())  # warm-up
        cards[1:2]._club_expire_points(fields.Date.today())
        for batch in (cards[2:4], cards[4:]):
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            batch._club_expire_points(fields.Date.today())
            counts.append(self.env.cr.sql_log_count - start)
        self.assertEqual(counts[0], counts[1], "2 cards and 4 cards expire with the same queries")
        for card in cards:
            self.assertEqual(card.points, 0.0)
            self.assertLedgerBalanced(card)

    def test_cancel_order_takes_points_back(self):
        order = self._order(qty=3)
        order.action_confirm()
        self.assertEqual(self.card.points, 30.0)
        order._action_cancel()
        self.assertEqual(self.card.points, 0.0)
        issue = self.card.history_ids.filtered(lambda h: h.move_type == "issue")
        self.assertTrue(issue, "the issue line stays in the ledger")
        reversal = self.card.history_ids.filtered(lambda h: h.move_type == "reversal")
        self.assertEqual(reversal.used, 30.0)
        self.assertEqual(reversal.origin_id, issue)
        self.assertLedgerBalanced(self.card)

    def test_cancel_after_points_spent_never_negative(self):
        order = self._order(qty=3)
        order.action_confirm()
        self.card._club_spend(25, "Reward")
        order._action_cancel()
        self.assertEqual(self.card.points, 0.0, "only what is left can be taken back")
        self.assertLedgerBalanced(self.card)

    def test_order_spending_points_consumes_ledger_and_cancel_restores(self):
        soon = self._issue(self.card, 600, fields.Date.today() + timedelta(days=5))
        late = self._issue(self.card, 600, fields.Date.today() + timedelta(days=50))
        self.assertEqual(self.card.club_tier_id, self.platinum)
        order = self._order(qty=1)
        reward = self.program.reward_ids
        order._apply_program_reward(reward, self.card)
        order.action_confirm()
        # earned 10 x 3 (Platinum), spent 1000 on the reward: soonest batch first
        self.assertEqual(self.card.points, 230.0)
        self.assertEqual(soon.remaining_points, 0.0)
        self.assertEqual(late.remaining_points, 200.0)
        self.assertLedgerBalanced(self.card)
        order._action_cancel()
        self.assertEqual(
            self.card.points, 1200.0, "earned points taken back, spent points given back"
        )
        self.assertLedgerBalanced(self.card)

    def test_existing_program_becomes_club(self):
        program = self.program.copy({"name": "Plain loyalty", "is_club": False})
        card = self.env["loyalty.card"].create(
            {"program_id": program.id, "partner_id": self.partner.id, "points": 75}
        )
        tier = self.env["loyalty.club.tier"].create(
            {"name": "Base", "threshold": 0, "program_id": program.id}
        )
        program.is_club = True
        self.assertEqual(card.club_tier_id, tier)
        self.assertLedgerBalanced(card)
        card._club_spend(75, "All of it")
        self.assertEqual(card.points, 0.0)
        self.assertLedgerBalanced(card)

    def test_balance_wizard_adjustment(self):
        wizard = Form(
            self.env["loyalty.card.update.balance"].with_context(default_card_id=self.card.id)
        )
        wizard.new_balance = 50
        wizard.description = "Welcome gift"
        wizard.save().action_update_card_point()
        adjust = self.card.history_ids.filtered(lambda h: h.move_type == "adjust")
        self.assertEqual(adjust.issued, 50)
        self.assertEqual(adjust.description, "Welcome gift")
        wizard = Form(
            self.env["loyalty.card.update.balance"].with_context(default_card_id=self.card.id)
        )
        wizard.new_balance = 20
        wizard.description = "Correction"
        wizard.save().action_update_card_point()
        self.assertEqual(self.card.points, 20.0)
        self.assertLedgerBalanced(self.card)

    def test_thresholds_out_of_order_rejected(self):
        with self.assertRaisesRegex(ValidationError, "must rise with the tier order"):
            self.gold.threshold = 600  # above Platinum

    def test_new_tier_below_previous_rejected(self):
        with self.assertRaisesRegex(ValidationError, "must rise with the tier order"):
            self.env["loyalty.club.tier"].create(
                {"name": "Diamond", "sequence": 40, "threshold": 200, "program_id": self.program.id}
            )

    def test_negative_multiplier_rejected(self):
        with self.assertRaisesRegex(ValidationError, "cannot be below zero"):
            self.gold.multiplier = -1

    def test_negative_threshold_rejected(self):
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.silver.threshold = -5

    def test_club_program_template(self):
        action = self.env["loyalty.program"].create_from_template("club")
        program = self.env["loyalty.program"].browse(action["res_id"])
        self.assertTrue(program.is_club)
        self.assertEqual(program.club_tier_ids.mapped("name"), ["Silver", "Gold", "Platinum"])
        self.assertIn("club", self.env["loyalty.program"].get_program_templates())

    def test_expiry_uses_frozen_today(self):
        self._issue(self.card, 15, fields.Date.today() + timedelta(days=3))
        with freeze_time(fields.Date.today() + timedelta(days=10)):
            self.env["loyalty.card"]._cron_club_points_expiry()
        self.assertEqual(self.card.points, 0.0)
        self.assertLedgerBalanced(self.card)

    def test_spend_basis_upgrades_on_the_crossing_order_in_club_currency(self):
        self.program.club_tier_basis = "spend"
        company = self.env.company
        foreign = self.env["res.currency"].search(
            [("id", "!=", company.currency_id.id), ("active", "in", (True, False))], limit=1
        )
        foreign.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": foreign.id, "company_id": company.id, "name": "2020-01-01", "rate": 2.0}
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "Foreign prices", "currency_id": foreign.id}
        )
        self._order(qty=1).action_confirm()  # 100 in the club's currency: Gold's threshold
        self.assertEqual(self.card.club_tier_id, self.gold, "the order crossing it upgrades")
        foreign_order = self._order(qty=2)
        foreign_order.pricelist_id = pricelist
        foreign_order.action_update_prices()
        self.assertEqual(foreign_order.amount_untaxed, 400.0, "200 club currency at rate 2")
        foreign_order.action_confirm()
        self.assertEqual(self.card.club_tier_id, self.gold, "300 in the club's currency, not 500")
        self._order(qty=2).action_confirm()
        self.assertEqual(self.card.club_tier_id, self.platinum, "500 in the club's currency")

    def test_merging_members_merges_their_ledgers(self):
        other = self.env["res.partner"].create({"name": "Same Member", "email": "same@example.com"})
        other_card = self._make_member(other)
        self._issue(self.card, 30)
        self._issue(other_card, 45)
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (self.partner | other).ids, self.partner
        )
        kept = self.env["loyalty.card"].search(
            [("partner_id", "=", self.partner.id), ("program_id", "=", self.program.id)]
        )
        self.assertEqual(kept.points, 75.0)
        self.assertLedgerBalanced(kept)
        self.assertLedgerBalanced(other_card.with_context(active_test=False))
