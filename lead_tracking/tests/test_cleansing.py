from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestDuplicates(LeadTrackingCase):
    def _run_wizard(self, user=None, **vals):
        Wizard = self.env["lead.tracking.duplicate.wizard"]
        if user:
            Wizard = Wizard.with_user(user)
        with Form(Wizard) as form:
            for fname, value in vals.items():
                setattr(form, fname, value)
        wizard = form.record
        wizard.action_find()
        return wizard

    def _group_of(self, wizard, lead, kind="duplicate"):
        return wizard.group_ids.filtered(
            lambda group: lead in group.lead_ids and group.kind == kind
        )

    def test_groups_by_email_phone_and_fuzzy_name(self):
        first = self.create_lead(
            "2026-01-05 10:00:00",
            name="Request from José",
            contact_name="José Müller",
            partner_name="Ácme Inc.",
            email_from="Jose.Muller@Example.com",
            source_id=self.source_event.id,
            referred_by_id=self.referrer.id,
        )
        same_email = self.create_lead(
            "2026-02-05 10:00:00",
            name="Quote",
            email_from='"J. Muller" <jose.muller@example.com>',
            source_id=self.source_social.id,
        )
        same_phone = self.create_lead(
            "2026-02-06 10:00:00",
            name="Call back",
            phone="+32 470 12 34 56",
        )
        phone_too = self.create_lead(
            "2026-02-07 10:00:00",
            name="Other call",
            phone="+32470123456",
        )
        fuzzy = self.create_lead(
            "2026-02-08 10:00:00",
            name="Demo",
            contact_name="Muller Jose",
            partner_name="ACME",
        )
        stranger = self.create_lead(
            name="Stranger",
            contact_name="Bob Stone",
            partner_name="Acme",
            email_from="bob@else.example",
        )
        wizard = self._run_wizard()
        self.assertTrue(wizard.fuzzy_available, "the addon created pg_trgm")
        group = self._group_of(wizard, first)
        self.assertEqual(group.lead_ids, first | same_email | fuzzy)
        self.assertIn("same email jose.muller@example.com", group.reason)
        self.assertIn("names 100% alike", group.reason)
        self.assertEqual(group.score, 90, "as sure as its weakest link (the email)")
        # full names, contacts and companies, one lead a line
        self.assertIn("Request from José (José Müller, Ácme Inc.)", group.lead_summary)
        self.assertIn("Demo (Muller Jose, ACME)", group.lead_summary)
        phone_group = self._group_of(wizard, same_phone)
        self.assertEqual(phone_group.lead_ids, same_phone | phone_too)
        self.assertIn("same phone +32 470 12 34 56", phone_group.reason)
        self.assertIn("+32 470 12 34 56", phone_group.lead_summary)
        self.assertNotIn("+32470123456", phone_group.lead_summary)
        self.assertFalse(self._group_of(wizard, stranger))
        self.assertFalse(any(wizard.group_ids.mapped("to_merge")), "nothing is ticked")

        # merging keeps the earliest attribution and the referrer, and says why
        group.to_merge = True
        wizard.action_merge()
        head = group.merged_lead_id
        self.assertTrue(head)
        self.assertEqual(len((first | same_email | fuzzy).exists()), 1)
        self.assertEqual(head.first_touch_source_id, self.source_event)
        self.assertEqual(head.referred_by_id, self.referrer)
        audit = head.message_ids.filtered(lambda m: "duplicate finder" in (m.body or ""))
        self.assertEqual(len(audit), 1)
        self.assertIn("same email", audit.body)
        self.assertIn("score 90", audit.body)
        self.assertTrue((same_phone | phone_too).exists(), "unticked groups are not merged")
        # a second search finds nothing left of that group
        self.assertFalse(self._group_of(self._run_wizard(), head))

    def test_separate_deals_of_one_customer_are_kept_apart(self):
        stages = self.env["crm.stage"].search([("is_won", "=", False)], order="sequence", limit=2)
        common = {
            "type": "opportunity",
            "partner_id": self.customer.id,
            "email_from": self.customer.email,
            "contact_name": "Alice Customer",
        }
        office = self.create_lead(name="Office fit-out", stage_id=stages[0].id, **common)
        chairs = self.create_lead(name="Chairs", stage_id=stages[1].id, **common)
        won = self.create_lead(name="Desks", stage_id=stages[0].id, **common)
        won.action_set_won()
        # a new lead of the same customer: a duplicate of one deal at most
        inquiry = self.create_lead(name="Web inquiry", type="lead", email_from=self.customer.email)
        wizard = self._run_wizard()
        for deal in (office, chairs, won):
            others = (office | chairs | won) - deal
            for group in wizard.group_ids.filtered(lambda g, deal=deal: g.kind == "duplicate"):
                if deal in group.lead_ids:
                    self.assertFalse(group.lead_ids & others, "separate deals proposed together")
        self.assertFalse(self._group_of(wizard, won), "a won deal is never proposed")
        inquiry_group = self._group_of(wizard, inquiry)
        self.assertEqual(len(inquiry_group.lead_ids), 2)
        apart = self._group_of(wizard, office, kind="separate")
        self.assertEqual(len(apart), 1)
        self.assertEqual(apart.lead_ids, office | chairs | won | inquiry)
        self.assertIn("kept apart: different stages", apart.reason)
        self.assertIn("kept apart: one of them is won", apart.reason)
        self.assertFalse(any(wizard.group_ids.mapped("to_merge")), "nothing is ticked")
        with self.assertRaises(ValidationError):
            apart.to_merge = True
        with self.assertRaises(UserError):
            apart.action_merge_group()
        self.assertTrue((office | chairs | won).exists())

    def test_typo_name_at_another_company_with_the_same_email(self):
        jose = self.create_lead(
            name="Pricing",
            contact_name="José Müller",
            partner_name="Acme",
            email_from="jm@mail.example",
        )
        typo = self.create_lead(
            name="Brochure",
            contact_name="Jose Mueler",
            partner_name="Globex",
            email_from="JM@mail.example",
        )
        group = self._group_of(self._run_wizard(), jose)
        self.assertEqual(group.lead_ids, jose | typo)
        self.assertIn("same email jm@mail.example", group.reason)
        self.assertRegex(group.reason, r"names \d+% alike, companies \d+% alike")
        self.assertIn("Brochure (Jose Mueler, Globex)", group.reason)

    def test_fuzzy_names_within_a_company_and_plain_fallback(self):
        anna = self.create_lead(
            name="Anna", contact_name="Annabelle Smithers", partner_name="Initech Ltd"
        )
        typo = self.create_lead(
            name="Anna 2", contact_name="Annabel Smithers", partner_name="INITECH"
        )
        exact = self.create_lead(name="Bo", contact_name="Bo Lind", partner_name="Umbrella")
        exact_too = self.create_lead(
            name="Bo 2", contact_name="lind, bo", partner_name="Umbrella Corp"
        )
        # the dialog as it opens: no warning that pg_trgm is missing
        self.assertTrue(Form(self.env["lead.tracking.duplicate.wizard"]).fuzzy_available)
        wizard = self._run_wizard()
        self.assertEqual(self._group_of(wizard, anna).lead_ids, anna | typo)
        self.assertEqual(self._group_of(wizard, exact).lead_ids, exact | exact_too)
        # without pg_trgm: only names equal once normalised
        with patch(
            "odoo.addons.lead_tracking.wizard.lead_tracking_duplicate_wizard._pg_function_exists",
            lambda cr, name: name == "unaccent",
        ):
            self.assertFalse(Form(self.env["lead.tracking.duplicate.wizard"]).fuzzy_available)
            wizard = self._run_wizard()
            self.assertFalse(wizard.fuzzy_available)
            self.assertFalse(self._group_of(wizard, anna))
            self.assertEqual(self._group_of(wizard, exact).lead_ids, exact | exact_too)

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.duplicate.wizard"].create({"name_similarity": 20})
        self.create_lead(name="One", email_from="same@example.com")
        self.create_lead(name="Two", email_from="same@example.com")
        wizard = self._run_wizard()
        self.assertTrue(wizard.group_ids)
        with self.assertRaises(UserError):
            wizard.action_merge()

    def test_salesman_merges_only_what_they_see(self):
        mine = self.create_lead(name="Mine", email_from="dup@example.com", user_id=self.salesman.id)
        self.create_lead(
            name="Theirs", email_from="dup@example.com", user_id=self.other_salesman.id
        )
        wizard = self._run_wizard(self.salesman)
        self.assertFalse(self._group_of(wizard, mine), "the other salesman's lead stays hidden")


@tagged("post_install", "-at_install")
class TestConsent(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["mail.template"].create(
            {
                "name": "LT welcome",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "subject": "Welcome",
                "body_html": "<p>Hello</p>",
                "email_to": "{{ object.email_from }}",
            }
        )

    def _lead(self, consent):
        return self.create_lead(
            name="Bought lead" if not consent else "Opt-in lead",
            partner_id=self.customer.id,
            email_from=self.customer.email,
            consent=consent,
            user_id=self.salesman.id,
        )

    def _mails_to_customer(self, lead):
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        )
        return mails.filtered(
            lambda mail: (
                mail.state != "cancel"
                and (
                    self.customer in mail.recipient_ids
                    or self.customer.email in (mail.email_to or "")
                )
            )
        )

    def _send_everything(self, lead):
        as_salesman = lead.with_user(self.salesman)
        as_salesman.message_post(
            body="Hello",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        as_salesman.message_post_with_source(self.template, subtype_xmlid="mail.mt_comment")
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.salesman)
            .with_context(
                default_model="crm.lead",
                default_res_ids=lead.ids,
                default_composition_mode="mass_mail",
                default_template_id=self.template.id,
            )
            .create({})
        )
        composer._action_send_mail()
        self.template.send_mail(lead.id)

    def test_no_email_without_consent(self):
        lead = self._lead(consent=False)
        self._send_everything(lead)
        self.assertFalse(self._mails_to_customer(lead))
        notified = lead.message_ids.notification_ids.filtered(
            lambda notif: notif.res_partner_id == self.customer
        )
        self.assertFalse(notified)
        self.assertFalse(lead._message_get_suggested_recipients())
        self.assertFalse(lead._message_get_default_recipients()[lead.id]["email_to"])
        # blocked mails stay visible as cancelled, with the reason
        cancelled = (
            self.env["mail.mail"]
            .sudo()
            .search(
                [("model", "=", "crm.lead"), ("res_id", "=", lead.id), ("state", "=", "cancel")]
            )
        )
        self.assertTrue(cancelled)
        self.assertIn("consent", cancelled[0].failure_reason)

    def test_no_email_without_consent_from_the_touch_engine(self):
        """The mails the touch engine queues in bulk pass the same net."""
        blocked, welcome = self._lead(consent=False), self._lead(consent=True)
        mails = self.template._touch_plan_send_mail_batch([blocked.id, welcome.id])
        self.assertEqual(mails.mapped("res_id"), [blocked.id, welcome.id])
        self.assertEqual(mails.mapped("state"), ["cancel", "outgoing"])
        self.assertIn("consent", mails[0].failure_reason)
        self.assertFalse(mails[1].failure_reason)

    def test_email_once_consent_is_given(self):
        lead = self._lead(consent=True)
        self._send_everything(lead)
        self.assertTrue(self._mails_to_customer(lead))
        bought = self._lead(consent=False)
        bought.with_user(self.salesman).action_lead_tracking_give_consent()
        self.assertTrue(bought.consent)
