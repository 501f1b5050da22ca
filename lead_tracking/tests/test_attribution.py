from types import SimpleNamespace
from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestAttribution(LeadTrackingCase):
    def test_first_touch_survives_later_visits(self):
        lead = self.create_lead(
            source_id=self.source_web.id,
            medium_id=self.medium_cpc.id,
            campaign_id=self.campaign_spring.id,
        )
        self.assertEqual(lead.first_touch_source_id, self.source_web)
        self.assertEqual(lead.first_touch_medium_id, self.medium_cpc)
        self.assertEqual(lead.first_touch_campaign_id, self.campaign_spring)
        self.assertEqual(lead.channel, "web_form")

        # a later visit through another campaign updates the latest touch only
        lead.write({"source_id": self.source_social.id, "campaign_id": self.campaign_fall.id})
        self.assertEqual(lead.source_id, self.source_social)
        self.assertEqual(lead.first_touch_source_id, self.source_web)
        self.assertEqual(lead.first_touch_campaign_id, self.campaign_spring)
        self.assertEqual(lead.channel, "web_form")

        # even a direct write does not overwrite it
        lead.write({"first_touch_source_id": self.source_event.id, "name": "Renamed"})
        self.assertEqual(lead.first_touch_source_id, self.source_web)
        self.assertEqual(lead.name, "Renamed")

    def test_first_touch_written_when_source_arrives_later(self):
        lead = self.create_lead()
        self.assertFalse(lead.first_touch_source_id)
        self.assertFalse(lead.channel)
        lead.source_id = self.source_event
        self.assertEqual(lead.first_touch_source_id, self.source_event)
        self.assertEqual(lead.channel, "event")

    def test_mixed_batch_write_only_fills_empty_first_touches(self):
        with_touch = self.create_lead(source_id=self.source_web.id)
        without = self.create_lead()
        (with_touch | without).write({"first_touch_source_id": self.source_event.id})
        self.assertEqual(with_touch.first_touch_source_id, self.source_web)
        self.assertEqual(without.first_touch_source_id, self.source_event)

    def test_web_form_reads_utm_cookies_through_rules(self):
        facebook = self.source_social
        self.env["lead.tracking.source.rule"].create(
            {"pattern": "fb", "match_type": "contains", "source_id": facebook.id}
        )
        fake_request = SimpleNamespace(
            cookies={"odoo_utm_source": "FB ads spring", "odoo_utm_medium": "LT cpc"}
        )
        with patch("odoo.addons.utm.models.utm_mixin.request", fake_request):
            # website forms create leads as superuser, which reads the cookies
            lead = self.env["crm.lead"].create({"name": "From the web form"})
        self.assertEqual(lead.source_id, facebook)
        self.assertEqual(lead.first_touch_source_id, facebook)
        self.assertEqual(lead.first_touch_medium_id, self.medium_cpc)
        self.assertEqual(lead.channel, "social")
        # an unknown name still becomes a new source, as in standard Odoo
        fake_request.cookies = {"odoo_utm_source": "newsletter-xyz"}
        with patch("odoo.addons.utm.models.utm_mixin.request", fake_request):
            other = self.env["crm.lead"].create({"name": "Another"})
        self.assertEqual(other.source_id.name, "newsletter-xyz")
        self.assertEqual(other.channel, "other")

    def test_source_rules(self):
        Rule = self.env["lead.tracking.source.rule"]
        Rule.create(
            {"pattern": "^linked.?in", "match_type": "regex", "source_id": self.source_social.id}
        )
        Rule.create(
            {"pattern": "expo 2026", "match_type": "exact", "source_id": self.source_event.id}
        )
        Source = self.env["utm.source"]
        self.assertEqual(Source.name_create("LinkedIn Ads")[0], self.source_social.id)
        self.assertEqual(Source.name_create(" EXPO 2026 ")[0], self.source_event.id)
        self.assertNotIn(Source.name_create("expo 2026 berlin")[0], self.source_event.ids)
        with self.assertRaises(ValidationError):
            Rule.create(
                {"pattern": "([", "match_type": "regex", "source_id": self.source_social.id}
            )
        with self.assertRaises(ValidationError):
            Rule.create({"pattern": "  ", "source_id": self.source_social.id})

    def test_email_channel_for_newsletters_and_mailings(self):
        newsletter = self.env.ref("utm.utm_source_newsletter")
        self.assertEqual(newsletter.channel, "email")
        rules = (
            self.env.ref("lead_tracking.lead_tracking_source_rule_newsletter")
            | self.env.ref("lead_tracking.lead_tracking_source_rule_mailing")
            | self.env.ref("lead_tracking.lead_tracking_source_rule_email")
        )
        rules.active = True
        Source = self.env["utm.source"]
        for name in ("Newsletter March", "Email", "e-mail blast", "Mailing list", "MAILING"):
            self.assertEqual(Source.name_create(name)[0], newsletter.id, name)
        self.assertNotEqual(Source.name_create("Gmail ads")[0], newsletter.id)
        # sources already there move onto Newsletter, and their leads count as email
        messy = Source.create({"name": "Email campaign"})
        lead = self.create_lead(source_id=messy.id)
        self.assertEqual(lead.channel, "other")
        rules.action_apply_to_existing()
        self.assertEqual(lead.source_id, newsletter)
        self.assertEqual(lead.channel, "email")
        labels = dict(self.env["lead.tracking.cost.report"]._fields["channel"].selection)
        self.assertEqual(labels["email"], "Email / Newsletter")

    def test_rules_clean_existing_leads(self):
        messy = self.env["utm.source"].create({"name": "facebook.com/ads"})
        lead = self.create_lead(source_id=messy.id)
        rule = self.env["lead.tracking.source.rule"].create(
            {"pattern": "facebook", "source_id": self.source_social.id}
        )
        rule.action_apply_to_existing()
        self.assertEqual(lead.source_id, self.source_social)
        self.assertEqual(lead.first_touch_source_id, self.source_social)

    def test_merge_keeps_earliest_first_touch_and_referrer(self):
        old = self.create_lead(
            "2026-01-05 10:00:00",
            name="Old lead",
            type="lead",
            source_id=self.source_event.id,
            campaign_id=self.campaign_spring.id,
            referred_by_id=self.referrer.id,
            email_from="alice@customer.example",
        )
        new = self.create_lead(
            "2026-02-05 10:00:00",
            name="New opportunity",
            type="opportunity",
            source_id=self.source_social.id,
            campaign_id=self.campaign_fall.id,
            email_from="alice@customer.example",
            expected_revenue=1000,
        )
        merged = (old | new).merge_opportunity()
        # the opportunity is kept, yet the earliest lead's attribution survives
        self.assertEqual(merged, new)
        self.assertFalse(old.exists())
        self.assertEqual(merged.first_touch_source_id, self.source_event)
        self.assertEqual(merged.first_touch_campaign_id, self.campaign_spring)
        self.assertEqual(merged.referred_by_id, self.referrer)
        self.assertEqual(merged.channel, "event")
        # and stays locked afterwards
        merged.write({"first_touch_source_id": self.source_web.id})
        self.assertEqual(merged.first_touch_source_id, self.source_event)

    def test_partner_acquisition_stamped_by_first_won_lead(self):
        first = self.create_lead(
            "2026-01-05 10:00:00",
            source_id=self.source_event.id,
            medium_id=self.medium_cpc.id,
            partner_id=self.customer.id,
            type="opportunity",
        )
        second = self.create_lead(
            "2026-02-05 10:00:00",
            source_id=self.source_social.id,
            partner_id=self.customer.id,
            type="opportunity",
        )
        self.assertFalse(self.customer.acquisition_date)
        with self.at("2026-03-01 12:00:00"):
            first.action_set_won()
        self.assertEqual(self.customer.acquisition_source_id, self.source_event)
        self.assertEqual(self.customer.acquisition_medium_id, self.medium_cpc)
        self.assertEqual(self.customer.acquisition_channel, "event")
        self.assertEqual(str(self.customer.acquisition_date), "2026-03-01")
        self.assertEqual(self.customer.acquisition_lead_id, first)
        with self.at("2026-04-01 12:00:00"):
            second.action_set_won()
        self.assertEqual(self.customer.acquisition_lead_id, first, "only the first win stamps")
        self.assertEqual(self.customer.acquisition_source_id, self.source_event)

    def test_salesman_wins_without_contact_rights(self):
        lead = self.create_lead(
            source_id=self.source_web.id,
            partner_id=self.customer.id,
            user_id=self.salesman.id,
            type="opportunity",
        )
        lead.with_user(self.salesman).action_set_won()
        self.assertEqual(self.customer.acquisition_channel, "web_form")

    def test_referrer_referral_count(self):
        self.create_lead(referred_by_id=self.referrer.id)
        lead = self.create_lead(referred_by_id=self.referrer.id)
        self.assertEqual(lead.referrer_referral_count, 2)

    def test_import_is_a_purchased_list_without_consent(self):
        """The import option marks a whole file as a purchased list."""
        leads = (
            self.env["crm.lead"]
            .with_context(import_file=True, lead_tracking_purchased_list=True)
            .create([{"name": "Bought 1"}, {"name": "Bought 2", "consent": True}])
        )
        self.assertEqual(leads.mapped("consent"), [False, True])
        self.assertEqual(set(leads.mapped("channel")), {"purchased_list"})
        normal = self.create_lead()
        self.assertTrue(normal.consent)

    def test_import_is_a_purchased_list_only_when_the_importer_says_so(self):
        """A plain import keeps consent and sources; the source column can say
        that a row comes from a purchased list."""
        purchased = self.env.ref("lead_tracking.utm_source_purchased_list")
        web = self.env["utm.source"].create({"name": "Imported web form", "channel": "web_form"})
        leads = (
            self.env["crm.lead"]
            .with_context(import_file=True)
            .create(
                [
                    {"name": "Web 1", "source_id": web.id},
                    {"name": "No source"},
                    {"name": "Bought", "source_id": purchased.id},
                ]
            )
        )
        self.assertEqual(leads.mapped("consent"), [True, True, False])
        self.assertEqual(leads.mapped("source_id"), web | purchased)
        self.assertFalse(leads[1].source_id)
