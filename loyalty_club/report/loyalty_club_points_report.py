from odoo import fields, models
from odoo.tools import SQL


class LoyaltyClubPointsReport(models.Model):
    """Open club points by expiry date, valued at the company's cost per point.

    A batch belongs to its club's company; the batches of a club shared by all
    companies belong to the company that issued them: the company of the order or
    credit note behind them, else the company of the user who booked them.
    """

    _name = "loyalty.club.points.report"
    _inherit = ["touch.plan.sql.report", "loyalty.club.xlsx.mixin"]
    _description = "Club Points Liability"
    _auto = False
    _order = "expiry_date, id"
    _rec_name = "card_id"

    card_id = fields.Many2one("loyalty.card", string="Card", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Member", readonly=True)
    program_id = fields.Many2one("loyalty.program", string="Club", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    issue_date = fields.Date(readonly=True)
    expiry_date = fields.Date(readonly=True)
    points = fields.Float(string="Open Points", readonly=True)
    point_cost = fields.Float(string="Cost per Point", readonly=True, aggregator="avg")
    liability = fields.Monetary(readonly=True)

    def _club_xlsx_fields(self):
        return [
            "expiry_date",
            "program_id",
            "card_id",
            "partner_id",
            "company_id",
            "issue_date",
            "points",
            "point_cost",
            "liability",
        ]

    def _select(self):
        return SQL(
            """
            h.id, h.card_id, card.partner_id, card.program_id, c.id AS company_id,
            c.currency_id, h.create_date::date AS issue_date, h.expiry_date,
            h.remaining_points AS points, c.club_point_cost AS point_cost,
            h.remaining_points * c.club_point_cost AS liability
            """
        )

    def _from(self):
        return SQL(
            """
            loyalty_history h
            JOIN loyalty_card card ON card.id = h.card_id
            JOIN loyalty_program p ON p.id = card.program_id
            LEFT JOIN sale_order so ON h.order_model = 'sale.order' AND so.id = h.order_id
            LEFT JOIN account_move am ON h.order_model = 'account.move' AND am.id = h.order_id
            JOIN res_users u ON u.id = h.create_uid
            JOIN res_company c
              ON c.id = COALESCE(p.company_id, so.company_id, am.company_id, u.company_id)
            """
        )

    def _where(self):
        return SQL("p.is_club AND h.remaining_points > 0")

    def _query(self):
        return SQL("SELECT %s FROM %s WHERE %s", self._select(), self._from(), self._where())
