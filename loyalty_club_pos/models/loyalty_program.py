from odoo import api, models
from odoo.tools import SQL

POS_SPEND_STATES = ("paid", "done", "invoiced")


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    @api.model
    def _club_pos_flush_spend(self):
        self.env["pos.order"].flush_model(
            [
                "partner_id",
                "state",
                "date_order",
                "amount_total",
                "amount_tax",
                "company_id",
                "config_id",
            ]
        )
        self.env["pos.config"].flush_model(["journal_id", "company_id"])
        self.env["account.journal"].flush_model(["currency_id"])

    def _club_qualifying_values(self, cards, on_date):
        if self.club_tier_basis == "spend" and cards:
            self._club_pos_flush_spend()
        return super()._club_qualifying_values(cards, on_date)

    def _club_spend_query(self, card_ids, start, end):
        """Sale orders and paid POS orders (refunds subtract) of the members together."""
        return SQL(
            """
            SELECT spend.card_id, SUM(spend.amount)
              FROM (%(sale)s UNION ALL %(pos)s) AS spend(card_id, amount)
             GROUP BY spend.card_id
            """,
            sale=super()._club_spend_query(card_ids, start, end),
            pos=self._club_pos_spend_query(card_ids, start, end),
        )

    def _club_pos_spend_query(self, card_ids, start, end):
        """Untaxed amount of the members' paid POS orders in the window, in the club's
        currency: each order in the currency of its POS (its journal's, else its
        company's) converted at its date as in ``_club_spend_query``."""
        self.ensure_one()
        currency = self.currency_id or self.env.company.currency_id
        company_filter = (
            SQL("AND po.company_id = %s", self.company_id.id) if self.company_id else SQL()
        )
        return SQL(
            """
            SELECT card.id,
                   COALESCE(SUM((po.amount_total - po.amount_tax) * %(to_rate)s
                                / NULLIF(%(from_rate)s, 0)), 0)
              FROM loyalty_card card
              JOIN res_partner p ON p.id = card.partner_id
              JOIN res_partner sp ON sp.commercial_partner_id = p.commercial_partner_id
              JOIN pos_order po
                ON po.partner_id = sp.id
               AND po.state IN %(states)s
               AND po.date_order >= %(start)s AND po.date_order < %(end)s
               %(company_filter)s
              JOIN pos_config pc ON pc.id = po.config_id
              LEFT JOIN account_journal aj ON aj.id = pc.journal_id
              JOIN res_company co ON co.id = po.company_id
              JOIN res_company root
                ON root.id = split_part(co.parent_path, '/', 1)::int
             WHERE card.id = ANY(%(ids)s)
             GROUP BY card.id
            """,
            to_rate=self._club_rate_sql(SQL("%s", currency.id), SQL("po.date_order")),
            from_rate=self._club_rate_sql(
                SQL("COALESCE(aj.currency_id, co.currency_id)"), SQL("po.date_order")
            ),
            states=POS_SPEND_STATES,
            company_filter=company_filter,
            start=start,
            end=end,
            ids=card_ids,
        )
