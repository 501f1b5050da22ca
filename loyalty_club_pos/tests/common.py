from odoo.addons.loyalty_club.tests.common_club import ClubCommon
from odoo.addons.point_of_sale.tests.common import TestPoSCommon


class ClubPosCommon(ClubCommon, TestPoSCommon):
    """loyalty_club's test club, sold through an open POS session.

    Orders are made as Odoo's POS tests make them (``create_ui_order_data`` then
    ``pos.order.sync_from_ui``) and their points go through the calls the POS sends
    after payment, with the data the POS sends: ``validate_coupon_programs``,
    ``confirm_coupon_programs`` and ``add_loyalty_history_lines``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        cls.product.available_in_pos = True
        cls.reward = cls.program.reward_ids
        cls.config = cls.basic_config

    def setUp(self):
        super().setUp()
        self.open_new_session()

    # ------------------------------------------------------------------
    # Orders
    # ------------------------------------------------------------------
    def _sync(self, data):
        result = self.env["pos.order"].sync_from_ui([data])
        return self.env["pos.order"].browse(result["pos.order"][0]["id"])

    def _pos_order(self, qty=1, partner=None, card=None, reward_points=0.0, invoiced=False):
        """A paid POS order of ``qty`` club products, maybe with a reward line
        claimed with ``reward_points`` of ``card``."""
        lines = [(self.product, qty)]
        if reward_points:
            lines.append(
                {
                    "product": self.reward.discount_line_product_id,
                    "quantity": 1,
                    "is_reward_line": True,
                    "reward_id": self.reward.id,
                    "coupon_id": card.id,
                    "points_cost": reward_points,
                    "reward_identifier_code": "club-reward",
                }
            )
        partner = partner or self.partner
        if invoiced and not partner.country_id:
            partner.country_id = self.env.ref("base.be")
        return self._sync(self.create_ui_order_data(lines, customer=partner, is_invoiced=invoiced))

    def _pos_refund(self, order, qty, lines=None):
        """A refund made on the POS screen, with the lines the ticket screen makes:
        negative quantities naming the lines they return, reward lines included as
        plain lines (ticket_screen.js copies no reward field)."""
        lines = lines or order.lines.filtered(lambda line: not line.is_reward_line)
        data = self.create_ui_order_data(
            [
                {
                    "product": line.product_id,
                    "quantity": -qty,
                    "refunded_orderline_id": line.id,
                }
                for line in lines
            ],
            customer=order.partner_id,
        )
        return self._sync(data)

    # ------------------------------------------------------------------
    # The POS calls after payment (payment_screen.js _postProcessLoyalty)
    # ------------------------------------------------------------------
    def _coupon_data(self, order, card, points, program=None):
        """What the POS sends for a card: the points its rules computed (without tier
        multiplier) minus the points cost of the reward lines claimed with it."""
        key = card.id if card else -1
        vals = {
            "points": points,
            "program_id": (program or self.program).id,
            "coupon_id": key,
            "barcode": False,
        }
        if not card:
            vals["partner_id"] = order.partner_id.id
        codes = order.lines.filtered("is_reward_line").mapped("reward_identifier_code")
        if codes:
            vals["line_codes"] = codes
        return {str(key): vals}

    def _validate(self, order, card, points):
        return self.env["pos.order"].validate_coupon_programs({str(card.id): points}, [])

    def _confirm(self, order, coupon_data):
        return order.confirm_coupon_programs(coupon_data)

    def _history(self, order, coupon_data, payload):
        updates = [{"id": u["id"], "old_id": u["old_id"]} for u in payload["coupon_updates"]]
        loyalty_points = [
            {
                "order_id": order.id,
                "card_id": key,
                "spent": -vals["points"] if vals["points"] < 0 else 0,
                "won": vals["points"] if vals["points"] > 0 else 0,
            }
            for key, vals in coupon_data.items()
        ]
        return order.add_loyalty_history_lines(loyalty_points, updates)

    def _pos_calls(self, order, card, points):
        """All the calls, in the order the POS sends them."""
        coupon_data = self._coupon_data(order, card, points)
        if card:
            self.assertTrue(self._validate(order, card, points)["successful"])
        payload = self._confirm(order, coupon_data)
        self._history(order, coupon_data, payload)
        return payload

    def _order_lines(self, order, card=None):
        domain = [("order_model", "=", "pos.order"), ("order_id", "=", order.id)]
        if card:
            domain.append(("card_id", "=", card.id))
        return self.env["loyalty.history"].search(domain, order="id")
