from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestClubConcurrentSpend(TransactionCase):
    """Two transactions spend from one card whose balance covers only one spend.

    The data is committed through real cursors (the test cursor never commits), so
    the test removes it again at the end.
    """

    def _create_committed_card(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            program = env["loyalty.program"].create(
                {
                    "name": "Concurrency Club",
                    "program_type": "loyalty",
                    "is_club": True,
                    "active": False,
                    "rule_ids": [
                        Command.create({"reward_point_mode": "order", "reward_point_amount": 1})
                    ],
                    "reward_ids": [
                        Command.create(
                            {"reward_type": "discount", "discount": 5, "required_points": 100}
                        )
                    ],
                }
            )
            partner = env["res.partner"].create({"name": "Concurrent Member"})
            card = env["loyalty.card"].create({"program_id": program.id, "partner_id": partner.id})
            env["loyalty.history"].create(
                {"card_id": card.id, "description": "Batch", "issued": 100, "move_type": "issue"}
            )
            return program.id, partner.id, card.id

    def _cleanup(self, program_id, partner_id, card_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["loyalty.club.tier.history"].search([("card_id", "=", card_id)]).unlink()
            env["loyalty.card"].browse(card_id).unlink()
            program = env["loyalty.program"].browse(program_id).with_context(active_test=False)
            products = program.reward_ids.discount_line_product_id
            program.unlink()
            products.unlink()
            env["res.partner"].browse(partner_id).unlink()

    def _ledger(self, card_id):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT c.points, SUM(COALESCE(h.issued, 0)) - SUM(COALESCE(h.used, 0)),
                          SUM(h.remaining_points), COUNT(h.id)
                     FROM loyalty_card c JOIN loyalty_history h ON h.card_id = c.id
                    WHERE c.id = %s GROUP BY c.points""",
                [card_id],
            )
            return cr.fetchone()

    @mute_logger("odoo.sql_db")
    def test_two_concurrent_spends(self):
        program_id, partner_id, card_id = self._create_committed_card()
        self.addCleanup(self._cleanup, program_id, partner_id, card_id)
        self.assertEqual(self._ledger(card_id), (100.0, 100.0, 100.0, 1), "committed setup")
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            card_a = api.Environment(cr_a, SUPERUSER_ID, {})["loyalty.card"].browse(card_id)
            card_b = api.Environment(cr_b, SUPERUSER_ID, {})["loyalty.card"].browse(card_id)
            # both read a balance of 100 before anyone spends
            self.assertEqual((card_a.points, card_b.points), (100.0, 100.0))
            card_a._club_spend(80, "Spend A")
            # A holds the card until it commits: B gets a clear error at once
            with self.assertRaisesRegex(UserError, "being changed by another operation"):
                card_b._club_spend(80, "Spend B")
            cr_b.rollback()
            cr_a.commit()
            # B tries again after A committed: the balance no longer covers it
            card_b.env.invalidate_all()
            with self.assertRaisesRegex(UserError, "holds only 20"):
                card_b._club_spend(80, "Spend B again")
            cr_b.rollback()
        points, ledger, remaining, lines = self._ledger(card_id)
        self.assertEqual(points, 20.0)
        self.assertEqual(ledger, 20.0)
        self.assertEqual(remaining, 20.0)
        self.assertEqual(lines, 2, "one batch and one spend: the failed spends left nothing")
