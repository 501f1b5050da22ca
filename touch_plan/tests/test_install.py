from odoo.tests import TransactionCase, tagged

from .common import AddonUiCheckMixin


@tagged("post_install", "-at_install")
class TestTouchPlanInstall(AddonUiCheckMixin, TransactionCase):
    _addon = "touch_plan"
    _manager_groups = "touch_plan.touch_plan_group_manager"
    _guarded_models = ("touch.plan",)

    def test_menus_open_for_managers(self):
        self.assert_menus_open()

    def test_nothing_without_the_groups(self):
        self.assert_no_access_without_groups()

    def test_demo_shows_a_working_day(self):
        """With demo data, the demo rep (login rep) finds the day's calls, cards
        and gifts in their activities on the clients; nothing belongs to OdooBot."""
        if not self.env["ir.module.module"]._get("touch_plan").demo:
            return  # installed without demo data: nothing to show
        rep = self.env.ref("touch_plan.user_touch_plan_rep_demo")
        self.assertEqual(rep.login, "rep")
        self.assertTrue(rep.has_group("touch_plan.touch_plan_group_user"))
        activities = (
            self.env["mail.activity"]
            .with_user(rep)
            .search([("user_id", "=", rep.id), ("touch_plan_touch_id", "!=", False)])
        )
        self.assertEqual(set(activities.mapped("res_model")), {"res.partner"})
        touches = activities.touch_plan_touch_id
        self.assertTrue({"call", "gift"} <= set(touches.mapped("channel")), "calls and gifts")
        root = self.env.ref("base.user_root")
        demo_enrollments = self.env["touch.plan.enrollment"].search(
            [("partner_id", "in", self.env.ref("base.res_partner_2").ids)]
        )
        self.assertEqual(set(demo_enrollments.mapped("user_id")), {rep})
        clients = [
            self.env.ref(xmlid).id
            for xmlid in ("base.res_partner_2", "base.res_partner_3", "base.res_partner_4")
        ]
        self.assertFalse(
            self.env["touch.plan.touch"].search_count(
                [("user_id", "=", root.id), ("partner_id", "in", clients)]
            ),
            "no demo touch is OdooBot's",
        )
