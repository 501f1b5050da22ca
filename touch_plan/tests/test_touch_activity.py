import datetime
import importlib.util

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools.misc import file_path
from odoo.tools.safe_eval import safe_eval

from .common_touch import TouchPlanCase


@tagged("post_install", "-at_install")
class TestTouchActivity(TouchPlanCase):
    """Reps meet touches where they work: activities on the client."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_step = cls.lifetime.step_ids.filtered(lambda s: s.kind == "call")
        cls.call_step.note = "<p>Ask how the <b>move</b> went.</p>"

    def _due_call(self, name="Activity Client"):
        """A client enrolled on 2027-01-10 whose first call is due that day."""
        client = self._create_client(name)
        enrollment = client._touch_plan_enroll(self.lifetime)
        call = enrollment.touch_ids.filtered(lambda t: t.kind == "call")[:1]
        call.scheduled_date = datetime.date(2027, 1, 11)
        self._run_cron()
        return client, enrollment, call

    @freeze_time("2027-01-10")
    def test_call_activity_on_the_client_done_there_plans_the_followup(self):
        client, enrollment, call = self._due_call()
        activity = call.activity_id
        self.assertEqual(call.state, "scheduled")
        # on the client: its chatter, the Contacts activity view, the systray
        self.assertIn(activity, client.activity_ids)
        self.assertEqual((activity.res_model, activity.res_id), ("res.partner", client.id))
        self.assertEqual(activity.touch_plan_touch_id, call)
        self.assertEqual(activity.user_id, self.rep)
        self.assertEqual(activity.date_deadline, datetime.date(2027, 1, 11))
        groups = self.env["res.users"].with_user(self.rep)._get_activity_groups()
        partner_group = next(g for g in groups if g["model"] == "res.partner")
        self.assertGreaterEqual(partner_group["planned_count"], 1)
        # the rep marks it done from the contact, with the outcome of the call
        rep_activity = client.with_user(self.rep).activity_ids.filtered(
            lambda a: a.touch_plan_touch_id == call
        )
        with Form(rep_activity, view="mail.mail_activity_view_form_popup") as form:
            form.touch_plan_call_outcome = "reached"
        rep_activity.action_feedback(feedback="Moved in, happy.")
        self.assertRecordValues(call, [{"state": "done", "outcome": "reached"}])
        self.assertFalse(activity.exists())
        self.assertIn("Moved in, happy.", client.message_ids[0].body)
        self.assertIn("Outcome:", client.message_ids[0].body, "the history says how it went")
        self.assertIn("Reached the Client", client.message_ids[0].body)
        followup = self.Touch.search([("trigger_touch_id", "=", call.id)])
        self.assertEqual(followup.kind, "followup")
        self.assertEqual(followup.enrollment_id, enrollment)

    @freeze_time("2027-01-10")
    def test_marking_done_without_outcome_and_cancelling(self):
        client, _enrollment, call = self._due_call()
        # from the systray or a list: no outcome chosen, a call counts as reached
        call.activity_id.with_user(self.rep).action_done()
        self.assertRecordValues(call, [{"state": "done", "outcome": "reached"}])
        other = self._create_client("Cancelled Client")
        other_call = other._touch_plan_enroll(self.lifetime).touch_ids.filtered(
            lambda t: t.kind == "call"
        )[:1]
        other_call.scheduled_date = datetime.date(2027, 1, 10)
        self._run_cron()
        other_call.activity_id.with_user(self.rep).unlink()
        self.assertEqual(other_call.state, "skipped")
        self.assertIn("Activity cancelled by", other_call.skip_reason)
        self.assertTrue(client)

    @freeze_time("2027-01-10")
    def test_outcomes_fit_the_channel(self):
        _client, _enrollment, call = self._due_call()
        with self.assertRaisesRegex(ValidationError, "cannot have the outcome Sent"):
            call.activity_id.touch_plan_outcome = "sent"
        # a gift is handed over, not "reached"
        gift = call.enrollment_id.touch_ids.filtered(lambda t: t.kind == "gift")[:1]
        gift.scheduled_date = datetime.date(2027, 1, 10)
        self._run_cron()
        activity = gift.activity_id
        self.assertEqual(activity.touch_plan_channel, "gift")
        activity.touch_plan_call_outcome = "reached"  # not offered for a gift: ignored
        self.assertFalse(activity.touch_plan_outcome)
        activity.touch_plan_delivery_outcome = "delivered"
        activity.action_feedback()
        self.assertRecordValues(gift, [{"state": "done", "outcome": "delivered"}])

    @freeze_time("2027-01-10")
    def test_notes_are_html_never_escaped(self):
        _client, _enrollment, call = self._due_call()
        note = str(call.activity_id.note)
        self.assertIn("<b>move</b>", note)
        self.assertIn("<p>Referral ask:", note)
        activities = self.env["mail.activity"].search([("touch_plan_touch_id", "!=", False)])
        self.assertTrue(activities)
        for activity in activities:
            self.assertNotIn("&lt;", str(activity.note or ""))

    @freeze_time("2027-01-10")
    def test_names_and_summaries_in_the_reps_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.call_step.with_context(lang="fr_FR").name = "Appel de courtoisie"
        self.rep.lang = "fr_FR"
        _client, enrollment, call = self._due_call("Client Français")
        self.assertEqual(call.name, "Appel de courtoisie")
        self.assertEqual(call.activity_id.summary, "Appel de courtoisie: Client Français")
        gift = enrollment.touch_ids.filtered(lambda t: t.kind == "gift")[:1]
        self.assertEqual(gift.name, gift.step_id.with_context(lang="fr_FR").name)

    @freeze_time("2027-01-10")
    def test_touches_read_in_the_readers_language(self):
        """Planned while the rep worked in English, read by someone in French:
        touches show their step's French name (lists, kanban, form, calendar)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.call_step.with_context(lang="fr_FR").name = "Appel de courtoisie"
        _client, _enrollment, call = self._due_call("Client Anglais")
        self.assertEqual(call.name, self.call_step.with_context(lang="en_US").name)
        self.assertEqual(call.with_context(lang="fr_FR").display_name, "Appel de courtoisie")
        self.assertEqual(call.with_context(lang="en_US").display_name, call.name)
        Touch = self.env["touch.plan.touch"]
        for view_type in ("list", "kanban", "form"):
            arch = Touch.get_view(view_type=view_type)["arch"]
            self.assertIn('name="display_name"', arch, view_type)

    @freeze_time("2027-01-10")
    def test_enrolling_turns_due_touches_into_activities_at_once(self):
        """No waiting for the 04:00 job: a gift due within the lead time is an activity."""
        plan = self.env["touch.plan"].create(
            {
                "name": "Gift Today",
                "activity_days_ahead": 3,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Welcome gift",
                            "kind": "gift",
                            "channel": "gift",
                            "timing": "monthly",
                            "day_of_month": 12,
                        },
                    )
                ],
            }
        )
        client = self._create_client("Gift Client")
        wizard = Form(
            self.env["touch.plan.enroll.wizard"].with_context(default_partner_ids=client.ids)
        )
        wizard.plan_id = plan
        wizard.save().action_enroll()
        gift = client.touch_ids.filtered(lambda t: t.scheduled_date == datetime.date(2027, 1, 12))
        self.assertEqual(gift.state, "scheduled")
        self.assertIn(gift.activity_id, client.activity_ids)
        # and through the enrollment form
        other = self._create_client("Form Client")
        form = Form(self.env["touch.plan.enrollment"])
        form.plan_id = plan
        form.partner_id = other
        enrollment = form.save()
        self.assertTrue(enrollment.touch_ids.filtered(lambda t: t.state == "scheduled"))

    @freeze_time("2027-01-10")
    def test_enroll_wizard_respects_record_rules(self):
        other_rep = new_test_user(
            self.env, login="tp_other_rep", groups="touch_plan.touch_plan_group_user"
        )
        client = self._create_client("Ruled Client")
        wizard = (
            self.env["touch.plan.enroll.wizard"]
            .with_user(self.rep)
            .create(
                {"plan_id": self.lifetime.id, "partner_ids": client.ids, "user_id": other_rep.id}
            )
        )
        with self.assertRaises(AccessError):
            wizard.action_enroll()
        wizard.user_id = False
        wizard.action_enroll()
        self.assertEqual(client.touch_plan_enrollment_ids.user_id, self.rep)

    @freeze_time("2027-01-10")
    def test_group_touches_by_enrollment_with_two_enrollments(self):
        """The Lifetime -> Advocates move gives a client two enrollments: grouping works."""
        client = self._create_client("Two Plans")
        lifetime = client._touch_plan_enroll(self.lifetime)
        self.env["res.partner"].create({"name": "Referred", "referred_by_id": client.id})
        enrollments = self.Enrollment.search([("partner_id", "=", client.id)])
        self.assertEqual(len(enrollments), 2)
        self.assertEqual(enrollments.mapped("name")[0].split(" - ")[1], "Two Plans")
        groups = self.Touch.with_user(self.rep).web_read_group(
            [("partner_id", "=", client.id)], ["enrollment_id"], ["enrollment_id"]
        )["groups"]
        labels = {group["enrollment_id"][1] for group in groups}
        self.assertEqual(
            labels,
            {
                f"{self.lifetime.name} - Two Plans",
                f"{self.advocate.name} - Two Plans",
            },
        )
        # the Advocates move keeps the client's rep (not the user recording the referral)
        advocate = enrollments - lifetime
        self.assertEqual(advocate.user_id, self.rep)
        self.assertEqual(set(advocate.touch_ids.mapped("user_id")), {self.rep})

    @freeze_time("2027-01-10")
    def test_one_thank_you_per_new_referral(self):
        referrer_a = self._create_client("Referrer A")
        referrer_b = self._create_client("Referrer B")
        (referrer_a | referrer_b)._touch_plan_enroll(self.advocate)
        step_thanks = self.advocate.step_ids.filtered(lambda s: s.timing == "referral")
        step_thanks.count = 10
        referred = self.env["res.partner"].create(
            [
                {"name": "Friend 1", "referred_by_id": referrer_a.id},
                {"name": "Friend 2", "referred_by_id": referrer_a.id},
                {"name": "Friend 3", "referred_by_id": referrer_b.id},
            ]
        )

        def thanks(partner):
            return partner.touch_ids.filtered(lambda t: t.step_id == step_thanks)

        self.assertEqual(len(thanks(referrer_a)), 2)
        self.assertEqual(len(thanks(referrer_b)), 1)
        # writing the same referrer again is no new referral
        referred.write({"referred_by_id": referrer_a.id})
        self.assertEqual(len(thanks(referrer_a)), 3, "only Friend 3 is new to A")
        referred[0].referred_by_id = referrer_a
        self.assertEqual(len(thanks(referrer_a)), 3)

    def test_a_step_after_itself_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot come after itself"):
            self.call_step.write({"timing": "after_step", "trigger_step_id": self.call_step.id})

    def test_rep_edits_key_dates_of_own_client(self):
        client = self._create_client("Dated Client", key_dates=False)
        action = client.with_user(self.rep).action_touch_plan_key_dates()
        self.assertEqual(action["domain"], [("partner_id", "=", client.id)])
        key_date = (
            self.env["touch.plan.key.date"]
            .with_user(self.rep)
            .with_context(**action["context"])
            .create({"type_id": self.key_types[0].id, "date": "1990-04-02"})
        )
        key_date.date = datetime.date(1990, 4, 3)
        self.assertEqual(client.key_date_ids.date, datetime.date(1990, 4, 3))

    @freeze_time("2027-01-10")
    def test_migration_moves_touch_activities_to_the_client(self):
        client, _enrollment, call = self._due_call()
        activity = call.activity_id
        # as before 18.0.1.1.0: the activity sat on the touch itself
        self.env.flush_all()
        self.env.cr.execute(
            """UPDATE mail_activity
                  SET res_model_id = %s, res_model = 'touch.plan.touch', res_id = %s,
                      touch_plan_touch_id = NULL
                WHERE id = %s""",
            [self.env["ir.model"]._get_id("touch.plan.touch"), call.id, activity.id],
        )
        self.env.invalidate_all()
        spec = importlib.util.spec_from_file_location(
            "touch_plan_post_migration_18_0_1_1_0",
            file_path("touch_plan/migrations/18.0.1.1.0/post-migration.py"),
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertRecordValues(
            activity,
            [{"res_model": "res.partner", "res_id": client.id, "touch_plan_touch_id": call.id}],
        )
        self.assertEqual(activity.res_name, client.display_name)
        self.assertIn(activity, client.activity_ids)

    def test_views_show_what_reps_need(self):
        """Touches this year on the contact itself (not in the More menu of the
        smart buttons), the client's phone and email on the touch, and the
        Today / This Week filters and the Channel grouping on touches."""
        Partner = self.env["res.partner"].with_user(self.rep)
        arch = etree.fromstring(Partner.get_view(view_type="form")["arch"])
        year_fields = arch.xpath("//field[@name='touch_year_done_count']")
        self.assertTrue(
            any(not field.xpath("ancestor::div[@name='button_box']") for field in year_fields),
            "the year's figures are on the form itself",
        )
        Touch = self.Touch.with_user(self.rep)
        form = etree.fromstring(Touch.get_view(view_type="form")["arch"])
        for name in ("partner_phone", "partner_mobile", "partner_email"):
            self.assertTrue(form.xpath(f"//field[@name='{name}']"), name)
        search = etree.fromstring(Touch.get_view(view_type="search")["arch"])
        for name in ("filter_today", "filter_this_week", "group_channel", "group_enrollment"):
            self.assertTrue(search.xpath(f"//filter[@name='{name}']"), name)
        # This Week runs Monday to Sunday, whatever the day it is used
        week = search.xpath("//filter[@name='filter_this_week']")[0].get("domain")
        for today, monday in (
            ("2027-01-13", "2027-01-11"),
            ("2027-01-11", "2027-01-11"),
            ("2027-01-17", "2027-01-11"),
        ):
            domain = safe_eval(
                week,
                {
                    "context_today": lambda today=today: fields.Date.to_date(today),
                    "relativedelta": relativedelta,
                },
            )
            self.assertEqual(domain[0][2], monday, today)
            self.assertEqual(domain[1][2], "2027-01-18", today)
