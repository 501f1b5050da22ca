from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestLoyaltyClubPosInstall(TransactionCase):
    def test_installs_itself_with_the_club_and_pos_loyalty(self):
        module = self.env["ir.module.module"].search([("name", "=", "loyalty_club_pos")])
        self.assertTrue(module.auto_install)
        self.assertEqual(module.state, "installed")
        self.assertEqual(
            set(module.dependencies_id.mapped("name")), {"loyalty_club", "pos_loyalty"}
        )
        constraint = self.env["ir.model.constraint"].search(
            [("module", "=", module.id), ("name", "=", "loyalty_history_club_pos_order_once")]
        )
        self.assertTrue(constraint, "dropped with the addon when it is uninstalled")
