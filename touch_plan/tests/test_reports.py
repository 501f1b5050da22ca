from lxml import etree

from odoo.tests import tagged, users

from .common_reports import TouchPlanReportCase


@tagged("post_install", "-at_install")
class TestTouchPlanReports(TouchPlanReportCase):
    def _touch_rows(self, groupby, domain=None):
        Report = self.env["touch.plan.touch.report"]
        rows = Report._read_group(
            [("partner_id", "in", (self.client_a | self.client_b).ids), *(domain or [])],
            groupby,
            [
                "touch_count:sum",
                "done_count:sum",
                "due_count:sum",
                "on_time_count:sum",
                "referral_count:sum",
                "on_time_rate:avg",
                "referral_rate:avg",
            ],
        )
        return {row[: len(groupby)]: row[len(groupby) :] for row in rows}

    def test_touch_report_rates_by_kind(self):
        """On-time rate and referrals per 100 touches match the hand computation."""
        rows = self._touch_rows(["kind"])
        # call: 5 touches, 2 done, 4 due (1, 2, 3, 4), 1 on time, 1 referral
        self.assertEqual(rows[("call",)][:5], (5, 2, 4, 1, 1))
        self.assertAlmostEqual(rows[("call",)][5], 25.0)
        self.assertAlmostEqual(rows[("call",)][6], 50.0)
        # gift: the cancelled touch is left out; 1 done on time with 1 referral
        self.assertEqual(rows[("gift",)][:5], (1, 1, 1, 1, 1))
        self.assertAlmostEqual(rows[("gift",)][5], 100.0)
        self.assertAlmostEqual(rows[("gift",)][6], 100.0)
        total = self._touch_rows([])[()]
        self.assertAlmostEqual(total[5], 40.0)  # 2 on time of 5 due
        self.assertAlmostEqual(total[6], 200 / 3)  # 2 referrals for 3 done touches

    def test_touch_report_by_plan_rep_state_month(self):
        rows = self._touch_rows(["plan_id"])
        self.assertAlmostEqual(rows[(self.plan,)][6], 50.0)
        self.assertAlmostEqual(rows[(self.plan_small,)][6], 100.0)
        by_state = self._touch_rows(["state"])
        self.assertEqual(
            {state: row[0] for (state,), row in by_state.items()},
            {
                "done": 3,
                "skipped": 1,
                "planned": 2,
            },
        )
        by_rep = self._touch_rows(["user_id"])
        self.assertEqual(by_rep[(self.rep1,)][0], 5)
        self.assertEqual(by_rep[(self.rep2,)][0], 1)
        by_month = self._touch_rows(["scheduled_date:month", "channel"])
        self.assertEqual(sum(row[0] for row in by_month.values()), 6)

    def test_touch_report_pivot_read_group(self):
        """The pivot's read_group averages the rates (the web client's call)."""
        groups = self.env["touch.plan.touch.report"].read_group(
            [("partner_id", "in", (self.client_a | self.client_b).ids)],
            ["on_time_rate", "referral_rate", "touch_count"],
            ["kind"],
        )
        by_kind = {group["kind"]: group for group in groups}
        self.assertAlmostEqual(by_kind["call"]["on_time_rate"], 25.0)
        self.assertAlmostEqual(by_kind["gift"]["referral_rate"], 100.0)
        self.assertEqual(by_kind["call"]["touch_count"], 5)

    def test_client_report_on_track(self):
        """A is behind (2 done, 12 * 101 / 365 = 3.3 expected); B is on track."""
        Report = self.env["touch.plan.client.report"]
        rows = Report.search([("partner_id", "in", (self.client_a | self.client_b).ids)])
        self.assertEqual(len(rows), 2)
        row_a = rows.filtered(lambda r: r.partner_id == self.client_a)
        self.assertRecordValues(
            row_a,
            [
                {
                    "enrollment_id": self.enrollment_a.id,
                    "done_count": 2,
                    "open_count": 2,
                    "skipped_count": 1,
                    "target": 12,
                    "on_track": False,
                    "is_current_cycle": True,
                    "user_id": self.rep1.id,
                }
            ],
        )
        self.assertAlmostEqual(row_a.expected_count, 3.3)
        self.assertTrue(rows.filtered(lambda r: r.partner_id == self.client_b).on_track)
        [(share,)] = Report._read_group([("id", "in", rows.ids)], [], ["on_track_rate:avg"])
        self.assertAlmostEqual(share, 50.0)

    @users("tp_report_rep1")
    def test_report_access_own_clients(self):
        """A rep analyses only the touches and clients they are responsible for."""
        touches = self.env["touch.plan.touch.report"].search([])
        self.assertEqual(touches.partner_id, self.client_a)
        clients = self.env["touch.plan.client.report"].search([])
        self.assertEqual(clients.partner_id, self.client_a)

    @users("tp_report_manager")
    def test_report_access_manager(self):
        touches = self.env["touch.plan.touch.report"].search(
            [("partner_id", "in", (self.client_a | self.client_b).ids)]
        )
        self.assertEqual(len(touches), 6)

    def test_report_views_and_actions_open(self):
        """Every reporting menu opens with its views and default groupings."""
        for xmlid in (
            "touch_plan.touch_plan_touch_report_action",
            "touch_plan.touch_plan_touch_report_action_referral",
            "touch_plan.touch_plan_touch_report_action_on_time",
            "touch_plan.touch_plan_touch_report_action_email",
            "touch_plan.touch_plan_client_report_action",
        ):
            action = self.env["ir.actions.actions"]._for_xml_id(xmlid)
            model = self.env[action["res_model"]]
            views = model.get_views([(False, mode) for mode in action["view_mode"].split(",")])
            self.assertEqual(set(views["views"]), set(action["view_mode"].split(",")), xmlid)
        menu = self.env.ref("touch_plan.touch_plan_menu_reporting")
        self.assertEqual(len(menu.child_id), 6)

    def test_rates_not_added_up_and_default_filters_combined(self):
        """The on-time graph draws one unstacked line per rep (rates are not
        summed), and Clients on Track opens on current cycles AND running
        enrolments, not either."""
        action = self.env["ir.actions.actions"]._for_xml_id(
            "touch_plan.touch_plan_touch_report_action_on_time"
        )
        arch = self.env["touch.plan.touch.report"].get_views([(action["view_id"][0], "graph")])
        graph = etree.fromstring(arch["views"]["graph"]["arch"])
        self.assertEqual((graph.get("type"), graph.get("stacked")), ("line", "0"))
        search = self.env["touch.plan.client.report"].get_views([(False, "search")])
        nodes = etree.fromstring(search["views"]["search"]["arch"])
        current = nodes.find(".//filter[@name='filter_current']")
        self.assertEqual(current.getnext().tag, "separator")
        self.assertEqual(current.getnext().getnext().get("name"), "filter_running")
        # as the web client combines them: both conditions hold for every row
        rows = self.env["touch.plan.client.report"].search(
            [("is_current_cycle", "=", True), ("enrollment_state", "in", ("active", "paused"))]
        )
        self.assertTrue(rows)

    def test_report_action_open_touch(self):
        row = self.env["touch.plan.touch.report"].search([("touch_id", "=", self.touches[0].id)])
        action = row.action_open_touch()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("touch.plan.touch", row.touch_id.id)
        )
