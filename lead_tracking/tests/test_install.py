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
