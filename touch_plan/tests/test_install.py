from odoo.tests import TransactionCase, tagged

from .common import AddonUiCheckMixin


@tagged("post_install", "-at_install")
class TestTouchPlanInstall(AddonUiCheckMixin, TransactionCase):
    _addon = "touch_plan"
    _manager_groups = "touch_plan.touch_plan_group_manager"
    _guarded_models = ("touch.plan",)

    def test_menus_open_for_managers(self):
        self.assert_menus_open()

    def test_nothing_without_the_groups(self):
        self.assert_no_access_without_groups()
