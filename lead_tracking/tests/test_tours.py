from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.touch_plan.tests.tour_screenshots import tour_screenshots


@tagged("post_install", "-at_install")
class TestLeadTrackingTours(HttpCase):
    """A sales manager opens the lead funnel report in the browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="tour_sales_manager", groups="sales_team.group_sale_manager"
        )
        referral = cls.env.ref("lead_tracking.utm_source_referral")
        web = cls.env["utm.source"].create({"name": "Tour Website", "channel": "web_form"})
        won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        leads = cls.env["crm.lead"].create(
            [
                {
                    "name": f"Tour lead {number}",
                    "type": "opportunity",
                    "source_id": (referral if number % 2 else web).id,
                    "user_id": cls.manager.id,
                    "expected_revenue": 1000 * number,
                }
                for number in range(1, 7)
            ]
        )
        leads[:3].stage_id = won_stage

    def test_manager_opens_the_funnel(self):
        with tour_screenshots():
            self.start_tour("/odoo", "lead_tracking_funnel_tour", login="tour_sales_manager")
