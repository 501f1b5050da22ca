from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestNurture(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nurture = cls.env.ref("lead_tracking.touch_plan_nurture")
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.advocate = cls.env.ref("touch_plan.touch_plan_advocate")

    def _lead(self, when="2026-03-02 09:00:00", **vals):
        vals.setdefault("partner_id", self.customer.id)
        vals.setdefault("email_from", self.customer.email)
        vals.setdefault("user_id", self.salesman.id)
        vals.setdefault("type", "opportunity")
        return self.create_lead(when, **vals)

    def _running(self, record, plan):
        return record._touch_plan_get_running_enrollments(plan)

    def test_nurture_sequence_and_reply_ends_it(self):
        lead = self._lead()
        with freeze_time("2026-03-02"):
            lead.with_user(self.salesman).action_lead_tracking_start_nurture()
            enrollment = self._running(lead, self.nurture)
            self.assertEqual(len(enrollment), 1)
            enrollment._generate_touches()
            welcome = enrollment.touch_ids
        self.assertEqual(
            welcome.step_id, self.env.ref("lead_tracking.touch_plan_nurture_step_welcome")
        )
        self.assertLessEqual((welcome.scheduled_date - date(2026, 3, 2)).days, 1)
        # enrolling again changes nothing
        lead.action_lead_tracking_start_nurture()
        self.assertEqual(self._running(lead, self.nurture), enrollment)
        # the lead answers by email: the nurture stops, history kept
        with self.at("2026-03-05 10:00:00"):
            lead.message_post(
                body="Yes, call me",
                author_id=self.customer.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(enrollment.state, "done")
        self.assertIn("replied", enrollment.end_reason)
        self.assertFalse(lead.first_response_date, "the lead's own reply is no response")

    def test_no_nurture_email_without_consent(self):
        lead = self._lead(consent=False)
        with freeze_time("2026-03-02"):
            lead.action_lead_tracking_start_nurture()
            enrollment = self._running(lead, self.nurture)
            enrollment._generate_touches()
            enrollment.touch_ids._process_due()
        touch = enrollment.touch_ids
        self.assertEqual(touch.state, "skipped")
        self.assertIn("consent", touch.skip_reason)
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        )

    def test_lost_ends_nurture_and_won_enrolls_the_customer(self):
        lost = self._lead()
        won = self._lead()
        (lost | won).action_lead_tracking_start_nurture()
        lost.action_set_lost()
        self.assertFalse(self._running(lost, self.nurture))
        with freeze_time("2026-03-10"):
            won.with_user(self.salesman).action_set_won()
        self.assertFalse(self._running(won, self.nurture))
        self.assertEqual(self._running(self.customer, self.lifetime).plan_id, self.lifetime)
        with self.assertRaises(UserError):
            won.action_lead_tracking_start_nurture()

    def test_won_referral_credits_the_referrer(self):
        with freeze_time("2026-01-05"):
            referrer_enrollment = self.referrer._touch_plan_enroll(self.lifetime)
            referrer_enrollment._generate_touches()
        first_touch = referrer_enrollment.touch_ids.sorted("scheduled_date")[0]
        first_touch.write({"state": "done", "done_date": date(2026, 1, 20)})
        lead = self._lead(referred_by_id=self.referrer.id, partner_id=self.customer.id)
        self.assertEqual(lead.referral_touch_id, first_touch)
        self.assertEqual(lead.channel, False)
        with freeze_time("2026-03-10"):
            lead.with_user(self.salesman).action_set_won()
        self.assertEqual(self.customer.referred_by_id, self.referrer)
        self.assertEqual(self.referrer.referral_count, 1)
        self.assertEqual(referrer_enrollment.state, "done")
        self.assertEqual(self._running(self.referrer, self.advocate).plan_id, self.advocate)
        self.assertEqual(self._running(self.customer, self.lifetime).plan_id, self.lifetime)
