import base64
import io

import openpyxl

from odoo.tests import new_test_user, tagged

from .common import TODAY, ClubReviewCommon


@tagged("post_install", "-at_install")
class TestClubReports(ClubReviewCommon):
    def _rows(self, model, domain=None):
        return self.env[model].search([("company_id", "=", self.company.id), *(domain or [])])

    def _xlsx_rows(self, records):
        action = records.action_export_xlsx()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        datas = self.env["ir.attachment"].browse(attachment_id).datas
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(datas))).active
        return [[cell.value for cell in row] for row in sheet.iter_rows()]

    def test_pareto(self):
        self._compute()
        rows = {row.partner_id: row for row in self._rows("loyalty.club.pareto.report")}
        # revenue: regular 1500, late 500, single 100, referrer 0, refund only -200
        # total positive revenue 2100
        expected = [
            (self.regular, 1, 1500 / 21, 1500 / 21, "A"),
            (self.late, 2, 500 / 21, 2000 / 21, "A"),
            (self.single, 3, 100 / 21, 2100 / 21, "C"),
            (self.referrer, 4, 0.0, 2100 / 21, "C"),
            (self.refund_only, 5, -200 / 21, 1900 / 21, "C"),
        ]
        for partner, rank, share, cumulative, pareto_class in expected:
            row = rows[partner]
            with self.subTest(partner=partner.name):
                self.assertEqual(row.rank, rank)
                self.assertAlmostEqual(row.revenue_share, share, places=4)
                self.assertAlmostEqual(row.cumulative_share, cumulative, places=4)
                self.assertEqual(row.pareto_class, pareto_class)
                self.assertEqual(row.is_top_20, rank == 1, "top 20 % of 5 customers is 1")
                self.assertAlmostEqual(row.top_20_share, 1500 / 21, places=4)
                self.assertEqual(row.value_class, self._scores()[partner].value_class)
        # what a user reads in the pivot with the "Top 20 %" filter
        groups = self.env["loyalty.club.pareto.report"]._read_group(
            [("company_id", "=", self.company.id), ("is_top_20", "=", True)],
            [],
            ["revenue_share:sum", "__count"],
        )
        self.assertAlmostEqual(groups[0][0], 1500 / 21, places=4)
        self.assertEqual(groups[0][1], 1)
        sheet = self._xlsx_rows(self._rows("loyalty.club.pareto.report"))
        self.assertEqual(len(sheet), 6)
        self.assertEqual(sheet[1][1], self.regular.display_name)

    def test_points_liability(self):
        self.company.club_point_cost = 0.05
        self._issue(self.regular, 150, "2027-01-31")
        self._issue(self.late, 600, "2027-03-10")
        self._issue(self.single, 50, "2027-03-31")
        self.env.flush_all()
        groups = self.env["loyalty.club.points.report"]._read_group(
            [("company_id", "=", self.company.id)],
            ["expiry_date:month"],
            ["points:sum", "liability:sum"],
        )
        by_month = {
            month.strftime("%Y-%m"): (points, liability) for month, points, liability in groups
        }
        self.assertEqual(set(by_month), {"2027-01", "2027-03"})
        self.assertAlmostEqual(by_month["2027-01"][0], 150)
        self.assertAlmostEqual(by_month["2027-01"][1], 7.5)
        self.assertAlmostEqual(by_month["2027-03"][0], 650)
        self.assertAlmostEqual(by_month["2027-03"][1], 32.5)
        rows = self._rows("loyalty.club.points.report")
        self.assertEqual(rows.currency_id, self.company.currency_id)
        sheet = self._xlsx_rows(rows)
        self.assertEqual(len(sheet), 4)

    def test_points_liability_of_a_club_shared_by_companies(self):
        """A club without company: each batch is valued by the company that issued it,
        not given to the lowest-id company."""
        self.program.company_id = False
        second = self.env["res.company"].create({"name": "Second Club Company"})
        second.club_point_cost = 0.1
        self.company.club_point_cost = 0.05
        clerk = new_test_user(
            self.env,
            login="second_company_clerk",
            groups="sales_team.group_sale_salesman",
            company_id=second.id,
            company_ids=[second.id],
        )
        self._issue(self.regular, 100, "2027-01-31")
        self.env["loyalty.history"].with_user(clerk).sudo().create(
            {
                "card_id": self.card_of[self.late].id,
                "description": "Sold by the second company",
                "issued": 40,
                "expiry_date": "2027-01-31",
                "move_type": "issue",
            }
        )
        self.env.flush_all()
        rows = (
            self.env["loyalty.club.points.report"]
            .sudo()
            .search([("program_id", "=", self.program.id)])
        )
        by_company = {
            company: (
                sum(r.points for r in rows if r.company_id == company),
                sum(r.liability for r in rows if r.company_id == company),
            )
            for company in rows.company_id
        }
        self.assertEqual(by_company, {self.company: (100.0, 5.0), second: (40.0, 4.0)})

    def test_tier_movements(self):
        self._issue(self.regular, 150, "2027-01-31")
        self._issue(self.late, 600, "2027-03-10")
        # reaching a threshold may upgrade at once: let the review do the moves
        self.cards.sudo().write({"club_tier_id": self.silver.id})
        review = self.program._club_run_review()
        self.env.flush_all()
        rows = self._rows("loyalty.club.tier.report", [("review_id", "=", review.id)])
        self.assertEqual(len(rows), 5)
        moved = {row.partner_id: (row.tier_before_id, row.tier_after_id, row.move) for row in rows}
        self.assertEqual(moved[self.regular], (self.silver, self.gold, "up"))
        self.assertEqual(moved[self.late], (self.silver, self.platinum, "up"))
        self.assertEqual(moved[self.single], (self.silver, self.silver, "same"))
        groups = dict(
            self.env["loyalty.club.tier.report"]._read_group(
                [("review_id", "=", review.id)], ["tier_after_id"], ["member_count:sum"]
            )
        )
        self.assertEqual(groups, {self.silver: 3, self.gold: 1, self.platinum: 1})
        self.assertEqual(
            rows.filtered(lambda row: row.partner_id == self.regular).value_class,
            self._scores()[self.regular].value_class,
        )
        sheet = self._xlsx_rows(rows)
        self.assertEqual(len(sheet), 6)

    def test_score_distribution(self):
        self._compute(date=TODAY)
        groups = dict(
            self.env["loyalty.club.score"]._read_group(
                [("company_id", "=", self.company.id)], ["segment_id"], ["__count"]
            )
        )
        self.assertEqual(
            {segment.name: count for segment, count in groups.items()},
            {"Champions": 1, "Loyal": 2, "Hibernating": 1, "Lost": 1},
        )
