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

    def test_demo_members_in_several_tiers(self):
        club = self.env.ref("loyalty_club.loyalty_program_demo_club")
        cards = self.env["loyalty.card"].search([("program_id", "=", club.id)])
        tiers = {card.club_tier_id.name for card in cards}
        self.assertGreaterEqual(
            len(tiers),
            3,
            f"members in Silver, Gold and Platinum: {cards.mapped('club_tier_id.name')}",
        )
        odoobot = self.env.ref("base.user_root")
        lines = self.env["loyalty.history"].search([("card_id", "in", cards.ids)])
        self.assertTrue(lines)
        for card in cards:
            ledger = sum(line.issued - line.used for line in lines if line.card_id == card)
            self.assertAlmostEqual(card.points, ledger, 2, "demo balances come from the ledger")
        for records in (cards, lines, cards.club_tier_history_ids):
            self.assertFalse(
                records.filtered(lambda r: r.create_uid == odoobot),
                f"no demo {records._name} owned by OdooBot",
            )
