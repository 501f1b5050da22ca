from datetime import date, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestClubReview(ClubCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        Partner = cls.env["res.partner"]
        cls.rising = cls._make_member(Partner.create({"name": "Rising", "email": "r@example.com"}))
        cls.falling = cls._make_member(
            Partner.create({"name": "Falling", "email": "f@example.com"}), tier=cls.platinum
        )
        cls.steady = cls._make_member(
            Partner.create({"name": "Steady", "email": "s@example.com"}), tier=cls.gold
        )

    def _earn(self, card, points):
        with self.env.cr.savepoint():
            self._issue(card, points)

    def test_compute_moves_writes_nothing(self):
        self._earn(self.steady, 150)
        moves = self.program._club_compute_tier_moves()
        self.assertEqual(
            moves[self.steady.id],
            {"before": self.gold.id, "after": self.gold.id, "qualifying": 150.0},
        )
        self.assertEqual(moves[self.falling.id]["after"], self.silver.id)
        # proposed thresholds: Gold at 200 would move the steady member down
        moves = self.program._club_compute_tier_moves(thresholds={self.gold.id: 200})
        self.assertEqual(moves[self.steady.id]["after"], self.silver.id)
        self.assertEqual(self.falling.club_tier_id, self.platinum, "nothing written")
        self.assertFalse(
            self.env["loyalty.club.review"].search([("program_id", "=", self.program.id)])
        )

    def test_review_up_down_with_grace(self):
        self.rising.club_tier_id = self.silver
        # points issued before the member reached the tier count at the review
        self.env["loyalty.history"].with_context(loyalty_club_no_ledger=True).create(
            {
                "card_id": self.rising.id,
                "description": "Old sale",
                "issued": 600,
                "move_type": "issue",
            }
        )
        self._earn(self.steady, 150)
        today = fields.Date.today()
        review = self.program._club_run_review(date=today)
        self.assertEqual(self.rising.club_tier_id, self.platinum)
        self.assertEqual(self.steady.club_tier_id, self.gold)
        # not qualifying any more: warned, keeps the tier during the grace period
        self.assertEqual(self.falling.club_tier_id, self.platinum)
        self.assertEqual(self.falling.club_downgrade_date, today + timedelta(days=30))
        self.assertEqual((review.count_up, review.count_down, review.count_warned), (1, 0, 1))
        line = review.line_ids.filtered(lambda rl: rl.card_id == self.rising)
        self.assertEqual(
            (line.tier_before_id, line.tier_after_id, line.move), (self.silver, self.platinum, "up")
        )
        history = self.rising.club_tier_history_ids.filtered(lambda h: h.reason == "review")
        self.assertEqual(history.tier_after_id, self.platinum)
        self.assertEqual(history.review_id, review)
        subjects = (
            self.env["mail.mail"]
            .search([("model", "=", "loyalty.card"), ("res_id", "=", self.falling.id)])
            .mapped("subject")
        )
        self.assertIn("Keep your Platinum tier", subjects)
        self.assertEqual(self.program.club_next_review_date, today + relativedelta(months=12))

        # still within the grace period: no downgrade yet
        self.program._club_run_review(date=today + timedelta(days=10))
        self.assertEqual(self.falling.club_tier_id, self.platinum)

        # after the grace period: one step down, with a history line and a mail
        review = self.program._club_run_review(date=today + timedelta(days=31))
        self.assertEqual(self.falling.club_tier_id, self.gold)
        self.assertFalse(self.falling.club_downgrade_date)
        self.assertEqual(review.count_down, 1)
        subjects = (
            self.env["mail.mail"]
            .search([("model", "=", "loyalty.card"), ("res_id", "=", self.falling.id)])
            .mapped("subject")
        )
        self.assertIn("Your club tier is now Gold", subjects)
        history = self.falling.club_tier_history_ids.filtered(lambda h: h.reason == "downgrade")
        self.assertEqual(
            (history.tier_before_id, history.tier_after_id), (self.platinum, self.gold)
        )

    def test_review_rows_inserted_in_bulk(self):
        """Review lines and tier history are inserted in bulk: related fields filled,
        one2many caches of their parents up to date, review counts recomputed."""
        self.program.company_id = self.env.company
        self.assertEqual(len(self.rising.club_tier_history_ids), 1, "joined the club")
        self.env["loyalty.history"].with_context(loyalty_club_no_ledger=True).create(
            {"card_id": self.rising.id, "description": "Sale", "issued": 600, "move_type": "issue"}
        )
        review = self.program._club_run_review()
        self.assertEqual(review.count_up, 1)
        self.assertEqual(len(review.line_ids), 4)
        line = review.line_ids.filtered(lambda rl: rl.card_id == self.rising)
        self.assertEqual(
            (line.program_id, line.company_id, line.date, line.partner_id),
            (self.program, self.env.company, review.date, self.rising.partner_id),
        )
        self.assertEqual(len(self.rising.club_tier_history_ids), 2, "cache sees the new row")
        history = self.rising.club_tier_history_ids.filtered(lambda h: h.review_id == review)
        self.assertEqual(
            (history.partner_id, history.program_id, history.company_id),
            (self.rising.partner_id, self.program, self.env.company),
        )
        self.assertEqual(
            (history.tier_before_id, history.tier_after_id, history.qualifying_value),
            (self.silver, self.platinum, 600.0),
        )
        self.assertEqual(history.create_uid, self.env.user)

    def test_review_line_hook(self):
        """Overrides of _prepare_review_line_values reach the review lines."""
        Review = self.registry["loyalty.club.review"]
        prepare = Review._prepare_review_line_values

        def prepare_more(self, card, move_info):
            return dict(prepare(self, card, move_info), qualifying_value=42.0)

        with patch.object(Review, "_prepare_review_line_values", prepare_more):
            review = self.program._club_run_review()
        self.assertEqual(set(review.line_ids.mapped("qualifying_value")), {42.0})

    def test_review_recompute_policy_drops_to_qualifying_tier(self):
        self.program.write({"club_downgrade_policy": "recompute", "club_grace_days": 0})
        self.program._club_run_review()
        self.assertEqual(self.falling.club_tier_id, self.silver)
        self.assertEqual(self.steady.club_tier_id, self.silver)

    def test_review_never_policy_keeps_tier(self):
        self.program.club_downgrade_policy = "never"
        review = self.program._club_run_review()
        self.assertEqual(self.falling.club_tier_id, self.platinum)
        self.assertEqual(review.count_down, 0)

    def test_qualifying_again_clears_warning(self):
        today = fields.Date.today()
        self.program._club_run_review(date=today)
        self.assertTrue(self.falling.club_downgrade_date)
        self._earn(self.falling, 600)
        self.program._club_run_review(date=today + timedelta(days=40))
        self.assertEqual(self.falling.club_tier_id, self.platinum)
        self.assertFalse(self.falling.club_downgrade_date)

    def test_spend_basis(self):
        self.program.club_tier_basis = "spend"
        order = self._order(partner=self.steady.partner_id, qty=2)  # 200 untaxed
        order.action_confirm()
        moves = self.program._club_compute_tier_moves(cards=self.steady)
        self.assertEqual(moves[self.steady.id]["qualifying"], 200.0)
        self.assertEqual(moves[self.steady.id]["after"], self.gold.id)

    def test_review_cron_reviews_due_clubs(self):
        self.program.club_next_review_date = fields.Date.today() - timedelta(days=1)
        self.env["loyalty.program"]._cron_club_review()
        self.assertEqual(len(self.program.club_review_ids), 1)
        self.assertGreater(self.program.club_next_review_date, fields.Date.today())
        self.env["loyalty.program"]._cron_club_review()
        self.assertEqual(len(self.program.club_review_ids), 1, "not reviewed twice")

    def test_manual_tier_change_logged(self):
        self.steady.club_tier_id = self.platinum
        change = self.steady.club_tier_history_ids[:1]
        self.assertEqual(
            (change.reason, change.tier_before_id, change.tier_after_id),
            ("manual", self.gold, self.platinum),
        )

    def test_tier_pricelist_applied_to_member(self):
        pricelist = self.env["product.pricelist"].create({"name": "Gold prices"})
        self.gold.pricelist_id = pricelist
        self.rising.club_tier_id = self.gold
        self.assertEqual(self.rising.partner_id.property_product_pricelist, pricelist)

    def test_review_query_count_constant(self):
        Partner = self.env["res.partner"]
        counts = []
        for size in (3, 9):
            program = self.program.copy({"name": f"Club {size}"})
            program.club_tier_ids.unlink()
            tiers = self.env["loyalty.club.tier"].create(
                [
                    {"name": "Base", "sequence": 1, "threshold": 0, "program_id": program.id},
                    {"name": "Top", "sequence": 2, "threshold": 50, "program_id": program.id},
                ]
            )
            cards = self.env["loyalty.card"].create(
                [
                    {
                        "program_id": program.id,
                        "partner_id": Partner.create({"name": f"P{size}-{i}"}).id,
                    }
                    for i in range(size)
                ]
            )
            self.env["loyalty.history"].with_context(loyalty_club_no_ledger=True).create(
                [
                    {"card_id": c.id, "description": "x", "issued": 60, "move_type": "issue"}
                    for c in cards
                ]
            )
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.env.cr.sql_log_count
            program.with_context(loyalty_no_mail=True)._club_run_review()
            counts.append(self.env.cr.sql_log_count - start)
            self.assertEqual(cards.club_tier_id, tiers[1])
        self.assertEqual(counts[0], counts[1], "3 and 9 members are reviewed with the same queries")

    def test_evaluation_windows(self):
        on_date = date(2026, 8, 15)
        since = date(2020, 10, 1)
        self.assertEqual(self.program._club_window_start(since, on_date), date(2025, 8, 15))
        self.program.club_window = "calendar_year"
        self.assertEqual(self.program._club_window_start(since, on_date), date(2026, 1, 1))
        self.program.club_window = "anniversary"
        self.assertEqual(self.program._club_window_start(since, on_date), date(2025, 10, 1))
        self.assertEqual(
            self.program._club_window_start(since, date(2026, 10, 1)), date(2026, 10, 1)
        )
