import re
from urllib.parse import urlparse

from freezegun import freeze_time

from odoo.tests import Form, tagged
from odoo.tools.mail import HTML_TAG_URL_REGEX

from odoo.addons.mass_mailing.tests.common import MassMailCase

from .common_touch import TouchPlanCase

NOW = "2027-03-01 09:00:00"
# a client's answer as the mail gateway receives it (fields filled by the gateway helpers)
MAIL_TEMPLATE = """Return-Path: {return_path}
To: {to}
cc: {cc}
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Date: Wed, 03 Mar 2027 12:00:00 +0000
Message-ID: {msg_id}
{extra}

Thank you, please call me next week.
"""


class TouchEmailCase(TouchPlanCase, MassMailCase):
    """A plan of monthly emails sent on the 1st; mass_mailing's gateway mocked."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._init_mail_gateway()
        cls.newsletter_template = cls.env.ref("touch_plan.mail_template_touch_newsletter")
        cls.followup_template = cls.env.ref("touch_plan.mail_template_touch_followup")
        cls.email_plan = cls.env["touch.plan"].create({"name": "Email plan", "yearly_target": 12})
        cls.newsletter_step = cls.env["touch.plan.step"].create(
            {
                "plan_id": cls.email_plan.id,
                "name": "Newsletter",
                "kind": "newsletter",
                "count": 12,
                "timing": "monthly",
                "day_of_month": 1,
                "channel": "email",
                "mail_template_id": cls.newsletter_template.id,
                "fallback_channel": "call",
            }
        )
        cls.Report = cls.env["touch.plan.touch.report"]

    def _enroll_and_send(self, partners, plan=None):
        """Enroll on 1 March 2027 (the month's email is due) and deliver the mails."""
        with freeze_time(NOW), self.mock_mail_gateway():
            enrollments = partners._touch_plan_enroll(plan or self.email_plan)
            # the engine inserts its mails in bulk, not through the mail.mail.create
            # the mock watches: hand them to the mock, which then sends them
            self._new_mails |= enrollments.touch_ids.mail_id.sudo()
            self._new_mails.send()
        self.env.flush_all()
        return enrollments

    def _click(self, partner, label):
        """Click the link ``label`` of the email sent to ``partner``, as the
        ``/r/<code>/m/<trace>`` route does."""
        touch = self._sent_touch(partner)
        [email] = [mail for mail in self._mails if partner.email in mail["email_to"][0]]
        for _href, url, _dummy, text in re.findall(HTML_TAG_URL_REGEX, email["body"]):
            if text == label and "/r/" in url:
                code, trace_id = urlparse(url).path.split("/")[2::2]
                self.assertEqual(int(trace_id), touch.mailing_trace_id.id)
                self.env["link.tracker.click"].sudo().add_click(
                    code, ip="100.64.0.1", country_code="BE", mailing_trace_id=int(trace_id)
                )
                return
        self.fail(f"no tracked link {label} in the email to {partner.name}")

    def _sent_touch(self, partner):
        return self.Touch.search(
            [("partner_id", "=", partner.id), ("mailing_trace_id", "!=", False)]
        )

    def _rates(self, touches, groupby="kind"):
        self.env.flush_all()
        return self.Report.read_group(
            [("touch_id", "in", touches.ids)],
            [
                "sent_count:sum",
                "opened_count:sum",
                "clicked_count:sum",
                "replied_count:sum",
                "bounced_count:sum",
                "open_rate:avg",
                "click_rate:avg",
                "reply_rate:avg",
                "bounce_rate:avg",
            ],
            [groupby],
        )


@tagged("post_install", "-at_install")
class TestTouchEmailTracking(TouchEmailCase):
    def test_newsletter_one_mailing_opened_and_clicked(self):
        """The month's newsletter is one mailing for all clients, one touch
        each; an open and a click show on their touches, in the touch
        analysis and in the mailing's own statistics."""
        opener, clicker, silent = (
            self._create_client(name, key_dates=False) for name in ("Opener", "Clicker", "Silent")
        )
        self.newsletter_template.body_html += (
            '<p><a href="https://www.example.com/offer">Our offer</a> '
            '<a href="mailto:advisor@example.com">Write to us</a></p>'
        )
        self._enroll_and_send(opener | clicker | silent)
        touches = self._sent_touch(opener) | self._sent_touch(clicker) | self._sent_touch(silent)
        self.assertEqual(len(touches), 3, "one touch per client")
        mailing = touches.mailing_id
        self.assertEqual(len(mailing), 1, "one newsletter mailing for the month")
        self.assertTrue(mailing.is_touch_plan)
        self.assertEqual(mailing.state, "done")
        self.assertEqual(mailing.touch_plan_month.isoformat(), "2027-03-01")
        self.assertEqual(touches.mapped("state"), ["done"] * 3, "queued is sent, done as before")
        self.assertEqual(set(touches.mapped("trace_status")), {"sent"})
        self.assertTrue(all(touches.mapped("email_sent_datetime")))
        self.assertTrue(all(mail.mailing_id == mailing for mail in touches.mail_id))

        with freeze_time("2027-03-02 08:00:00"):
            self.gateway_mail_trace_open(mailing, opener)
            # the link of the email is a tracked link of the mailing, with the trace
            self._click(clicker, "Our offer")
        self.env.flush_all()
        opened, clicked, quiet = (self._sent_touch(p) for p in (opener, clicker, silent))
        self.assertEqual(opened.trace_status, "open")
        self.assertEqual(opened.email_open_datetime.isoformat(" "), "2027-03-02 08:00:00")
        self.assertTrue(opened.is_email_opened)
        self.assertFalse(opened.is_email_clicked)
        self.assertTrue(clicked.is_email_clicked and clicked.is_email_opened)
        self.assertEqual(clicked.email_click_datetime.isoformat(" "), "2027-03-02 08:00:00")
        self.assertFalse(quiet.is_email_opened or quiet.is_email_clicked)

        [row] = self._rates(touches)
        self.assertEqual(row["sent_count"], 3)
        self.assertEqual(row["opened_count"], 2)
        self.assertEqual(row["clicked_count"], 1)
        self.assertAlmostEqual(row["open_rate"], 200 / 3, places=1)
        self.assertAlmostEqual(row["click_rate"], 100 / 3, places=1)
        self.assertEqual(row["bounce_rate"], 0)
        tracker = self.env["link.tracker"].search([("mass_mailing_id", "=", mailing.id)])
        self.assertEqual(tracker.url, "https://www.example.com/offer", "mailto links are kept")
        self.assertEqual(tracker.count, 1)
        # Odoo's own mailing statistics read the same traces
        self.assertEqual((mailing.sent, mailing.opened, mailing.clicked), (3, 2, 1))

    def test_rep_sees_what_the_email_did(self):
        """A rep (no Email Marketing right) opens the touch form with its tracking."""
        client = self._create_client("Seen", key_dates=False)
        self._enroll_and_send(client)
        touch = self._sent_touch(client)
        touch.mailing_trace_id.set_opened()
        form = Form(touch.with_user(self.rep))
        self.assertEqual(form.trace_status, "open")
        self.assertTrue(form.email_open_datetime)
        self.assertNotIn("mailing_trace_id", form._view["fields"], "Email Marketing users only")

    def test_next_month_is_a_new_mailing(self):
        client = self._create_client("Monthly", key_dates=False)
        enrollment = self._enroll_and_send(client)
        with freeze_time("2027-04-01 09:00:00"), self.mock_mail_gateway():
            self._run_cron()
        touches = enrollment.touch_ids.filtered("mailing_id")
        self.assertEqual(len(touches), 2)
        self.assertEqual(len(touches.mailing_id), 2, "one mailing per month")
        self.assertEqual(
            sorted(touches.mailing_id.mapped("touch_plan_month")),
            [
                touches.mailing_id[0].touch_plan_month.replace(month=3),
                touches.mailing_id[0].touch_plan_month.replace(month=4),
            ],
        )

    def test_bounce_leaves_touch_not_done_and_uses_fallback(self):
        client = self._create_client("Bouncer", key_dates=False, phone="+32 2 555 01 01")
        self._enroll_and_send(client)
        touch = self._sent_touch(client)
        self.assertEqual(touch.state, "done")
        with freeze_time("2027-03-01 10:00:00"):
            self.gateway_mail_trace_bounce(touch.mailing_id, client)
        self.assertEqual(touch.trace_status, "bounce")
        self.assertTrue(touch.is_email_bounced)
        self.assertNotEqual(touch.state, "done", "a bounced email is not a touch done")
        self.assertFalse(touch.outcome)
        self.assertEqual(touch.channel, "call", "the step's fallback")
        self.assertEqual(touch.state, "scheduled")
        self.assertIn("Bounce", touch.skip_reason)
        self.assertEqual(touch.activity_id.res_id, client.id, "the rep calls the client")
        self.assertIn(
            "<p><strong>The email could not be delivered (",
            str(touch.activity_id.note),
            "the call's note says why the newsletter became a call",
        )
        self.assertEqual(
            touch.activity_id.activity_type_id,
            self.env.ref("touch_plan.mail_activity_type_touch_call"),
        )
        [row] = self._rates(touch)
        self.assertEqual((row["sent_count"], row["bounced_count"]), (1, 1))
        self.assertEqual(row["bounce_rate"], 100)
        self.assertEqual(row["open_rate"], 0)
        # the call done is the touch done
        touch.action_done_reached()
        self.assertEqual((touch.state, touch.outcome), ("done", "reached"))

    def test_bounce_without_fallback_skips_with_reason(self):
        self.newsletter_step.fallback_channel = False
        client = self._create_client("Nowhere", key_dates=False)
        self._enroll_and_send(client)
        touch = self._sent_touch(client)
        self.gateway_mail_trace_bounce(touch.mailing_id, client)
        self.assertEqual(touch.state, "skipped")
        self.assertEqual(touch.channel, "email")
        self.assertIn("could not be delivered", touch.skip_reason)
        self.assertFalse(touch.done_date)

    def test_failed_send_uses_fallback(self):
        """A mail the server refuses (the trace's failure) is a bounce too."""
        client = self._create_client("Refused", key_dates=False)
        with freeze_time(NOW), self.mock_mail_gateway():
            client._touch_plan_enroll(self.email_plan)
        touch = self._sent_touch(client)
        touch.mailing_trace_id.set_failed(failure_type="mail_email_invalid")
        self.assertEqual((touch.channel, touch.state), ("call", "scheduled"))
        self.assertIn("Invalid email address", touch.skip_reason)

    def test_mail_server_failure_is_not_a_bounce(self):
        """An outgoing mail server that is down is the firm's problem, not the
        client's: the touch stays done and its mail waits to be retried."""
        client = self._create_client("Patient", key_dates=False)
        with freeze_time(NOW), self.mock_mail_gateway():
            client._touch_plan_enroll(self.email_plan)
        touch = self._sent_touch(client)
        touch.mailing_trace_id.set_failed(failure_type="mail_smtp")
        self.assertEqual(touch.trace_status, "error")
        self.assertEqual((touch.channel, touch.state), ("email", "done"))
        self.assertFalse(touch.skip_reason)

    def test_reply_counted_and_ends_nurture(self):
        nurture = self.env["touch.plan"].create(
            {"name": "Nurture by email", "kind": "nurture", "yearly_target": 12}
        )
        self.newsletter_step.copy({"plan_id": nurture.id, "name": "Nurture email"})
        client = self._create_client("Replier", key_dates=False)
        enrollment = self._enroll_and_send(client, plan=nurture)
        touch = self._sent_touch(client)
        self.assertEqual(enrollment.state, "active")
        self.assertTrue(enrollment.touch_ids.filtered(lambda t: t.state == "planned"))
        with freeze_time("2027-03-03 12:00:00"):
            self.gateway_mail_reply_wrecord(MAIL_TEMPLATE, client)
        self.assertEqual(touch.trace_status, "reply")
        self.assertTrue(touch.is_email_replied and touch.is_email_opened)
        self.assertEqual(touch.email_reply_datetime.isoformat(" "), "2027-03-03 12:00:00")
        self.assertEqual(touch.state, "done", "a reply keeps the touch done")
        self.assertEqual(enrollment.state, "done")
        self.assertIn("replied", enrollment.end_reason)
        self.assertFalse(enrollment.touch_ids.filtered(lambda t: t.state == "planned"))
        [row] = self._rates(touch)
        self.assertEqual((row["replied_count"], row["reply_rate"]), (1, 100))

    def test_reply_does_not_end_other_plans(self):
        client = self._create_client("Chatty", key_dates=False)
        enrollment = self._enroll_and_send(client)
        self.gateway_mail_reply_wrecord(MAIL_TEMPLATE, client)
        self.assertTrue(self._sent_touch(client).is_email_replied)
        self.assertEqual(enrollment.state, "active", "only a nurture sequence ends on a reply")
