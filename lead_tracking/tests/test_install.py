from odoo.tests import TransactionCase, tagged

from odoo.addons.touch_plan.tests.common import AddonUiCheckMixin


@tagged("post_install", "-at_install")
class TestLeadTrackingInstall(AddonUiCheckMixin, TransactionCase):
    _addon = "lead_tracking"
    _manager_groups = "sales_team.group_sale_manager"
    _guarded_models = (
        "lead.tracking.spend",
        "lead.tracking.source.rule",
        "lead.tracking.response.target",
        "lead.tracking.funnel.report",
        "lead.tracking.cost.report",
    )

    def test_menus_open_for_managers(self):
        self.assert_menus_open()

    def test_nothing_without_the_groups(self):
        self.assert_no_access_without_groups()


@tagged("post_install", "-at_install")
class TestLeadTrackingDemo(TransactionCase):
    """The demo shows what a marketer looks for: customers and a CAC where
    money was spent, no CAC where no customer came."""

    def setUp(self):
        super().setUp()
        self.won = self.env.ref(
            "lead_tracking.crm_lead_demo_won_facebook", raise_if_not_found=False
        )
        if not self.won:
            self.skipTest("installed without demo data")  # pylint: disable=missing-return

    def test_won_demo_leads_carry_their_acquisition(self):
        won = self.won | self.env.ref("lead_tracking.crm_lead_demo_won_trade_show")
        self.assertTrue(all(lead.stage_id.is_won for lead in won))
        self.assertEqual(
            won.partner_id.mapped("acquisition_source_id"),
            won.mapped("first_touch_source_id"),
        )
        month = self.won.date_closed.date().replace(day=1)
        Report = self.env["lead.tracking.cost.report"]
        rows = {
            channel: (customers, cac)
            for channel, customers, cac in Report._read_group(
                [("month", "=", month), ("company_id", "=", self.won.company_id.id)],
                ["channel"],
                ["new_customer_count:sum", "cac:sum"],
            )
        }
        self.assertGreaterEqual(rows["social"][0], 1)
        self.assertGreater(rows["social"][1], 0)
        self.assertGreater(rows["event"][1], 0)
        self.assertEqual(rows["email"], (0, False), "newsletter: spend, no customer, no CAC")

    def test_no_demo_record_owned_by_odoobot(self):
        if not self.won:
            return
        odoobot = self.env.ref("base.user_root")
        demo = self.env["ir.model.data"].search(
            [("module", "=", "lead_tracking"), ("model", "=", "crm.lead")]
        )
        leads = self.env["crm.lead"].browse(demo.mapped("res_id"))
        self.assertTrue(leads)
        self.assertNotIn(odoobot, leads.user_id)
        self.assertTrue(all(leads.mapped("user_id")))
