from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .tour_screenshots import tour_screenshots


@tagged("post_install", "-at_install")
class TestTouchPlanTours(HttpCase):
    """A rep in the browser: their touches, a call done with its outcome, a client's plan."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rep = new_test_user(
            cls.env,
            login="tour_rep",
            name="Tessa Rep",
            groups="touch_plan.touch_plan_group_user,base.group_partner_manager",
            tz="UTC",
        )
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.today = fields.Date.context_today(cls.rep)
        cls.client = cls.env["res.partner"].create(
            {"name": "Tour Client", "email": "tour.client@example.com", "user_id": cls.rep.id}
        )
        others = cls.env["res.partner"].create(
            [
                {"name": name, "email": f"{name.split()[0].lower()}@example.com"}
                for name in ("Amira Haddad", "Bruno Costa", "Chen Wei")
            ]
        )
        enrollments = (cls.client | others)._touch_plan_enroll(cls.lifetime, user_id=cls.rep.id)
        enrollments._generate_touches()
        cls.enrollment = enrollments.filtered(lambda e: e.partner_id == cls.client)
        cls.call = cls.enrollment.touch_ids.filtered(lambda t: t.kind == "call").sorted(
            "scheduled_date"
        )[:1]
        cls.call.scheduled_date = cls.today

    def test_rep_completes_a_call(self):
        with tour_screenshots():
            self.start_tour("/odoo", "touch_plan_rep_call_tour", login="tour_rep")
        self.assertRecordValues(self.call, [{"state": "done", "outcome": "reached"}])
        followup = self.env["touch.plan.touch"].search([("trigger_touch_id", "=", self.call.id)])
        self.assertEqual(followup.kind, "followup")
        self.assertEqual(followup.user_id, self.rep)

    def test_rep_sees_the_plan_of_a_client(self):
        with tour_screenshots():
            self.start_tour(
                f"/odoo/res.partner/{self.client.id}", "touch_plan_partner_tour", login="tour_rep"
            )

    def test_mark_done_in_the_chatter_updates_the_open_form(self):
        """The call's activity marked done in the client's chatter: the form shows
        the touch done (smart button, enrolment line) without a reload."""
        self.call._process_due()
        activity = self.call.activity_id
        self.assertIn(activity, self.client.activity_ids)
        # an email due on the enrolment day may be done already (the 1st of a month)
        done_before = self.client.touch_year_done_count
        self.start_tour(
            f"/odoo/res.partner/{self.client.id}",
            "touch_plan_partner_mark_done_tour",
            login="tour_rep",
        )
        self.assertRecordValues(self.call, [{"state": "done", "outcome": "reached"}])
        self.assertFalse(activity.exists())
        self.client.invalidate_recordset(["touch_year_done_count"])
        self.assertEqual(self.client.touch_year_done_count, done_before + 1)
