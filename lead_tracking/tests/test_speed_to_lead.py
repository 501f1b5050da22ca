from odoo.tests import tagged
from odoo.tools import SQL

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestSpeedToLead(LeadTrackingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["lead.tracking.response.target"].create(
            {"channel": "web_form", "target_minutes": 60, "company_id": cls.company.id}
        )
        cls.portal_partner = cls.env["res.partner"].create({"name": "Portal Pete"})

    def _lead(self, when="2026-01-09 16:00:00", **vals):
        vals.setdefault("source_id", self.source_web.id)
        vals.setdefault("user_id", self.salesman.id)
        vals.setdefault("partner_id", self.customer.id)
        return self.create_lead(when, **vals)

    def test_deadline_in_working_time(self):
        lead = self._lead()
        self.assertEqual(str(lead.response_deadline), "2026-01-09 17:00:00")
        evening = self._lead("2026-01-09 18:30:00")
        self.assertEqual(str(evening.response_deadline), "2026-01-12 09:00:00")
        no_target = self._lead(source_id=self.source_event.id)
        self.assertFalse(no_target.response_deadline)

    def test_only_customer_visible_answers_by_internal_users_count(self):
        lead = self._lead()
        as_salesman = lead.with_user(self.salesman)
        with self.at("2026-01-09 16:20:00"):
            as_salesman.message_post(body="Internal note", subtype_xmlid="mail.mt_note")
        self.assertFalse(lead.first_response_date, "an internal note is no answer")
        with self.at("2026-01-09 16:30:00"):
            lead.message_post(
                body="Any news?",
                author_id=self.customer.id,
                message_type="email",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertFalse(lead.first_response_date, "the customer writing is no answer")
        with self.at("2026-01-12 09:00:00"):
            as_salesman.message_post(
                body="Hello Alice", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(str(lead.first_response_date), "2026-01-12 09:00:00")
        # Friday 16:00 -> Monday 09:00 is 65 hours, of which 2 are working hours
        self.assertAlmostEqual(lead.response_time, 65 * 60)
        self.assertAlmostEqual(lead.response_working_time, 120)
        self.assertTrue(lead.is_late, "answered after the 17:00 deadline")
        with self.at("2026-01-13 09:00:00"):
            as_salesman.message_post(
                body="Again", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        self.assertEqual(str(lead.first_response_date), "2026-01-12 09:00:00", "first one stays")

    def test_unanswered_lead_shows_no_response_time(self):
        answered = self._lead()
        with self.at("2026-01-09 16:40:00"):
            answered.with_user(self.salesman).message_post(
                body="Hello", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        waiting = self._lead()
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT id, response_time FROM crm_lead WHERE id IN %s",
                tuple((answered | waiting).ids),
            )
        )
        stored = dict(self.env.cr.fetchall())
        self.assertIsNone(stored[waiting.id], "not answered is empty, not 0 minutes")
        self.assertAlmostEqual(stored[answered.id], 40)
        Lead = self.env["crm.lead"]
        unanswered = Lead.search(
            [("id", "in", (answered | waiting).ids), ("first_response_date", "=", False)]
        )
        self.assertEqual(unanswered, waiting)
        # the average does not count the unanswered lead as an instant answer
        [(average,)] = Lead._read_group(
            [("id", "in", (answered | waiting).ids)], [], ["response_time:avg"]
        )
        self.assertAlmostEqual(average, 40)
        # the form and the lists hide the figure until there is one
        for view_ref in ("crm.crm_lead_view_form",):
            arch = Lead.get_view(self.env.ref(view_ref).id)["arch"]
            self.assertRegex(arch, r'name="response_time"[^>]*invisible="not first_response_date"')
            self.assertIn("Not answered yet.", arch)
        for view_ref in ("crm.crm_case_tree_view_oppor", "crm.crm_case_tree_view_leads"):
            arch = Lead.get_view(self.env.ref(view_ref).id, "list")["arch"]
            self.assertRegex(arch, r'name="response_time"[^>]*invisible="not first_response_date"')

    def test_filters_in_pipeline_and_leads(self):
        Lead = self.env["crm.lead"]
        for view_ref in (
            "crm.view_crm_case_opportunities_filter",
            "crm.view_crm_case_leads_filter",
        ):
            arch = Lead.get_view(self.env.ref(view_ref).id, "search")["arch"]
            for name in (
                "lead_tracking_unanswered",
                "lead_tracking_late",
                "lead_tracking_no_consent",
                "lead_tracking_group_channel",
                "lead_tracking_group_first_source",
                "lead_tracking_group_referrer",
            ):
                self.assertIn(f'name="{name}"', arch, f"{name} missing in {view_ref}")

    def test_done_call_counts_but_todo_does_not(self):
        lead = self._lead()
        with self.at("2026-01-09 16:10:00"):
            todo = lead.activity_schedule("mail.mail_activity_data_todo", user_id=self.salesman.id)
            todo.with_user(self.salesman).action_feedback(feedback="prepared")
        self.assertFalse(lead.first_response_date)
        with self.at("2026-01-09 16:40:00"):
            call = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.salesman.id)
            call.with_user(self.salesman).action_feedback(feedback="Reached Alice")
        self.assertEqual(str(lead.first_response_date), "2026-01-09 16:40:00")
        self.assertAlmostEqual(lead.response_time, 40)
        self.assertAlmostEqual(lead.response_working_time, 40)
        self.assertFalse(lead.is_late)

    def test_lead_form_reloads_after_an_activity_is_done(self):
        """A call marked done in the lead's chatter shows the first response at
        once: the form's chatter reloads the record (touch_plan's reload_on_activity)."""
        arch = self.env["crm.lead"].get_view(self.env.ref("crm.crm_lead_view_form").id, "form")[
            "arch"
        ]
        self.assertRegex(arch, r'<chatter[^>]* reload_on_activity="1"')

    def test_late_leads_are_flagged_and_escalated_once(self):
        late = self._lead()
        answered = self._lead()
        with self.at("2026-01-09 16:30:00"):
            answered.with_user(self.salesman).message_post(
                body="Hi", message_type="comment", subtype_xmlid="mail.mt_comment"
            )
        with self.at("2026-01-12 10:00:00"):
            self.env["crm.lead"]._cron_lead_tracking_flag_late()
            self.env["crm.lead"]._cron_lead_tracking_flag_late()
        self.assertTrue(late.is_late)
        self.assertFalse(answered.is_late)
        escalations = late.activity_ids.filtered(lambda act: act.user_id == self.manager)
        self.assertEqual(len(escalations), 1, "one escalation for the team leader, not two")
        self.assertFalse(answered.activity_ids)

    def _count_cron_queries(self, nb_leads):
        leads = [self._lead() for _i in range(nb_leads)]
        self.env.flush_all()
        self.env.invalidate_all()
        with self.at("2026-01-12 10:00:00"):
            before = self.env.cr.sql_log_count
            self.env["crm.lead"]._cron_lead_tracking_flag_late()
            self.env.flush_all()
            count = self.env.cr.sql_log_count - before
        self.assertTrue(all(lead.is_late for lead in leads))
        return count

    def test_late_cron_queries_do_not_grow_with_batch(self):
        self._count_cron_queries(1)  # warm the caches
        one = self._count_cron_queries(1)
        ten = self._count_cron_queries(10)
        self.assertLessEqual(ten, one + 2, f"1 lead: {one} queries, 10 leads: {ten}")
