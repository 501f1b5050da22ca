import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common_touch import TouchPlanCase


@tagged("post_install", "-at_install")
class TestTouchConsent(TouchPlanCase):
    def _newsletter(self, enrollment, day=datetime.date(2027, 2, 1)):
        return enrollment.touch_ids.filtered(
            lambda t: t.kind == "newsletter" and t.scheduled_date == day
        )

    def test_email_sent_with_referral_ask(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Reader")
            enrollment = client._touch_plan_enroll(self.lifetime)
        with freeze_time("2027-02-01"):
            self._run_cron()
        touch = self._newsletter(enrollment)
        self.assertEqual(touch.state, "done")
        self.assertEqual(touch.outcome, "sent")
        mail = touch.mail_id
        self.assertEqual((mail.model, mail.res_id), ("res.partner", client.id))
        self.assertEqual(mail.recipient_ids, client)
        self.assertIn("Know someone who could use our help?", mail.body_html)
        # the client's chatter shows what was sent
        self.assertIn(touch.message_sent_id, client.message_ids)

    def test_blacklisted_gets_no_email(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Blocked")
            enrollment = client._touch_plan_enroll(self.lifetime)
        self.env["mail.blacklist"]._add(client.email)
        with freeze_time("2027-02-01"):
            self._run_cron()
        touch = self._newsletter(enrollment)
        self.assertEqual(touch.state, "skipped")
        self.assertIn("blacklisted", touch.skip_reason)
        self.assertFalse(touch.mail_id)
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", client.id)]
            )
        )

    def test_opted_out_gets_no_email(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Opted", touch_plan_email_opt_out=True)
            enrollment = client._touch_plan_enroll(self.lifetime)
        with freeze_time("2027-02-01"):
            self._run_cron()
        touch = self._newsletter(enrollment)
        self.assertEqual(touch.state, "skipped")
        self.assertIn("opted out", touch.skip_reason)

    def test_no_email_fallback_or_skip(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Paper", email=False)
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
            call = enrollment.touch_ids.filtered(lambda t: t.kind == "call")[0]
            call._schedule_activities()
            call.activity_id.action_feedback()  # a done call reached the client by default
        followup = enrollment.touch_ids.filtered(lambda t: t.kind == "followup")
        self.assertEqual(call.outcome, "reached")
        with freeze_time("2027-02-01"):
            self._run_cron()
        # the newsletter has no fallback: skipped with the reason
        touch = self._newsletter(enrollment)
        self.assertEqual(touch.state, "skipped")
        self.assertIn("no email address", touch.skip_reason)
        # the follow-up note falls back to a letter in the rep's activities
        self.assertEqual(followup.channel, "letter")
        self.assertEqual(followup.state, "scheduled")
        self.assertIn(
            "The client cannot be reached by Email: Letter instead.",
            str(followup.activity_id.note),
        )
        self.assertEqual(followup.activity_id.user_id, self.rep)
        self.assertEqual(
            followup.activity_id.activity_type_id,
            self.env.ref("touch_plan.mail_activity_type_touch_letter"),
        )

    def test_archived_partner_ends_enrollments(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Archived")
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
            client.action_archive()
        self.assertEqual(enrollment.state, "cancelled")
        self.assertEqual(enrollment.end_reason, "Contact archived")
        self.assertFalse(
            enrollment.touch_ids.filtered(lambda t: t.state in ("planned", "scheduled"))
        )
        self.assertFalse(enrollment.touch_ids.activity_id)

    def test_merge_keeps_one_enrollment_and_done_touches(self):
        with freeze_time("2027-01-10"):
            first = self._create_client("Twin", key_dates=False)
            second = self._create_client("Twin", key_dates=False)
            enrollments = (first | second)._touch_plan_enroll(self.lifetime)
        with freeze_time("2027-02-01"):
            self._run_cron()
        done = enrollments.touch_ids.filtered(lambda t: t.state == "done")
        self.assertEqual(len(done), 2)
        wizard = self.env["base.partner.merge.automatic.wizard"]
        wizard._merge((first | second).ids, first)
        self.assertFalse(second.exists())
        running = first._touch_plan_get_running_enrollments(self.lifetime)
        self.assertEqual(len(running), 1)
        self.assertEqual(running.partner_id, first)
        self.assertEqual(set(done.exists().mapped("partner_id.id")), {first.id})
        self.assertEqual(len(done.exists()), 2, "every done touch survives the merge")
        self.assertEqual(len(first.touch_plan_enrollment_ids), 2, "history kept")
