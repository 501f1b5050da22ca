from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from .common import TODAY, ClubReviewCommon

SNAPSHOT = ["tier_after_id", "move", "rfm_score", "rfm_segment_id", "civilformd_score", "clv"]


@tagged("post_install", "-at_install", "is_query_count")
class TestClubScale(ClubReviewCommon):
    """A review works in bounded batches and reuses the scores of the day (issue 14)."""

    def _scoring_calls(self):
        Score = type(self.Score)
        return patch.object(
            Score, "_compute_club_scores", autospec=True, side_effect=Score._compute_club_scores
        )

    def _lines(self, review):
        return {
            line.partner_id: tuple(line[fname] for fname in SNAPSHOT) for line in review.line_ids
        }

    def test_review_reuses_the_scores_of_the_day(self):
        self._compute()
        with self._scoring_calls() as scoring:
            review = self.program._club_run_review(date=TODAY, batch_size=2)
        self.assertFalse(scoring.called, "scored today: not scored again")
        self.assertEqual(len(review.line_ids), 5)
        self.assertTrue(all(review.line_ids.mapped("rfm_segment_id")))
        # the next day's review scores once, for all its batches
        with self._scoring_calls() as scoring:
            self.program._club_run_review(date=TODAY + timedelta(days=1), batch_size=2)
        self.assertEqual(scoring.call_count, 1)
        scores = self.Score.search([("company_id", "=", self.company.id)])
        self.assertEqual(set(scores.mapped("date")), {TODAY + timedelta(days=1)})
        # a customer scored alone today: the others are of another day, the review scores
        self.regular.action_club_compute_score()
        with self._scoring_calls() as scoring:
            self.program._club_run_review(date=TODAY + timedelta(days=1))
        self.assertEqual(scoring.call_count, 1)

    def test_batches_give_the_same_review(self):
        with self.env.cr.savepoint() as savepoint:
            whole = self._lines(self.program._club_run_review(date=TODAY))
            self.env.flush_all()
            savepoint.rollback()
        self.env.invalidate_all()
        review = self.program._club_run_review(date=TODAY, batch_size=2)
        self.assertEqual(self._lines(review), whole)
        self.assertEqual(len(whole), 5)
        self.assertEqual(self.cards.club_tier_id, self.silver)
        self.assertEqual((review.count_up, review.count_same), (0, 5), "Silver since joining")

    def test_query_counts_per_batch(self):
        """Pinned: scoring a company is a constant number of queries, a review batch
        too, whatever its size."""
        self._compute()
        self.env.invalidate_all()
        with self.assertQueryCount(2):
            self._compute()
        review = self.program._club_run_review(date=TODAY, batch_size=5)
        Card = self.env["loyalty.card"]
        cards = self.program._club_members()
        # the first batch fills caches shared by all batches (templates, tiers...)
        self.program._club_review_batch(review, Card.browse(cards[:1].ids))
        for batch in (cards[1:2], cards[2:]):
            self.env.invalidate_all()
            with self.assertQueryCount(16):
                self.program._club_review_batch(review, Card.browse(batch.ids))

    def test_query_counts_per_batch_with_moves(self):
        """Pinned too when every member of the batch moves: tier history, pricelists and
        mails cost the same for one member as for three."""
        self._compute()
        self.program.club_grace_days = 0
        review = self.program._club_run_review(date=TODAY, batch_size=5)
        Card = self.env["loyalty.card"]
        cards = self.program._club_members()
        for batch, pinned in ((cards[:1], False), (cards[1:2], True), (cards[2:], True)):
            # Platinum without the points: one step down to Gold at this review
            cards.with_context(loyalty_club_tier_write=True).write(
                {"club_tier_id": self.platinum.id}
            )
            self.env.flush_all()
            self.env.invalidate_all()
            if pinned:
                with self.assertQueryCount(19):
                    self.program._club_review_batch(review, Card.browse(batch.ids))
            else:
                # the first batch fills caches shared by all batches (templates, tiers...)
                self.program._club_review_batch(review, Card.browse(batch.ids))
            self.assertEqual(batch.club_tier_id, self.gold)
            self.assertEqual(
                set(batch.club_tier_history_ids.filtered("review_id").mapped("reason")),
                {"downgrade"},
            )
        self.assertEqual(len(review.line_ids.filtered(lambda line: line.move == "down")), 5)
