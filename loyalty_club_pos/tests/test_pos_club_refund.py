from odoo.tests import Form, tagged

from .common import ClubPosCommon


@tagged("post_install", "-at_install")
class TestPosClubRefund(ClubPosCommon):
    def _reversals(self, card=None):
        return (card or self.card).history_ids.filtered(lambda h: h.move_type == "reversal")

    def test_refund_on_the_pos_screen_takes_points_back_once(self):
        order = self._pos_order(qty=3)
        self._pos_calls(order, self.card, 30.0)
        self.assertEqual(self.card.points, 30.0)
        first = self._pos_refund(order, 1)
        self.assertEqual(first.state, "paid")
        self.assertEqual(self.card.points, 20.0, "one unit of three returned")
        reversal = self._reversals()
        self.assertEqual(reversal.origin_id, self._order_lines(order))
        self.assertEqual((reversal.order_model, reversal.order_id), ("pos.order", first.id))
        self._pos_refund(order, 2)
        self.assertEqual(self.card.points, 0.0)
        # the refund's own POS calls (it earns nothing) change nothing
        self._pos_calls(first, self.card, 0.0)
        self.assertEqual(self.card.points, 0.0)
        self.assertEqual(sum(self._reversals().mapped("used")), 30.0)
        self.assertLedgerBalanced(self.card)

    def test_refund_after_points_were_spent_never_goes_negative(self):
        order = self._pos_order(qty=3)
        self._pos_calls(order, self.card, 30.0)
        self.card._club_spend(25, "Reward elsewhere")
        self._pos_refund(order, 3)
        self.assertEqual(self.card.points, 0.0, "only what is left is taken back")
        self.assertLedgerBalanced(self.card)

    def test_refund_gives_back_what_the_order_spent(self):
        self._issue(self.card, 90)  # below Gold: no multiplier
        order = self._pos_order(qty=1, card=self.card, reward_points=60)
        self._pos_calls(order, self.card, 10.0 - 60)
        self.assertEqual(self.card.points, 40.0)
        refund = self._pos_refund(order, 1, lines=order.lines)
        self.assertEqual(self.card.points, 90.0, "10 earned taken back, 60 spent given back")
        self._pos_calls(refund, self.card, 0.0)  # the refund earns nothing at the till
        self.assertEqual(self.card.points, 90.0)
        self.assertFalse(self._order_lines(refund).filtered(lambda h: h.move_type == "spend"))
        self.assertLedgerBalanced(self.card)

    def test_refund_carrying_reward_fields_spends_nothing_again(self):
        """A back-office return copies the reward lines with their points cost: the
        POS calls for such an order must not spend the points again."""
        self._issue(self.card, 90)
        order = self._pos_order(qty=1, card=self.card, reward_points=60)
        self._pos_calls(order, self.card, 10.0 - 60)
        refund = self.env["pos.order"].browse(order.refund()["res_id"])
        self.make_payment(refund, self.cash_pm1, refund.amount_total)
        self.assertEqual(self.card.points, 90.0)
        self.assertEqual(refund.lines.filtered("is_reward_line").points_cost, 60.0)
        self._pos_calls(refund, self.card, -60.0)
        self.assertEqual(self.card.points, 90.0)
        self.assertLedgerBalanced(self.card)

    def test_return_products_in_the_back_office(self):
        self._issue(self.card, 90)  # below Gold: no multiplier
        order = self._pos_order(qty=2, card=self.card, reward_points=60)
        self._pos_calls(order, self.card, 20.0 - 60)
        self.assertEqual(self.card.points, 50.0)
        action = order.refund()
        refund = self.env["pos.order"].browse(action["res_id"])
        self.assertEqual(self.card.points, 50.0, "a draft return changes nothing")
        self.make_payment(refund, self.cash_pm1, refund.amount_total)
        self.assertEqual(refund.state, "paid")
        self.assertEqual(self.card.points, 90.0, "20 taken back, 60 given back")
        self.assertEqual(len(self._reversals()), 2)
        self.assertLedgerBalanced(self.card)
        # returned again (the server does not stop it): nothing more is reversed
        self._pos_refund(order, 1, lines=order.lines)
        self.assertEqual(self.card.points, 90.0)
        self.assertEqual(len(self._reversals()), 2)
        self.assertLedgerBalanced(self.card)

    def test_credit_note_of_an_invoiced_pos_order(self):
        order = self._pos_order(qty=4, invoiced=True)
        self._pos_calls(order, self.card, 40.0)
        self.assertEqual(order.state, "invoiced")
        invoice = order.account_move
        self.assertEqual(self.card.points, 40.0)
        wizard = Form(
            self.env["account.move.reversal"].with_context(
                active_model="account.move", active_ids=invoice.ids
            )
        ).save()
        credit_note = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        with Form(credit_note) as form:
            with form.invoice_line_ids.edit(0) as line:
                line.quantity = 1
        credit_note.action_post()
        self.assertEqual(self.card.points, 30.0, "a quarter of the invoice credited")
        second = self.env["account.move"].browse(
            Form(
                self.env["account.move.reversal"].with_context(
                    active_model="account.move", active_ids=invoice.ids
                )
            )
            .save()
            .refund_moves()["res_id"]
        )
        second.action_post()
        self.assertEqual(self.card.points, 0.0, "all of it now, never more")
        self.assertEqual(sum(self._reversals().mapped("used")), 40.0)
        self.assertLedgerBalanced(self.card)
