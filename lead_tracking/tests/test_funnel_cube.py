from datetime import datetime

from odoo.tests import tagged

from .common import LeadTrackingCase

MEASURES = [
    "__count",
    "lead_count:sum",
    "opportunity_count:sum",
    "won_count:sum",
    "lost_count:sum",
    "late_count:sum",
    "conversion_rate:avg",
    "opportunity_rate:avg",
    "opportunity_win_rate:avg",
    "closed_win_rate:avg",
    "won_revenue:sum",
    "response_time:avg",
    "response_working_time:avg",
    "days_to_close:avg",
]


def rounded(rows):
    return [
        tuple(round(value, 9) if isinstance(value, float) else value for value in row)
        for row in rows
    ]


@tagged("post_install", "-at_install")
class TestFunnelCube(LeadTrackingCase):
    """The funnel report answers from its pre-aggregated cube with the very
    figures of the one-row-per-lead view, whatever happens to the leads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.co = cls.env["res.company"].create({"name": "LT Cube Co"})
        (cls.salesman | cls.other_salesman | cls.manager).company_ids |= cls.co
        cls.Report = cls.env["lead.tracking.funnel.report"].with_context(
            allowed_company_ids=[cls.co.id, cls.env.company.id]
        )
        cls.open_stage = cls.env["crm.stage"].search([("is_won", "=", False)], limit=1)

    def _lead(self, when, source, **vals):
        vals.setdefault("company_id", self.co.id)
        vals.setdefault("team_id", False)
        vals.setdefault("user_id", False)
        return self.create_lead(when, source_id=source.id, **vals)

    def _make_leads(self):
        self.leads = self.env["crm.lead"]
        for when, source, vals in [
            ("2026-01-10 10:00:00", self.source_social, {"expected_revenue": 1000}),
            ("2026-01-31 23:50:00", self.source_social, {"user_id": self.salesman.id}),
            ("2026-02-01 00:10:00", self.source_event, {"type": "opportunity"}),
            ("2026-02-14 09:00:00", self.source_event, {"user_id": self.other_salesman.id}),
            ("2026-02-28 23:30:00", self.source_web, {"expected_revenue": 300}),
            ("2026-03-15 12:00:00", self.source_web, {"medium_id": self.medium_cpc.id}),
        ]:
            self.leads |= self._lead(when, source, **vals)
        self.leads[0].action_set_won()
        self.leads[4].action_set_won()
        self.leads[3].action_set_lost()
        self.env.flush_all()

    def _figures(self, domain=(), groupby=("channel", "create_date:month"), report=None):
        report = self.Report if report is None else report
        domain = [("company_id", "=", self.co.id), *domain]
        cube = report._read_group(domain, list(groupby), MEASURES)
        view = report.with_context(lead_tracking_funnel_from_view=True)._read_group(
            domain, list(groupby), MEASURES
        )
        # the same figures; durations to 1e-9 (the view sums them in floating point,
        # the cube exactly)
        self.assertEqual(rounded(cube), rounded(view), "the cube gives the view's figures")
        return cube

    def assertFromCube(self, domain=(), groupby=("channel", "create_date:month"), report=None):
        report = self.Report if report is None else report
        cube_domain = report._funnel_cube_domain(
            [("company_id", "=", self.co.id), *domain], list(groupby), MEASURES, (), 0, None, None
        )
        self.assertIsNotNone(cube_domain, "the cube answers this grouping")

    def test_cube_follows_every_change_of_the_leads(self):
        self._make_leads()
        self.assertFromCube()
        rows = self._figures()
        self.assertEqual(len(rows), 4)
        self.assertEqual(sum(row[2] for row in rows), 6)
        # write: source, salesperson, revenue, type
        self.leads[1].write({"source_id": self.source_event.id, "expected_revenue": 50})
        self.leads[2].write({"user_id": self.salesman.id, "type": "lead"})
        self.leads[0].expected_revenue = 1200
        self._figures()
        # stage change: won, then back to an open stage
        self.leads[5].stage_id = self.won_stage
        [won] = self.Report._read_group(
            [("company_id", "=", self.co.id), ("won_count", "=", 1)], [], ["lead_count:sum"]
        )
        self.assertEqual(won, (3,))
        self._figures()
        self.leads[5].stage_id = self.open_stage
        self._figures()
        # a stage that becomes a won stage counts its leads as won
        self.open_stage.is_won = True
        self._figures()
        self.open_stage.is_won = False
        # merge: the head keeps the figures of what it became, the others are gone
        pair = self.leads[2] | self.leads[3]
        pair.action_unarchive()
        pair.type = "opportunity"
        pair._merge_opportunity(auto_unlink=True)
        self.assertEqual(len(pair.exists()), 1)
        self._figures()
        # unlink, archive, restore
        self.leads[4].unlink()
        self.leads[1].action_archive()
        self._figures()
        self.leads[1].action_unarchive()
        rows = self._figures()
        self.assertEqual(sum(row[2] for row in rows), 4)
        # a lead moved to another company leaves this one's figures
        self.leads[0].company_id = self.env.company
        self._figures()
        self._figures(groupby=["company_id", "stage_id", "user_id"])

    def test_compaction_keeps_the_figures(self):
        self._make_leads()
        self.leads[1].source_id = self.source_event
        self.leads[5].unlink()
        self.env.flush_all()
        Cube = self.env["lead.tracking.funnel.cube"]
        before = self._figures(groupby=["source_id", "create_date:quarter"])
        rows_before = Cube.search_count([])
        Cube._cron_compact()
        self.assertEqual(self._figures(groupby=["source_id", "create_date:quarter"]), before)
        self.assertLess(Cube.search_count([]), rows_before, "signed rows merged")
        self.assertFalse(Cube.search_count([("lead_count", "=", 0)]), "emptied keys dropped")
        Cube._rebuild()
        self.assertEqual(self._figures(groupby=["source_id", "create_date:quarter"]), before)

    def test_month_in_the_users_time_zone(self):
        """31 January 23:50 UTC is February in Brussels (UTC+1) and Kathmandu
        (UTC+5:45), 28 February 23:30 UTC is March there."""
        self._make_leads()
        for tz, per_month in (
            ("UTC", [2, 3, 1]),
            ("Europe/Brussels", [1, 3, 2]),
            ("Asia/Kathmandu", [1, 3, 2]),
        ):
            report = self.Report.with_context(tz=tz)
            self.assertFromCube(groupby=["create_date:month"], report=report)
            rows = self._figures(groupby=["create_date:month"], report=report)
            self.assertEqual([count for _month, count, *_rest in rows], per_month, tz)

    def test_date_filters_of_the_search_view(self):
        """The search view's month filter in Brussels: from 28 February 23:00 UTC to
        31 March 21:59:59 UTC; a lead at 21:59:59.5 is not in March."""
        self._make_leads()
        self._lead(datetime(2026, 3, 31, 21, 59, 59), self.source_web)
        late = self._lead(datetime(2026, 3, 31, 21, 59, 50), self.source_web)
        self._lead(datetime(2026, 3, 31, 22, 0, 0), self.source_web)
        self.env.flush_all()
        # as an import would write it (the ORM writes whole seconds)
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = '2026-03-31 21:59:59.5' WHERE id = %s", [late.id]
        )
        self.env.invalidate_all()
        report = self.Report.with_context(tz="Europe/Brussels")
        march = [
            "&",
            ("create_date", ">=", "2026-02-28 23:00:00"),
            ("create_date", "<=", "2026-03-31 21:59:59"),
        ]
        self.assertFromCube(march, report=report)
        rows = self._figures(march, groupby=["channel"], report=report)
        self.assertEqual(sum(row[1] for row in rows), 3, "28 Feb 23:30, 15 Mar, 31 Mar 21:59:59")
        after = [("create_date", ">", "2026-03-31 21:59:59")]
        self.assertFromCube(after, report=report)
        rows = self._figures(after, groupby=["channel"], report=report)
        self.assertEqual(sum(row[1] for row in rows), 2)
        # whole days as the ORM reads them, and a bound inside a day: the view
        days = [("create_date", ">=", "2026-02-01"), ("create_date", "<=", "2026-02-28")]
        self.assertFromCube(days)
        self._figures(days)
        noon = [("create_date", ">=", "2026-03-15 11:00:00")]
        self.assertIsNone(
            self.Report._funnel_cube_domain(noon, ["channel"], MEASURES, (), 0, None, None)
        )
        self._figures(noon)

    def test_what_the_cube_cannot_answer_goes_to_the_view(self):
        self._make_leads()
        Report = self.Report
        for groupby in (["partner_id"], ["lead_id"], ["create_date:day"], ["create_date:week"]):
            self.assertIsNone(
                Report._funnel_cube_domain([], groupby, MEASURES, (), 0, None, None), groupby
            )
            self._figures(groupby=groupby)
        self.assertIsNone(
            Report._funnel_cube_domain(
                [("partner_id", "=", False)], [], MEASURES, (), 0, None, None
            )
        )
        self.assertIsNone(
            Report._funnel_cube_domain([], ["channel"], ["lead_count:max"], (), 0, None, None)
        )
        # Liberia was UTC-0:44:30 until 1972: its months are not made of the cube's buckets
        liberia = Report.with_context(tz="Africa/Monrovia")
        self.assertIsNone(
            liberia._funnel_cube_domain([], ["create_date:month"], MEASURES, (), 0, None, None)
        )
        self._figures(groupby=["create_date:month"], report=liberia)
        self.assertFalse(Report.with_context(tz="Nowhere/Atlantis")._funnel_cube_tz_ok())
        self.assertTrue(Report.with_context(tz="Asia/Kolkata")._funnel_cube_tz_ok())

    def test_record_rules(self):
        """A salesman's own-leads rule is on the salesperson, which the cube keeps:
        the cube answers with the rule; a rule on another field sends the report to
        the view."""
        self._make_leads()
        report = self.Report.with_user(self.salesman)
        self.assertFromCube(report=report)
        rows = self._figures(groupby=["user_id"], report=report)
        self.assertEqual(
            {user.id: count for user, count, *_rest in rows},
            {False: 4, self.salesman.id: 1},
            "own and unassigned leads, not the other salesman's",
        )
        self.env["ir.rule"].create(
            {
                "name": "Funnel: leads with a customer only",
                "model_id": self.env["ir.model"]._get_id("lead.tracking.funnel.report"),
                "domain_force": "[('partner_id', '!=', False)]",
            }
        )
        self.leads[:2].partner_id = self.customer
        self.env.flush_all()
        self.assertIsNone(
            report._funnel_cube_domain([], ["channel"], MEASURES, (), 0, None, None),
            "a rule on the customer: the view",
        )
        [(count,)] = report._read_group([("company_id", "=", self.co.id)], [], ["__count"])
        expected = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            .search_count(
                [
                    ("company_id", "=", self.co.id),
                    ("partner_id", "!=", False),
                    "|",
                    ("user_id", "=", self.salesman.id),
                    ("user_id", "=", False),
                ]
            )
        )
        self.assertTrue(expected)
        self.assertEqual(count, expected, "own or unassigned leads with a customer")
