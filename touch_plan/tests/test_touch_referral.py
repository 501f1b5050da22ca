import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common_touch import TouchPlanCase


@tagged("post_install", "-at_install")
class TestTouchReferral(TouchPlanCase):
    def test_first_referral_moves_to_advocates(self):
        with freeze_time("2027-01-10"):
            referrer = self._create_client("Referrer")
            lifetime = referrer._touch_plan_enroll(self.lifetime)
        with freeze_time("2027-02-01"):
            self._run_cron()
        last_touch = lifetime.touch_ids.filtered(lambda t: t.state == "done")
        self.assertEqual(len(last_touch), 1)
        with freeze_time("2027-02-10"):
            referred = self.env["res.partner"].create(
                {"name": "New Friend", "referred_by_id": referrer.id}
            )
        self.assertEqual(referred.referral_touch_id, last_touch)
        self.assertEqual(referred.referral_date, datetime.date(2027, 2, 10))
        self.assertEqual(referrer.referral_count, 1)
        self.assertEqual(referrer.referral_ids, referred)
        # history kept: Lifetime done with a reason, Advocates running
        self.assertEqual(lifetime.state, "done")
        self.assertIn("Advocates", lifetime.end_reason)
        self.assertEqual(last_touch.state, "done", "done touches stay")
        advocate = referrer._touch_plan_get_running_enrollments()
        self.assertEqual(advocate.plan_id, self.advocate)
        self.assertEqual(advocate.previous_enrollment_id, lifetime)
        thanks = advocate.touch_ids.filtered(lambda t: t.step_id.timing == "referral")
        self.assertEqual(len(thanks), 1)
        self.assertEqual(thanks.scheduled_date, datetime.date(2027, 2, 10))
        self.assertEqual(
            self._kinds(advocate.touch_ids - thanks),
            {"newsletter": 12, "holiday_card": 7, "call": 5, "occasion_card": 4, "gift": 2},
        )
        # a second referral thanks again, without moving anyone
        with freeze_time("2027-03-01"):
            second = self._create_client("Second Friend", key_dates=False)
            second.referred_by_id = referrer
            self._run_cron()
        self.assertEqual(referrer._touch_plan_get_running_enrollments(), advocate)
        thanks = advocate.touch_ids.filtered(lambda t: t.step_id.timing == "referral")
        self.assertEqual(len(thanks), 2)
        self.assertEqual(set(thanks.mapped("state")), {"done"}, "thank-you emails sent")

    @freeze_time("2027-01-10")  # a cycle holding both moving holidays' dates
    def test_enroll_wizard(self):
        clients = self._create_client("Wizard A") | self._create_client("Wizard B")
        # the list view's action menu opens the same wizard
        server_action = self.env.ref("touch_plan.res_partner_action_touch_plan_enroll")
        action = server_action.with_context(
            active_model="res.partner", active_ids=clients.ids
        ).run()
        self.assertEqual(action["res_model"], "touch.plan.enroll.wizard")
        wizard = Form(self.env["touch.plan.enroll.wizard"].with_context(**action["context"]))
        wizard.plan_id = self.lifetime
        wizard.save().action_enroll()
        enrollments = clients._touch_plan_get_running_enrollments(self.lifetime)
        self.assertEqual(len(enrollments), 2)
        self.assertEqual(enrollments.user_id, self.rep)
        self.assertTrue(all(enrollments.mapped("touches_generated")))
        self.assertEqual(len(enrollments.touch_ids), 60)

    def test_auto_enroll_domain(self):
        self.lifetime.write(
            {"auto_enroll": True, "auto_enroll_domain": "[('ref', '=', 'TP-AUTO')]"}
        )
        client = self._create_client("Auto", ref="TP-AUTO")
        self._run_cron()
        self._run_cron()
        enrollment = client._touch_plan_get_running_enrollments(self.lifetime)
        self.assertEqual(len(enrollment), 1)
        self.assertTrue(enrollment.touch_ids)

    def test_bad_input(self):
        empty = self.env["touch.plan"].create({"name": "Empty plan"})
        client = self._create_client("Bad", key_dates=False)
        with self.assertRaisesRegex(UserError, "has no steps"):
            client._touch_plan_enroll(empty)
        step_values = {
            "plan_id": empty.id,
            "name": "Bad step",
            "kind": "call",
            "timing": "spread",
            "channel": "call",
        }
        with self.assertRaisesRegex(ValidationError, "at least one touch"):
            self.env["touch.plan.step"].create(dict(step_values, count=0))
        with self.assertRaisesRegex(ValidationError, "leaves the yearly cycle"):
            self.env["touch.plan.step"].create(dict(step_values, offset_days=400))
        with self.assertRaisesRegex(ValidationError, "months must be numbers"):
            self.env["touch.plan.step"].create(dict(step_values, timing="months", months="13"))
        with self.assertRaisesRegex(ValidationError, "name at least one month"):
            self.env["touch.plan.step"].create(
                dict(step_values, timing="months", months="6", count=2)
            )
        with self.assertRaisesRegex(ValidationError, "email template"):
            self.env["touch.plan.step"].create(dict(step_values, channel="email"))
        with self.assertRaisesRegex(ValidationError, "auto-enroll domain"):
            empty.write({"auto_enroll": True, "auto_enroll_domain": "[('nope', '=', 1)]"})
        # enrolling twice explicitly is refused with a clear message
        client._touch_plan_enroll(self.lifetime)
        with self.assertRaisesRegex(UserError, "already enrolled"):
            self.env["touch.plan.enrollment"].create(
                {"plan_id": self.lifetime.id, "partner_id": client.id}
            )
        # a plan with enrolled clients keeps at least one step
        with self.assertRaisesRegex(ValidationError, "at least one step"):
            self.lifetime.step_ids.unlink()
