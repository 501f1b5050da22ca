from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common_reports import TouchPlanReportCase


@tagged("post_install", "-at_install")
class TestTouchPlanLabels(HttpCase, TouchPlanReportCase):
    """An HttpCase: wkhtmltopdf fetches the report's assets from the test server."""

    def test_labels_values_list_incomplete_addresses(self):
        """Partners without a full address are listed, not dropped."""
        gifts = self.touches.filtered(lambda t: t.channel == "gift")
        calls = self.touches.filtered(lambda t: t.channel == "call")
        client_a_gift = self.env["touch.plan.touch"].create(
            {
                "enrollment_id": self.enrollment_a.id,
                "name": "Birthday card",
                "kind": "occasion_card",
                "channel": "card",
                "cycle_start": self.enrollment_a.cycle_start,
                "scheduled_date": self.today,
            }
        )
        values = self.env["report.touch_plan.report_touch_plan_labels"]._get_report_values(
            (gifts | calls | client_a_gift).ids
        )
        # calls are not posted: only the card and the two gifts are packed
        self.assertEqual(values["docs"], gifts | client_a_gift)
        self.assertEqual(values["labels"], [self.client_a])
        self.assertEqual([line["partner"] for line in values["incomplete"]], [self.client_b])
        self.assertIn("Street", values["incomplete"][0]["missing"])
        self.assertIn("Zip", values["incomplete"][0]["missing"])

    def test_labels_pdf_renders(self):
        touch = self.touches[5]
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("touch_plan.report_touch_plan_labels", touch.ids)[0]
            .decode()
        )
        self.assertIn("Packing List", html)
        self.assertIn("Report Client B", html)
        self.assertIn("Incomplete Address", html)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, report_type = Report._render_qweb_pdf("touch_plan.report_touch_plan_labels", touch.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_labels_from_activities(self):
        """The batch action on activities prints the labels of their touches."""
        touch = self.touches[5]
        activity = self.env["mail.activity"].create(
            {
                "res_model_id": self.env["ir.model"]._get_id("res.partner"),
                "res_id": touch.partner_id.id,
                "touch_plan_touch_id": touch.id,
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "user_id": self.rep2.id,
            }
        )
        values = self.env["report.touch_plan.report_touch_plan_activity_labels"]._get_report_values(
            activity.ids
        )
        self.assertEqual(values["docs"], touch)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _type = Report._render_qweb_pdf(
            "touch_plan.report_touch_plan_activity_labels", activity.ids
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_labels_nothing_to_post(self):
        calls = self.touches.filtered(lambda t: t.channel == "call")
        with self.assertRaises(UserError):
            self.env["report.touch_plan.report_touch_plan_labels"]._get_report_values(calls.ids)
