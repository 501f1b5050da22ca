from odoo.tests import TransactionCase, tagged

from odoo.addons.touch_plan.tests.common import AddonUiCheckMixin


@tagged("post_install", "-at_install")
class TestLoyaltyClubInstall(AddonUiCheckMixin, TransactionCase):
    _addon = "loyalty_club"
    _manager_groups = "sales_team.group_sale_manager"
    _guarded_models = ("loyalty.club.tier",)

    def test_menus_open_for_managers(self):
        self.assert_menus_open()

    def test_nothing_without_the_groups(self):
        self.assert_no_access_without_groups()
