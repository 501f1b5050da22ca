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
        cls.step_welcome = cls.env.ref("lead_tracking.touch_plan_nurture_step_welcome")

    def _lead(self, when="2026-03-02 09:00:00", **vals):
        vals.setdefault("partner_id", self.customer.id)
        vals.setdefault("email_from", self.customer.email)
        vals.setdefault("user_id", self.salesman.id)
        vals.setdefault("type", "opportunity")
        return self.create_lead(when, **vals)

    def _running(self, record, plan):
        return record._touch_plan_get_running_enrollments(plan)

    def _run_cron(self):
        """The daily job as ir.cron runs it: called again while work remains."""
        Enrollment = self.env["touch.plan.enrollment"]
        for _call in range(50):
            if not Enrollment._cron_generate_batch()[1]:
                break
        else:
            self.fail("the daily job never reported that it was done")

    def _mails(self, lead):
        return self.env["mail.mail"].search(
            [("model", "=", "crm.lead"), ("res_id", "=", lead.id)], order="id"
        )

    def test_nurture_sends_its_four_emails_on_their_days(self):
        """Welcome, educational a week later, offer and reminder two weeks apart:
        email touches done by the job trigger the next step like any done touch."""
        lead = self._lead()
        with freeze_time("2026-03-02"):
            lead.with_user(self.salesman).action_lead_tracking_start_nurture()
        enrollment = self._running(lead, self.nurture)
        self.assertEqual(len(self._mails(lead)), 1, "welcome at once")
        sent_on = {}
        for day in ("2026-03-08", "2026-03-09", "2026-03-22", "2026-03-23", "2026-04-06"):
            with freeze_time(day):
                self._run_cron()
            sent_on[day] = len(self._mails(lead))
        self.assertEqual(
            sent_on,
            {"2026-03-08": 1, "2026-03-09": 2, "2026-03-22": 2, "2026-03-23": 3, "2026-04-06": 4},
        )
        touches = enrollment.touch_ids.sorted("scheduled_date")
        self.assertEqual(
            touches.step_id.mapped("name"), ["Welcome", "Educational content", "Offer", "Reminder"]
        )
        self.assertEqual(set(touches.mapped("state")), {"done"})
        self.assertEqual(
            [str(day) for day in touches.mapped("done_date")],
            ["2026-03-02", "2026-03-09", "2026-03-23", "2026-04-06"],
        )
        self.assertEqual(
            self._mails(lead).mapped("subject")[1:],
            [
                "A few things worth knowing before you decide",
                "An offer prepared for you",
                "Shall we talk?",
            ],
        )
        # the sequence is over: nothing more is sent
        with freeze_time("2026-05-06"):
            self._run_cron()
        self.assertEqual(len(self._mails(lead)), 4)

    def test_won_ends_the_nurture_before_its_next_email(self):
        lead = self._lead()
        with freeze_time("2026-03-02"):
            lead.action_lead_tracking_start_nurture()
        enrollment = self._running(lead, self.nurture)
        with freeze_time("2026-03-05"):
            lead.with_user(self.salesman).action_set_won()
        with freeze_time("2026-03-09"):
            self._run_cron()
        self.assertEqual(enrollment.state, "done")
        self.assertEqual(len(self._mails(lead)), 1, "the welcome only")

    def test_deleted_lead_ends_its_enrollment_and_the_job_goes_on(self):
        gone, deleted, kept = self._lead(), self._lead(), self._lead()
        with freeze_time("2026-03-02"):
            (gone | deleted | kept).action_lead_tracking_start_nurture()
        enrollments = {lead: self._running(lead, self.nurture) for lead in (gone, deleted, kept)}
        gone.unlink()
        self.assertEqual(enrollments[gone].state, "cancelled")
        self.assertIn("deleted", enrollments[gone].end_reason)
        # a lead removed behind the ORM's back: the job ends its enrollment, no MissingError
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_lead WHERE id = %s", [deleted.id])
        self.env.invalidate_all()
        with freeze_time("2026-03-09"):
            self._run_cron()
        self.assertEqual(enrollments[deleted].state, "cancelled")
        self.assertFalse(
            enrollments[deleted].touch_ids.filtered(lambda t: t.state in ("planned", "scheduled"))
        )
        self.assertEqual(len(self._mails(kept)), 2, "the other lead got its educational email")

    def test_merge_carries_the_nurture_to_the_surviving_lead(self):
        first = self._lead("2026-03-01 09:00:00")
        second = self._lead("2026-03-02 09:00:00")
        with freeze_time("2026-03-02"):
            (first | second).action_lead_tracking_start_nurture()
        both = self.env["touch.plan.enrollment"].search(
            [("res_model", "=", "crm.lead"), ("res_id", "in", (first | second).ids)]
        )
        self.assertEqual(len(both), 2)
        head = (first | second)._merge_opportunity(auto_unlink=True)
        self.assertTrue(head.exists())
        self.assertEqual(set(both.mapped("res_id")), {head.id}, "both follow the surviving lead")
        running = self._running(head, self.nurture)
        self.assertEqual(len(running), 1)
        ended = both - running
        self.assertEqual(ended.state, "cancelled")
        self.assertIn("Merged into", ended.end_reason)

    def test_nurture_sequence_and_reply_ends_it(self):
        lead = self._lead()
        with freeze_time("2026-03-02"):
            lead.with_user(self.salesman).action_lead_tracking_start_nurture()
            enrollment = self._running(lead, self.nurture)
            self.assertEqual(len(enrollment), 1)
            welcome = enrollment.touch_ids.filtered(lambda t: t.step_id == self.step_welcome)
        self.assertEqual(welcome.state, "done", "the welcome goes out at once")
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
