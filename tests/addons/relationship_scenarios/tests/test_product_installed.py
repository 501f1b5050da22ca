from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestProductInstalled(TransactionCase):
    def test_three_addons_installed_together(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("touch_plan", "lead_tracking", "loyalty_club"))]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 3)
