from odoo import Command
from odoo.tests import tagged

from odoo.addons.point_of_sale.tests.test_frontend import TestPointOfSaleHttpCommon


@tagged("post_install", "-at_install")
class TestLoyaltyClubPosTours(TestPointOfSaleHttpCommon):
    """A cashier chooses a Gold member at the till, sees the doubled points, pays,
    then refunds the order from the POS screen."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env["loyalty.program"].search([]).write({"active": False})
        cls.whiteboard_pen.write({"lst_price": 10, "taxes_id": False})
        cls.main_pos_config.write({"tax_regime_selection": False, "use_pricelist": False})
        cls.club = env["loyalty.program"].create(
            {
                "name": "Tour Club",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "is_club": True,
                "rule_ids": [
                    Command.create(
                        {
                            "reward_point_mode": "unit",
                            "reward_point_amount": 10,
                            "product_ids": cls.whiteboard_pen.ids,
                        }
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "percent",
                            "discount_applicability": "order",
                            "required_points": 1000,
                        }
                    )
                ],
            }
        )
        cls.silver, cls.gold = env["loyalty.club.tier"].create(
            [
                {"name": "Silver", "sequence": 10, "threshold": 0, "program_id": cls.club.id},
                {
                    "name": "Gold",
                    "sequence": 20,
                    "threshold": 100,
                    "multiplier": 2.0,
                    "program_id": cls.club.id,
                },
            ]
        )
        cls.member = env["res.partner"].create({"name": "AAA Club Member"})
        cls.card = env["loyalty.card"].create(
            {"program_id": cls.club.id, "partner_id": cls.member.id, "points": 0}
        )
        cls.card.club_tier_id = cls.gold

    def test_gold_member_at_the_till(self):
        self.main_pos_config.with_user(self.pos_user).open_ui()
        self.start_pos_tour("loyalty_club_pos_gold_member_tour", timeout=240)
        order, refund = self.env["pos.order"].search(
            [("partner_id", "=", self.member.id)], order="id"
        )
        self.assertEqual(order.state, "paid")
        self.assertEqual(refund.lines.refunded_orderline_id, order.lines)
        self.assertEqual(refund.state, "paid")
        issue = self.card.history_ids.filtered(lambda h: h.move_type == "issue")
        self.assertEqual(issue.issued, 20.0, "the points the screen showed")
        self.assertEqual(issue.order_id, order.id)
        reversal = self.card.history_ids - issue
        self.assertEqual(reversal.mapped("used"), [20.0], "the refund takes them back once")
        self.assertEqual(reversal.origin_id, issue)
        self.assertEqual(self.card.points, 0.0)
        self.assertEqual(sum(self.card.history_ids.mapped("remaining_points")), 0.0)
