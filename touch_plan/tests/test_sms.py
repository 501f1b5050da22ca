from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_sms import TouchPlanSmsCase


@tagged("post_install", "-at_install")
@freeze_time("2027-03-01 10:00:00")
class TestTouchSms(TouchPlanSmsCase):
    def test_sms_followup_sent_and_logged(self):
        client = self._create_mobile_client("Mona Mobile")
        enrollment = client._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway() as sent:
            followup = self._call_reached(enrollment)
        self.assertEqual(followup.channel, "sms")
        self.assertEqual(followup.state, "done")
        self.assertEqual(followup.outcome, "sent")
        self.assertEqual(
            sent, [{"number": "+32470123456", "body": "Thanks for the call, Mona Mobile!"}]
        )
        # the SMS, its chatter note and its delivery status, as Odoo's SMS composer logs them
        sms = followup.sms_id
        self.assertEqual(
            (sms.number, sms.partner_id, sms.state), ("+32470123456", client, "pending")
        )
        message = followup.message_sent_id
        self.assertEqual(message.message_type, "sms")
        self.assertEqual((message.model, message.res_id), ("res.partner", client.id))
        self.assertIn(message, client.message_ids)
        self.assertIn("Thanks for the call, Mona Mobile!", message.body)
        self.assertEqual(message.notification_ids.notification_type, "sms")
        self.assertEqual(message.notification_ids.notification_status, "pending")
        self.assertEqual(sms.mail_message_id, message)

    def test_blacklisted_number_gets_no_sms(self):
        client = self._create_mobile_client("Bruno Blocked", mobile="+32 470 65 43 21")
        self.env["phone.blacklist"]._add(["+32470654321"])
        enrollment = client._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway() as sent:
            followup = self._call_reached(enrollment)
        self.assertFalse(sent)
        self.assertEqual(followup.state, "skipped")
        self.assertEqual(
            followup.skip_reason,
            "The client's mobile number is blacklisted (opted out of SMS).",
        )
        self.assertFalse(followup.activity_id, "a blacklisted number gets no fallback either")
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", client.id)]))

    def test_no_mobile_falls_back_or_skips(self):
        paper = self._create_mobile_client("Paper Client", mobile=False)
        enrollment = paper._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway() as sent:
            followup = self._call_reached(enrollment)
        self.assertFalse(sent)
        self.assertEqual(followup.channel, "letter")
        self.assertEqual(followup.state, "scheduled")
        self.assertEqual(
            followup.activity_id.activity_type_id,
            self.env.ref("touch_plan.mail_activity_type_touch_letter"),
        )
        self.assertEqual(
            (followup.activity_id.res_model, followup.activity_id.res_id), ("res.partner", paper.id)
        )
        # without a fallback channel: skipped, with the reason
        self.sms_step.fallback_channel = False
        other = self._create_mobile_client("Landline Only", mobile=False, phone="+32 2 555 12 12")
        with self.mock_sms_gateway() as sent:
            skipped = self._call_reached(other._touch_plan_enroll(self.sms_plan))
        self.assertFalse(sent)
        self.assertEqual(skipped.state, "skipped")
        self.assertEqual(
            skipped.skip_reason,
            "The client has no mobile number and the step has no fallback channel.",
        )

    def test_failed_sms_is_not_done_and_falls_back(self):
        client = self._create_mobile_client("Wrong Number", mobile="+32 470 99 99 99")
        enrollment = client._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway(errors={"+32470999999": "wrong_number_format"}) as sent:
            followup = self._call_reached(enrollment)
        self.assertFalse(sent)
        self.assertEqual(followup.sms_id.state, "error")
        self.assertEqual(followup.message_sent_id.notification_ids.notification_status, "exception")
        # not done: the fallback letter is in the rep's activities, with the reason
        self.assertEqual(followup.state, "scheduled")
        self.assertEqual(followup.channel, "letter")
        self.assertFalse(followup.outcome)
        self.assertEqual(
            followup.skip_reason, "The SMS could not be delivered: Wrong Number Format"
        )
        self.assertTrue(followup.activity_id)

    def test_bounce_reported_later_reopens_the_touch(self):
        self.sms_step.fallback_channel = False
        client = self._create_mobile_client("Gone Away")
        enrollment = client._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway():
            followup = self._call_reached(enrollment)
        self.assertEqual(followup.state, "done")
        # the provider's delivery report, as the /sms/status webhook passes it on
        tracker = self.env["sms.tracker"].search([("sms_uuid", "=", followup.sms_id.uuid)])
        tracker._action_update_from_provider_error("invalid_destination")
        self.assertEqual(followup.message_sent_id.notification_ids.notification_status, "bounce")
        self.assertEqual(followup.state, "skipped")
        self.assertFalse(followup.done_date)
        self.assertIn("could not be delivered", followup.skip_reason)

    def test_email_falls_back_to_sms(self):
        email_template = self.env.ref("touch_plan.mail_template_touch_followup")
        self.sms_step.write(
            {"channel": "email", "mail_template_id": email_template.id, "fallback_channel": "sms"}
        )
        client = self._create_mobile_client("No Email", email=False)
        with self.mock_sms_gateway() as sent:
            followup = self._call_reached(client._touch_plan_enroll(self.sms_plan))
        self.assertEqual(followup.channel, "sms")
        self.assertEqual(followup.state, "done")
        self.assertEqual([s["number"] for s in sent], ["+32470123456"])
        self.assertFalse(followup.mail_id)

    def test_opted_out_gets_nothing_by_any_channel(self):
        email_template = self.env.ref("touch_plan.mail_template_touch_followup")
        self.env["touch.plan.step"].create(
            {
                "plan_id": self.sms_plan.id,
                "name": "Follow-up by email, else SMS",
                "kind": "followup",
                "timing": "after_step",
                "trigger_step_id": self.call_step.id,
                "channel": "email",
                "mail_template_id": email_template.id,
                "fallback_channel": "sms",
                "sms_template_id": self.sms_template.id,
            }
        )
        client = self._create_mobile_client(
            "Opted Out", touch_plan_sms_opt_out=True, touch_plan_email_opt_out=True
        )
        enrollment = client._touch_plan_enroll(self.sms_plan)
        with self.mock_sms_gateway() as sent:
            self._call_reached(enrollment)
        followups = enrollment.touch_ids.filtered(lambda t: t.kind == "followup")
        self.assertEqual(len(followups), 2)
        self.assertFalse(sent)
        self.assertEqual(set(followups.mapped("state")), {"skipped"})
        self.assertFalse(followups.activity_id, "no letter instead either")
        self.assertIn("The client opted out of SMS.", followups.mapped("skip_reason"))
        self.assertIn("The client opted out of emails.", followups.mapped("skip_reason"))
        self.assertFalse(self.env["sms.sms"].search([("partner_id", "=", client.id)]))
        self.assertFalse(
            self.env["mail.mail"].search(
                [("model", "=", "res.partner"), ("res_id", "=", client.id)]
            )
        )

    def test_daily_job_sends_due_sms_and_survives_a_bad_record(self):
        """SMS touches on a date are sent by the daily job on their day; a client
        whose SMS cannot be rendered is logged and left, the others get theirs."""
        self.sms_template.body = "Hello {{ object.ref.upper() }}"
        monthly = self.env["touch.plan"].create(
            {
                "name": "Monthly SMS",
                "kind": "custom",
                "yearly_target": 12,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Monthly text",
                            "kind": "newsletter",
                            "timing": "monthly",
                            "count": 12,
                            "day_of_month": 5,
                            "channel": "sms",
                            "sms_template_id": self.sms_template.id,
                        },
                    )
                ],
            }
        )
        good = self._create_mobile_client("Good", ref="gd7")
        bad = self._create_mobile_client("Bad", mobile="+32 470 11 11 11")  # no ref: fails
        enrollments = (good | bad)._touch_plan_enroll(monthly)
        with freeze_time("2027-03-04"), self.mock_sms_gateway() as sent:
            self._run_cron()
        self.assertFalse(sent, "not before the day")
        with (
            freeze_time("2027-03-05"),
            self.mock_sms_gateway() as sent,
            mute_logger("odoo.addons.touch_plan.models.touch_plan_enrollment"),
        ):
            self._run_cron()
        self.assertEqual(sent, [{"number": "+32470123456", "body": "Hello GD7"}])
        march = enrollments.touch_ids.filtered(lambda t: str(t.scheduled_date) == "2027-03-05")
        self.assertEqual(march.filtered(lambda t: t.partner_id == good).state, "done")
        self.assertEqual(march.filtered(lambda t: t.partner_id == bad).state, "planned")
        bad_enrollment = enrollments.filtered(lambda e: e.partner_id == bad)
        self.assertEqual(str(bad_enrollment.error_date), "2027-03-05")
