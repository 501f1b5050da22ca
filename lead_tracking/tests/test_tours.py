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


@tagged("post_install", "-at_install")
class TestDuplicateFinderTour(HttpCase):
    """A sales manager finds duplicates, sees why, and merges one group."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="tour_dedupe_manager", groups="sales_team.group_sale_manager"
        )
        Lead = cls.env["crm.lead"]
        cls.jane = Lead.create(
            {
                "name": "Tour Request from Jane Doe",
                "contact_name": "Jane Doe",
                "partner_name": "Tour Widgets Ltd",
                "email_from": "jane@tourwidgets.example",
                "phone": "+32470123456",
                "user_id": cls.manager.id,
            }
        )
        cls.jane_again = Lead.create(
            {
                "name": "Tour Jane again",
                "contact_name": "Jane Do",
                "partner_name": "Tour Widgets",
                "email_from": "JANE@tourwidgets.example",
                "user_id": cls.manager.id,
            }
        )
        customer = cls.env["res.partner"].create(
            {"name": "Tour Customer", "email": "buyer@tourcustomer.example"}
        )
        stages = cls.env["crm.stage"].search([("is_won", "=", False)], order="sequence", limit=2)
        cls.deals = Lead.create(
            [
                {
                    "name": name,
                    "type": "opportunity",
                    "partner_id": customer.id,
                    "email_from": customer.email,
                    "stage_id": stage.id,
                    "user_id": cls.manager.id,
                }
                for name, stage in (
                    ("Tour Office Deal", stages[0]),
                    ("Tour Chairs Deal", stages[1]),
                )
            ]
        )

    def test_manager_merges_a_duplicate_group(self):
        with tour_screenshots():
            self.start_tour("/odoo", "lead_tracking_duplicate_tour", login="tour_dedupe_manager")
        self.assertEqual(len((self.jane | self.jane_again).exists()), 1)
        head = (self.jane | self.jane_again).exists()
        self.assertTrue(
            head.message_ids.filtered(lambda message: "duplicate finder" in (message.body or ""))
        )
        self.assertEqual(len(self.deals.exists()), 2, "separate deals are never merged")
