from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged, users

from .common_touch import TouchPlanCase


@tagged("post_install", "-at_install")
class TestTouchAccess(TouchPlanCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_rep = new_test_user(
            cls.env, login="tp_other_rep", groups="touch_plan.touch_plan_group_user"
        )
        cls.manager = new_test_user(
            cls.env, login="tp_manager", groups="touch_plan.touch_plan_group_manager"
        )
        with freeze_time("2027-01-10"):
            cls.client_a = cls._create_client("Rep Client", key_dates=False)
            cls.client_b = cls._create_client(
                "Other Client", key_dates=False, user_id=cls.other_rep.id
            )
            cls.enrollment_a = cls.client_a._touch_plan_enroll(cls.lifetime)
            cls.enrollment_b = cls.client_b._touch_plan_enroll(cls.lifetime)
            (cls.enrollment_a | cls.enrollment_b)._generate_touches()

    @users("tp_rep")
    def test_rep_sees_own_clients_touches_only(self):
        touches = self.env["touch.plan.touch"].search([])
        self.assertTrue(touches)
        self.assertEqual(touches.partner_id, self.client_a)
        self.assertEqual(self.env["touch.plan.enrollment"].search([]), self.enrollment_a)
        other_touch = self.enrollment_b.touch_ids[0].with_env(self.env)
        with self.assertRaises(AccessError):
            other_touch.read(["name"])
        with self.assertRaises(AccessError):
            self.enrollment_b.with_env(self.env).write({"state": "paused"})
        # the rep cannot edit plans
        with self.assertRaises(AccessError):
            self.lifetime.with_env(self.env).write({"name": "Mine"})
        # the partner form counters only count what the rep may see
        partner = self.client_a.with_env(self.env)
        self.assertEqual(partner.touch_year_target, 33)

    def test_rep_opens_a_sent_email_touch(self):
        newsletter = self.enrollment_a.touch_ids.filtered(lambda t: t.kind == "newsletter")[0]
        with freeze_time(newsletter.scheduled_date):
            newsletter._process_due()
        self.assertEqual(newsletter.state, "done")
        touch_form = Form(newsletter.with_user(self.rep))
        self.assertEqual(touch_form.state, "done")
        self.assertEqual(touch_form.message_sent_id, newsletter.message_sent_id)

    @users("tp_rep")
    def test_rep_enrolls_from_the_form(self):
        client = self.client_a.with_env(self.env)
        with Form(self.env["touch.plan.enrollment"]) as enrollment_form:
            enrollment_form.plan_id = self.advocate.with_env(self.env)
            enrollment_form.partner_id = client
        enrollment = enrollment_form.record
        self.assertEqual((enrollment.res_model, enrollment.res_id), ("res.partner", client.id))
        self.assertEqual(enrollment.user_id, self.rep)
        self.assertIn(enrollment, client.touch_plan_enrollment_ids)

    @users("tp_manager")
    def test_manager_sees_everything(self):
        touches = self.env["touch.plan.touch"].search([])
        self.assertLessEqual(self.client_a | self.client_b, touches.partner_id)
        self.enrollment_b.with_env(self.env).action_pause()
        self.assertEqual(self.enrollment_b.state, "paused")
        self.lifetime.with_env(self.env).write({"activity_days_ahead": 5})

    def test_partner_form_without_touch_plan_groups(self):
        """Contacts still open for users outside the touch plan groups."""
        salesman = new_test_user(
            self.env, login="tp_plain", groups="base.group_user,base.group_partner_manager"
        )
        with Form(self.client_a.with_user(salesman)) as partner_form:
            partner_form.name = "Renamed Client"
        self.assertEqual(self.client_a.name, "Renamed Client")
        self.assertEqual(self.client_a.with_user(salesman).referral_count, 0)

    def test_multi_company(self):
        other_company = self.env["res.company"].create({"name": "Other Firm"})
        foreign = self.env["touch.plan"].create(
            {"name": "Other firm plan", "company_id": other_company.id}
        )
        manager = self.manager.with_user(self.manager)
        self.assertNotIn(foreign, manager.env["touch.plan"].search([]))
