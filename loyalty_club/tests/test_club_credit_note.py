from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestClubCreditNote(ClubCommon, AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()

    def _credit(self, invoice, qty):
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": "Returned", "journal_id": invoice.journal_id.id})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.invoice_line_ids.filtered("product_id").quantity = qty
        refund.action_post()
        return refund

    def test_credit_note_takes_points_back_pro_rata(self):
        order = self._order(qty=4)
        order.action_confirm()
        self.assertEqual(self.card.points, 40.0)
        invoice = order._create_invoices()
        invoice.action_post()
        refund = self._credit(invoice, 1)
        self.assertEqual(self.card.points, 30.0, "a quarter credited, a quarter of the points back")
        reversal = self.card.history_ids.filtered(lambda h: h.move_type == "reversal")
        self.assertEqual(reversal.used, 10.0)
        self.assertEqual((reversal.order_model, reversal.order_id), ("account.move", refund.id))
        self._credit(invoice, 3)
        self.assertEqual(self.card.points, 0.0, "the whole order credited, all points back")
        self.assertLedgerBalanced(self.card)
        # cancelling the fully credited order takes nothing more
        order._action_cancel()
        self.assertEqual(self.card.points, 0.0)
        self.assertLedgerBalanced(self.card)
