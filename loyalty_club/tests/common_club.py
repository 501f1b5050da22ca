from odoo import Command, fields
from odoo.tests import new_test_user


class ClubCommon:
    """A club with three tiers, a product earning 10 points a unit and a member."""

    @classmethod
    def _setup_club(cls, **program_values):
        env = cls.env
        env["loyalty.program"].search([]).write({"active": False})
        cls.product = env["product.product"].create(
            {
                "name": "Club Test Product",
                "list_price": 100.0,
                "taxes_id": False,
                "invoice_policy": "order",
            }
        )
        cls.program = env["loyalty.program"].create(
            {
                "name": "Test Club",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "is_club": True,
                "club_points_validity_months": 12,
                "club_grace_days": 30,
                "club_downgrade_policy": "one_step",
                "club_next_review_date": fields.Date.today(),
                "rule_ids": [
                    Command.create(
                        {
                            "reward_point_mode": "unit",
                            "reward_point_amount": 10,
                            "product_ids": [cls.product.id],
                        }
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {
                            "reward_type": "discount",
                            "discount": 10,
                            "discount_mode": "per_order",
                            "discount_applicability": "order",
                            "required_points": 1000,
                        }
                    )
                ],
                **program_values,
            }
        )
        cls.silver, cls.gold, cls.platinum = env["loyalty.club.tier"].create(
            [
                {"name": "Silver", "sequence": 10, "threshold": 0, "program_id": cls.program.id},
                {
                    "name": "Gold",
                    "sequence": 20,
                    "threshold": 100,
                    "multiplier": 2.0,
                    "program_id": cls.program.id,
                },
                {
                    "name": "Platinum",
                    "sequence": 30,
                    "threshold": 500,
                    "multiplier": 3.0,
                    "program_id": cls.program.id,
                },
            ]
        )
        cls.partner = env["res.partner"].create(
            {"name": "Club Member", "email": "member@example.com"}
        )
        cls.card = cls._make_member(cls.partner)

    @classmethod
    def _make_member(cls, partner, tier=None):
        card = cls.env["loyalty.card"].create(
            {"program_id": cls.program.id, "partner_id": partner.id, "points": 0}
        )
        if tier:
            card.club_tier_id = tier
        return card

    def _issue(self, card, points, expiry=False, description="Test batch"):
        """Issue a batch of points: a ledger line (the ledger moves the balance)."""
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                {
                    "card_id": card.id,
                    "description": description,
                    "issued": points,
                    "expiry_date": expiry,
                    "move_type": "issue",
                }
            )
        )

    def _order(self, partner=None, qty=1):
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.partner).id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": qty})
                ],
            }
        )
        order._update_programs_and_rewards()
        return order

    def assertLedgerBalanced(self, card):
        card.invalidate_recordset()
        history = self.env["loyalty.history"].search([("card_id", "=", card.id)])
        ledger = sum(history.mapped("issued")) - sum(history.mapped("used"))
        self.assertAlmostEqual(card.points, ledger, 2, "the balance equals the ledger")
        self.assertAlmostEqual(
            card.points, sum(history.mapped("remaining_points")), 2, "open batches hold the balance"
        )
        self.assertGreaterEqual(card.points, 0)

    @classmethod
    def _make_manager(cls):
        return new_test_user(cls.env, login="club_manager", groups="sales_team.group_sale_manager")
