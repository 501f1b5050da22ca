import base64
import io
from datetime import date

import openpyxl

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import TODAY, ClubScoringCommon, min_max


@tagged("post_install", "-at_install")
class TestClubScoring(ClubScoringCommon):
    def test_rfm_scores(self):
        self._compute()
        scores = self._scores()
        self.assertEqual(set(scores), set(self.customers), "one score per invoiced customer")
        # (recency days, frequency, monetary, R, F, M, RFM, segment); equal
        # frequencies score alike (Regular and Late: 2 invoices, F 5)
        expected = {
            self.regular: (51, 2, 1500.0, 4, 5, 5, 4.6, "Champions"),
            self.refund_only: (False, 0, -200.0, 1, 2, 1, 1.3, "Lost"),
            self.single: (29, 1, 100.0, 5, 3, 3, 3.8, "Loyal"),
            self.late: (149, 2, 500.0, 3, 5, 4, 3.9, "Loyal"),
            self.referrer: (637, 0, 0.0, 2, 2, 2, 2.0, "Hibernating"),
        }
        for partner, values in expected.items():
            score = scores[partner]
            recency, frequency, monetary, r, f, m, rfm, segment = values
            with self.subTest(partner=partner.name):
                if recency is False:
                    self.assertFalse(score.last_invoice_date, "refunds only: no recency")
                else:
                    self.assertEqual(score.recency_days, recency)
                self.assertEqual(score.frequency, frequency)
                self.assertAlmostEqual(score.monetary, monetary)
                self.assertEqual((score.r_score, score.f_score, score.m_score), (r, f, m))
                self.assertAlmostEqual(score.rfm_score, rfm, places=4)
                self.assertEqual(score.segment_id.name, segment)

    def test_civilformd_scores(self):
        self._compute()
        scores = self._scores()
        order = [self.regular, self.refund_only, self.single, self.late, self.referrer]
        referrals = [0, 0, 0, 0, 2 if self.has_referrals else 0]
        income = [900.0, -120.0, 60.0, 300.0, 0.0]
        first = [date(2025, 3, 1), date(2026, 3, 1), date(2026, 6, 1), date(2024, 12, 1)]
        first.append(date(2024, 10, 1))
        length = [(TODAY - day).days for day in first]
        frequency = [2, 0, 1, 2, 0]
        recency = [51, None, 29, 149, 637]
        money = [1500.0, -200.0, 100.0, 500.0, 0.0]
        overdue = [0.0, 0.0, 0.0, 200.0, 0.0]
        late = [5.5, 0.0, 0.0, 82.0, 0.0]
        ratings = [(2, 0, 0), (0, 0, 0), (0, 0, 0), (0, 1, 0), (5, 4, 3)]

        known = [value for value in recency if value is not None]
        low, high = min(known), max(known)
        civ_recency = [
            0.0 if value is None else 100 - 100 * (value - low) / (high - low) for value in recency
        ]
        n_overdue, n_late = min_max(overdue), min_max(late)
        criteria = {
            "civ_cooperation": [rating[0] * 20.0 for rating in ratings],
            "civ_impression": [rating[1] * 20.0 for rating in ratings],
            "civ_viral": min_max(referrals),
            "civ_income": min_max(income),
            "civ_length": min_max(length),
            "civ_frequency": min_max(frequency),
            "civ_opportunity": [rating[2] * 20.0 for rating in ratings],
            "civ_recency": civ_recency,
            "civ_money": min_max(money),
            "civ_debt": [100 - (o + d) / 2 for o, d in zip(n_overdue, n_late, strict=True)],
        }
        for index, partner in enumerate(order):
            score = scores[partner]
            with self.subTest(partner=partner.name):
                self.assertEqual(score.referral_count, referrals[index])
                self.assertAlmostEqual(score.income, income[index])
                self.assertEqual(score.length_days, length[index])
                self.assertAlmostEqual(score.overdue_amount, overdue[index])
                self.assertAlmostEqual(score.avg_days_late, late[index])
                total = 0.0
                for fname, values in criteria.items():
                    self.assertAlmostEqual(score[fname], values[index], places=4, msg=fname)
                    total += values[index] * 10 / 100
                self.assertAlmostEqual(score.civilformd_score, total, places=3)
                expected_class = "A" if total >= 60 else "B" if total >= 35 else "C"
                self.assertEqual(score.value_class, expected_class)
        self.assertEqual(scores[self.refund_only].value_class, "C")

    def test_clv(self):
        self._compute()
        scores = self._scores()
        # previous window: regular, late, referrer; the referrer did not come back
        self.assertEqual(self.company.club_customers_previous, 3)
        self.assertEqual(self.company.club_customers_lost, 1)
        self.assertAlmostEqual(self.company.club_churn_rate, 1 / 3, places=4)
        expected = {
            self.regular: (750.0, 2.0, 4500.0),
            self.single: (100.0, 1.0, 300.0),
            self.late: (250.0, 2.0, 1500.0),
            self.refund_only: (0.0, 0.0, 0.0),
            self.referrer: (0.0, 0.0, 0.0),
        }
        for partner, (average, per_year, clv) in expected.items():
            score = scores[partner]
            with self.subTest(partner=partner.name):
                self.assertAlmostEqual(score.avg_purchase_value, average)
                self.assertAlmostEqual(score.purchases_per_year, per_year)
                self.assertAlmostEqual(score.churn_rate, 1 / 3, places=4)
                self.assertTrue(score.clv_available)
                self.assertAlmostEqual(score.clv, clv, places=2)
        self.assertEqual(scores[self.regular].clv_display, self.company.currency_id.format(4500.0))

    def test_clv_without_churn_is_na(self):
        # a year earlier nobody had bought in the window before: churn unknown
        self._compute(date=date(2025, 6, 30))
        scores = self._scores()
        self.assertFalse(self.company.club_churn_available)
        self.assertFalse(scores[self.regular].clv_available)
        self.assertEqual(scores[self.regular].clv_display, "n/a")

    def test_rerun_and_cleanup(self):
        self._compute()
        first = {
            partner: score.read(["rfm_score", "civilformd_score", "clv"])[0]
            for partner, score in self._scores().items()
        }
        self.assertEqual(self._compute(), 5)
        second = self._scores()
        self.assertEqual(len(second), 5, "no duplicate rows on rerun")
        for partner, values in first.items():
            self.assertEqual(
                second[partner].read(["rfm_score", "civilformd_score", "clv"])[0], values
            )
        # the single purchase is cancelled: the customer drops out of the scores
        invoice = self.env["account.move"].search([("partner_id", "=", self.single.id)])
        invoice.button_draft()
        invoice.button_cancel()
        self._compute()
        self.assertNotIn(self.single, self._scores())

    def test_partner_subset_and_form(self):
        self._compute(partners=self.regular)
        self.assertEqual(list(self._scores()), [self.regular], "only the asked partner is written")
        # rank is still relative to the whole company
        self.assertEqual(self._scores()[self.regular].r_score, 4)
        partner = self.regular.with_company(self.company)
        self.assertEqual(partner.club_value_class, self._scores()[self.regular].value_class)
        self.assertAlmostEqual(partner.club_rfm_score, 4.6)
        action = partner.action_club_open_score()
        self.assertEqual(action["res_id"], self._scores()[self.regular].id)

    def test_query_count_does_not_grow(self):
        self._compute()
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._compute()
        self.env.flush_all()
        queries = self.env.cr.sql_log_count - before
        for index in range(10):
            customer = self.env["res.partner"].create({"name": f"Extra {index}"})
            self._invoice(customer, "2026-04-01", index + 1, "2026-05-01")
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self._compute()
        self.env.flush_all()
        self.assertEqual(self.env.cr.sql_log_count - before, queries)
        self.assertEqual(len(self._scores()), 15)

    def test_weights_must_sum(self):
        with self.assertRaises(ValidationError):
            self.company.club_rfm_weight_recency = 0.5
        with self.assertRaises(ValidationError):
            self.company.club_weight_debt = 20.0
        with self.assertRaises(ValidationError):
            self.company.write({"club_class_a_min": 20.0, "club_class_b_min": 30.0})
        # changing several weights together through the settings is fine
        # (the settings form warns about unrelated features: muted)
        with mute_logger("odoo.tests.form.onchange"):
            settings = Form(self.env["res.config.settings"])
            settings.club_rfm_weight_recency = 0.5
            settings.club_rfm_weight_monetary = 0.2
            settings.club_weight_debt = 20.0
            settings.club_weight_cooperation = 0.0
            settings.save().execute()
        self.assertAlmostEqual(self.company.club_rfm_weight_recency, 0.5)
        self.assertAlmostEqual(self.company.club_weight_debt, 20.0)
        # and a wrong sum through the settings is refused, nothing saved
        with mute_logger("odoo.tests.form.onchange"):
            settings = Form(self.env["res.config.settings"])
            settings.club_rfm_weight_frequency = 0.9
            with self.assertRaises(ValidationError):
                settings.save().execute()
        self.assertAlmostEqual(self.company.club_rfm_weight_frequency, 0.3)

    def test_weights_change_scores(self):
        self.company.write(
            {
                "club_rfm_weight_recency": 1.0,
                "club_rfm_weight_frequency": 0.0,
                "club_rfm_weight_monetary": 0.0,
            }
        )
        self._compute()
        self.assertAlmostEqual(self._scores()[self.single].rfm_score, 5.0)

    def test_ratings_are_bounded(self):
        with self.assertRaises(ValidationError):
            self.regular.club_cooperation = 6
        with self.assertRaises(ValidationError):
            self.regular.club_opportunity = -1
        with self.assertRaises(ValidationError):
            self.env["loyalty.club.segment"].create(
                {"name": "Bad", "recency_min": 4, "recency_max": 2}
            )

    def test_access(self):
        self._compute()
        salesman = new_test_user(
            self.env,
            login="club_salesman",
            groups="sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        scores = self.Score.with_user(salesman).search([("company_id", "=", self.company.id)])
        self.assertEqual(len(scores), 5, "salesmen read the scores")
        with self.assertRaises(AccessError):
            self.Score.with_user(salesman).action_compute_scores()
        self.assertEqual(
            self.regular.with_user(salesman).with_company(self.company).club_value_class,
            scores.filtered(lambda s: s.partner_id == self.regular).value_class,
        )
        employee = new_test_user(
            self.env,
            login="club_employee",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(
            self.regular.with_user(employee).club_value_class, "no scores without sales rights"
        )
        other = self.env["res.company"].create({"name": "Other Club Company"})
        outsider = new_test_user(
            self.env,
            login="club_other_company",
            groups="sales_team.group_sale_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(
            self.Score.with_user(outsider).search([("company_id", "=", self.company.id)])
        )

    def test_xlsx_export(self):
        self._compute()
        scores = self.Score.search([("company_id", "=", self.company.id)])
        action = scores.action_export_xlsx()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas)))
        sheet = book.active
        header = [cell.value for cell in sheet[1]]
        self.assertIn("Customer", header)
        self.assertIn("CIVILFORMD Score", header)
        self.assertEqual(sheet.max_row, 6, "a header and five customers")
        names = {sheet.cell(row=row, column=1).value for row in range(2, 7)}
        self.assertEqual(names, set(self.customers.mapped("display_name")))

    def test_settled_by_credit_note_same_rule_wizard_or_by_hand(self):
        """An invoice settled by a credit note is late until the credit note's date,
        whether the credit note came from the reversal wizard or was matched by hand."""
        by_wizard, by_hand = self.env["res.partner"].create(
            [{"name": "Reversed By Wizard"}, {"name": "Matched By Hand"}]
        )
        invoice = self._invoice(by_wizard, "2026-04-01", 2, "2026-04-11")
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {"reason": "Returned", "journal_id": invoice.journal_id.id, "date": "2026-05-01"}
            )
        )
        reversal.modify_moves()  # full refund, reconciled with the invoice
        self.assertEqual(invoice.payment_state, "reversed")
        invoice = self._invoice(by_hand, "2026-04-01", 2, "2026-04-11")
        refund = self._invoice(by_hand, "2026-05-01", 2, "2026-05-01", move_type="out_refund")
        (invoice | refund).line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        self.assertIn(invoice.payment_state, ("paid", "reversed"))
        self._compute()
        scores = self._scores()
        self.assertEqual(scores[by_wizard].avg_days_late, 20.0, "late from 04-11 to 05-01")
        self.assertEqual(scores[by_hand].avg_days_late, scores[by_wizard].avg_days_late)
        self.assertEqual(scores[by_hand].civ_debt, scores[by_wizard].civ_debt)
