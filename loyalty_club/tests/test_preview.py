from datetime import timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import TODAY, ClubReviewCommon

CLASS_RANK = {"A": 3, "B": 2, "C": 1}


@tagged("post_install", "-at_install")
class TestClubReviewPreview(ClubReviewCommon):
    def _wizard(self):
        return Form(
            self.env["loyalty.club.review.preview"].with_context(
                active_model="loyalty.program", active_id=self.program.id
            )
        )

    def _snapshot(self):
        """Everything a preview must leave untouched."""
        self.env.invalidate_all()
        scores = self.Score.search([("company_id", "=", self.company.id)])
        return {
            "thresholds": self.program.club_tier_ids.mapped("threshold"),
            "tiers": self.cards.mapped("club_tier_id").ids,
            "card_tiers": [card.club_tier_id.id for card in self.cards],
            "reviews": self.env["loyalty.club.review"].search_count([]),
            "weights": self.company.read(
                ["club_weight_money", "club_weight_debt", "club_class_a_min"]
            ),
            "scores": scores.read(["rfm_score", "civilformd_score", "value_class", "write_date"]),
        }

    def test_preview_thresholds(self):
        self._issue(self.regular, 150, "2027-01-31")
        self._issue(self.late, 600, "2027-03-31")
        self._issue(self.single, 50, "2027-03-31")
        self._compute()
        # reaching a threshold may upgrade at once: start the preview from Silver
        self.cards.sudo().write({"club_tier_id": self.silver.id})
        self.assertEqual(self.cards.mapped("club_tier_id"), self.silver)
        before = self._snapshot()

        wizard = self._wizard()
        self.assertEqual(wizard.program_id, self.program)
        # current thresholds: regular reaches Gold, late Platinum
        self.assertEqual((wizard.count_up, wizard.count_down, wizard.count_same), (2, 0, 3))
        with wizard.tier_line_ids.edit(1) as line:
            self.assertEqual(line.tier_id, self.gold)
            line.threshold = 200
        with wizard.tier_line_ids.edit(2) as line:
            line.threshold = 700
        # proposed thresholds: only late moves up (to Gold)
        self.assertEqual((wizard.count_up, wizard.count_down, wizard.count_same), (1, 0, 4))
        self.assertIn("Gold", wizard.preview_html)
        record = wizard.save()
        self.assertEqual(self._snapshot(), before, "the preview changes nothing")

        record.action_apply()
        self.assertEqual(self.gold.threshold, 200)
        self.assertEqual(self.platinum.threshold, 700)

    def _review_data(self, on_date):
        """Five members, one of each case, qualifying on ``on_date``."""
        regular, late, single, refund_only, referrer = self.cards.sorted("id")
        moves = [
            (regular, self.platinum, 150, False),  # would fall to Silver
            (late, self.gold, 50, on_date - timedelta(days=1)),  # warned before: falls now
            (single, self.silver, 650, False),  # rises
            (refund_only, self.gold, 120, False),  # would fall to Silver
            (referrer, self.platinum, 0, False),  # would fall to Silver
        ]
        for card, tier, points, due in moves:
            card.sudo().write({"club_tier_id": tier.id})
            card.sudo().club_downgrade_date = due
            if points:
                self.env["loyalty.history"].sudo().with_context(loyalty_club_no_ledger=True).create(
                    {
                        "card_id": card.id,
                        "description": "Sale",
                        "issued": points,
                        "move_type": "issue",
                    }
                )

    def test_preview_counts_equal_the_review(self):
        """Same data, proposed thresholds raising Gold above the current Platinum:
        the preview's counts are the review's, for every policy, with and without
        grace days."""
        on_date = fields.Date.context_today(self.program)
        self._review_data(on_date)
        proposed = {self.gold: 600, self.platinum: 900}
        expected = {
            ("never", 30): (1, 0, 4, 0),
            ("one_step", 30): (1, 1, 3, 3),
            ("recompute", 0): (1, 4, 0, 0),
        }
        for policy in ("never", "one_step", "recompute"):
            for grace in (0, 30):
                with self.subTest(policy=policy, grace=grace):
                    savepoint = self.env.cr.savepoint()
                    self.program.write({"club_downgrade_policy": policy, "club_grace_days": grace})
                    wizard = self._wizard()
                    wizard.date = on_date
                    for index, tier in enumerate(self.program._club_sorted_tiers()):
                        if tier[0] in proposed:
                            with wizard.tier_line_ids.edit(index) as line:
                                line.threshold = proposed[tier[0]]
                    self.assertFalse(wizard.warning)
                    counts = (
                        wizard.count_up,
                        wizard.count_down,
                        wizard.count_same,
                        wizard.count_warned,
                    )
                    if (policy, grace) in expected:
                        self.assertEqual(counts, expected[(policy, grace)])
                    self.assertEqual(self.gold.threshold, 100, "the preview writes nothing")
                    wizard.save().action_apply()
                    self.assertEqual((self.gold.threshold, self.platinum.threshold), (600, 900))
                    review = self.program._club_run_review(date=on_date)
                    self.assertEqual(
                        (
                            review.count_up,
                            review.count_down,
                            review.count_same,
                            review.count_warned,
                        ),
                        counts,
                        "the preview told the truth",
                    )
                    savepoint.close(rollback=True)
                    self.env.invalidate_all()

    def test_preview_from_the_menu_picks_the_only_club(self):
        Program = self.env["loyalty.program"]
        others = (
            Program.search(
                [("is_club", "=", True), ("company_id", "in", (False, self.env.company.id))]
            )
            - self.program
        )
        others.write({"active": False})
        self.assertEqual(Form(self.env["loyalty.club.review.preview"]).program_id, self.program)
        if others:  # the demo's club, back: two clubs, the manager picks
            others[:1].write({"active": True})
            self.assertFalse(Form(self.env["loyalty.club.review.preview"]).program_id)

    def test_preview_thresholds_out_of_order(self):
        wizard = self._wizard()
        with wizard.tier_line_ids.edit(1) as line:
            line.threshold = 900
        self.assertTrue(wizard.warning)
        record = wizard.save()
        self.assertIn("must rise with the tier order", record.warning)
        with self.assertRaisesRegex(UserError, "must rise with the tier order"):
            record.action_apply()
        self.assertEqual(self.gold.threshold, 100)
        # Arabic users read the same rule in Arabic
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["ir.module.module"]._load_module_terms(["loyalty_club"], ["ar_001"])
        arabic = record.with_context(lang="ar_001")
        arabic.invalidate_recordset(["warning"])
        self.assertNotIn("must rise", arabic.warning)
        self.assertEqual(self.gold.threshold, 100, "nothing written")

    def test_preview_weights(self):
        self._compute()
        scores = {
            score.partner_id: score
            for score in self.Score.search([("company_id", "=", self.company.id)])
        }
        before = self._snapshot()
        wizard = self._wizard()
        wizard.mode = "weights"
        self.assertEqual(wizard.weights_total, 100.0)
        self.assertEqual((wizard.count_up, wizard.count_down), (0, 0), "same weights, no move")
        self.assertEqual(wizard.count_same, 5)
        for key in ("cooperation", "impression", "viral", "income", "length", "frequency"):
            setattr(wizard, f"club_weight_{key}", 0.0)
        for key in ("opportunity", "recency", "debt"):
            setattr(wizard, f"club_weight_{key}", 0.0)
        wizard.club_weight_money = 100.0
        # expected: the class each member gets from the stored Money criterion alone
        moves = {"up": 0, "down": 0, "same": 0}
        for score in scores.values():
            after = "A" if score.civ_money >= 60 else "B" if score.civ_money >= 35 else "C"
            delta = CLASS_RANK[after] - CLASS_RANK[score.value_class]
            moves["up" if delta > 0 else "down" if delta < 0 else "same"] += 1
        self.assertEqual(
            (wizard.count_up, wizard.count_down, wizard.count_same),
            (moves["up"], moves["down"], moves["same"]),
        )
        self.assertEqual(sum(moves.values()), 5)
        self.assertFalse(wizard.warning)
        record = wizard.save()
        self.assertEqual(self._snapshot(), before, "the preview changes nothing")

        # weights not summing to 100 %: warned and refused
        wizard = self._wizard()
        wizard.mode = "weights"
        wizard.club_weight_money = 50.0
        self.assertTrue(wizard.warning)
        with self.assertRaises(UserError):
            wizard.save().action_apply()
        self.assertEqual(self.company.club_weight_money, 10.0)

        with freeze_time(TODAY):  # the scores of the fixtures' day
            record.action_apply()
        self.assertEqual(self.company.club_weight_money, 100.0)
        regular = self.Score.search(
            [("company_id", "=", self.company.id), ("partner_id", "=", self.regular.id)]
        )
        self.assertEqual(regular.value_class, "A", "applying re-scores the customers")


@tagged("post_install", "-at_install")
class TestClubReviewSnapshot(ClubReviewCommon):
    def test_review_snapshots_scores(self):
        self.assertFalse(self.Score.search([("company_id", "=", self.company.id)]))
        review = self.program._club_run_review(date=TODAY)
        scores = {
            score.partner_id: score
            for score in self.Score.search([("company_id", "=", self.company.id)])
        }
        self.assertEqual(len(scores), 5, "the review scored the customers first")
        self.assertEqual(len(review.line_ids), 5)
        for line in review.line_ids:
            score = scores[line.partner_id]
            with self.subTest(partner=line.partner_id.name):
                self.assertAlmostEqual(line.rfm_score, score.rfm_score, places=4)
                self.assertEqual(line.rfm_segment_id, score.segment_id)
                self.assertAlmostEqual(line.civilformd_score, score.civilformd_score, places=4)
                self.assertEqual(line.value_class, score.value_class)
                self.assertAlmostEqual(line.clv, score.clv, places=2)
        regular_line = review.line_ids.filtered(lambda line: line.partner_id == self.regular)
        self.assertAlmostEqual(regular_line.rfm_score, 4.6)
        self.assertAlmostEqual(regular_line.clv, 4500.0, places=2)
        # a later change of the scores does not rewrite the snapshot
        self.company.write(
            {
                "club_rfm_weight_recency": 1.0,
                "club_rfm_weight_frequency": 0.0,
                "club_rfm_weight_monetary": 0.0,
            }
        )
        self._compute()
        self.assertAlmostEqual(regular_line.rfm_score, 4.6)
        self.assertAlmostEqual(scores[self.regular].rfm_score, 4.0)
