import contextlib

from freezegun import freeze_time

from odoo.tests import tagged

from .test_touch_cron import TouchCronCase

# what a mail and its message hold, as the client, the rep and the mail queue see it
MAIL_FIELDS = (
    "subject",
    "body",
    "body_html",
    "email_from",
    "email_to",
    "email_cc",
    "reply_to",
    "author_id",
    "model",
    "res_id",
    "record_name",
    "message_type",
    "subtype_id",
    "is_internal",
    "partner_ids",
    "recipient_ids",
    "state",
    "failure_reason",
    "auto_delete",
    "is_notification",
    "mail_server_id",
    "scheduled_date",
    "attachment_ids",
    "parent_id",
    "create_uid",
)


@tagged("post_install", "-at_install")
class TestTouchMailBulk(TouchCronCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref("touch_plan.mail_template_touch_newsletter")
        company = cls.env["res.partner"].create({"name": "Dupont & Fils", "is_company": True})
        cls.clients = (
            cls._create_client("Alice Reader")
            | cls._create_client("Bob <b>O'Brien</b> & Co")
            | cls._create_client("Chloé Dupont", parent_id=company.id, lang="fr_FR")
        )

    def _values(self, mails):
        return [
            {
                name: (mail[name].ids if name.endswith("_ids") else mail[name])
                for name in MAIL_FIELDS
            }
            for mail in mails
        ]

    def test_mails_are_those_of_send_mail_batch(self):
        """The engine queues what Odoo's send_mail_batch queues: the same body,
        subject, recipients, author, document and message in the chatter, for
        each client in their language, with the referral ask exactly when asked."""
        self.env["res.lang"]._activate_lang("fr_FR")
        for ask in (True, False):
            template = self.template.with_context(touch_plan_no_referral_ask=not ask)
            odoo = template.send_mail_batch(self.clients.ids)
            engine = template._touch_plan_send_mail_batch(self.clients.ids)
            self.assertEqual(len(engine), 3)
            self.assertEqual(engine.mapped("res_id"), self.clients.ids, "the same order")
            self.assertNotEqual(engine.ids, odoo.ids)
            self.assertEqual(self._values(engine), self._values(odoo))
            self.assertEqual(
                len(set(engine.mapped("message_id"))), 3, "each mail has its own Message-Id"
            )
            for client, mail in zip(self.clients, engine, strict=True):
                self.assertEqual(mail.recipient_ids, client)
                self.assertEqual(mail.state, "outgoing")
                self.assertEqual(
                    "Know someone who could use our help?" in mail.body_html, ask, client.name
                )
                # the client's chatter shows what was sent
                self.assertIn(mail.mail_message_id, client.message_ids)
        self.assertIn("Dear Alice Reader,", engine[0].body_html)
        self.assertNotIn("<b>", engine[1].body, "the name is escaped, never markup")

    def test_mails_obey_create_overrides_of_values(self):
        """A module's net on the values of new mails (the consent net of
        lead_tracking) applies to the mails the engine creates in bulk."""
        MailMail = type(self.env["mail.mail"])

        def cancel_first(self, vals_list):
            # a value set on some mails only: the others keep their default
            return [
                dict(vals, state="cancel", failure_reason="No consent") if index == 0 else vals
                for index, vals in enumerate(vals_list)
            ]

        original = MailMail._touch_plan_prepare_bulk_values
        MailMail._touch_plan_prepare_bulk_values = cancel_first
        try:
            mails = self.template._touch_plan_send_mail_batch(self.clients[:2].ids)
        finally:
            MailMail._touch_plan_prepare_bulk_values = original
        self.assertEqual(mails.mapped("state"), ["cancel", "outgoing"])
        self.assertEqual(mails.mapped("failure_reason"), ["No consent", False])

    def test_mails_queued_are_sent(self):
        """The mail queue sends the engine's mails as Odoo's."""
        mails = self.template._touch_plan_send_mail_batch(self.clients[:1].ids)
        mails.send()
        self.assertEqual(mails.state, "sent")


@tagged("post_install", "-at_install", "is_query_count")
class TestTouchMailBulkQueries(TouchCronCase):
    # queries of sending the due newsletters, or scheduling the due activities,
    # of a batch of clients: the same for 10 and for 20 clients
    EMAIL_QUERY_BUDGET = 40
    ACTIVITY_QUERY_BUDGET = 40

    def _due(self, count, prefix, emails):
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(count, prefix)
        with freeze_time(self._day(emails)):
            due = self.Touch.search(self.Touch._get_due_domain()).filtered(
                lambda t: t.enrollment_id in enrollments and (t.channel == "email") == emails
            )
        self.assertEqual(len(due.enrollment_id), count)
        self.env.flush_all()
        self.env.invalidate_all()
        return due

    def _day(self, emails):
        """The 1st of the month for the newsletters; for the activities, three
        days (the plan's lead time) before the holiday card and the first call."""
        return "2027-02-01" if emails else "2027-02-12"

    def _measure(self, count, prefix, emails, budget=None):
        due = self._due(count, prefix, emails)
        counter = self.assertQueryCount(budget) if budget else contextlib.nullcontext()
        with freeze_time(self._day(emails)), counter:
            # the engine's path: emails sent, the manual touches given to the reps
            due._process_due()
            self.env.flush_all()
        if emails:
            self.assertEqual(set(due.mapped("state")), {"done"})
            self.assertEqual(len(due.mail_id), len(due))
        else:
            self.assertEqual(set(due.mapped("state")), {"scheduled"})
            self.assertEqual(len(due.activity_id), len(due))
            for touch in due:
                activity = touch.activity_id
                # on the client's chatter, named after it, the rep following the client
                self.assertEqual(activity.res_name, touch.partner_id.display_name)
                self.assertIn(activity.user_id.partner_id, touch.partner_id.message_partner_ids)
                self.assertTrue(activity.note)

    def test_query_count_of_emails_per_batch(self):
        """Sending the emails of 20 clients costs the queries of 10."""
        self._measure(2, "Warm", True)  # fills the ORM and template caches
        for count in (10, 20):
            self._measure(count, f"Mail {count}", True, self.EMAIL_QUERY_BUDGET)

    def test_query_count_of_activities_per_batch(self):
        """Scheduling the activities of 20 clients costs the queries of 10."""
        self._measure(2, "Warm", False)
        for count in (10, 20):
            self._measure(count, f"Call {count}", False, self.ACTIVITY_QUERY_BUDGET)
