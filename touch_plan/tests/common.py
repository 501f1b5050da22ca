from odoo.exceptions import AccessError
from odoo.tests import new_test_user


class AddonUiCheckMixin:
    """Checks every addon makes: its menus open for the right people only.

    Set ``_addon`` to the technical name and ``_manager_groups`` to the groups a
    user needs to see every menu of the addon.
    """

    _addon = None
    _manager_groups = "base.group_user"
    _guarded_models = ()

    def _addon_menus(self):
        data = self.env["ir.model.data"].search(
            [("module", "=", self._addon), ("model", "=", "ir.ui.menu")]
        )
        return self.env["ir.ui.menu"].browse(data.mapped("res_id"))

    def assert_menus_open(self):
        manager = new_test_user(
            self.env, login=f"{self._addon}_ui_manager", groups=self._manager_groups
        )
        menus = self._addon_menus()
        self.assertTrue(menus, "the addon ships menus")
        visible = self.env["ir.ui.menu"].with_user(manager).load_menus(debug=False)
        for menu in menus:
            self.assertIn(menu.id, visible, f"{menu.complete_name} is visible to a manager")
            action = menu.action
            if not action or action._name != "ir.actions.act_window":
                continue
            model = self.env[action.res_model].with_user(manager)
            views = [(False, mode) for mode in action.view_mode.split(",")]
            result = model.get_views(views, {"search_view_id": action.search_view_id.id})
            self.assertTrue(result["views"], f"{menu.complete_name} opens its views")
            model.search([], limit=1)

    def assert_no_access_without_groups(self):
        outsider = new_test_user(
            self.env, login=f"{self._addon}_ui_outsider", groups="base.group_user"
        )
        visible = self.env["ir.ui.menu"].with_user(outsider).load_menus(debug=False)
        for menu in self._addon_menus():
            self.assertNotIn(menu.id, visible, f"{menu.complete_name} is hidden from outsiders")
        for model in self._guarded_models:
            with self.assertRaises(AccessError, msg=f"{model} is refused to outsiders"):
                self.env[model].with_user(outsider).search([])
