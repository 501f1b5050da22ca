from odoo import fields, models
from odoo.tools import SQL

from ..models.loyalty_club_score import VALUE_CLASSES


class LoyaltyClubParetoReport(models.Model):
    """Customers ranked by revenue in the scoring window, with the 80/20 curve."""

    _name = "loyalty.club.pareto.report"
    _inherit = ["touch.plan.sql.report", "loyalty.club.xlsx.mixin"]
    _description = "Customer Pareto Analysis"
    _auto = False
    _order = "company_id, rank"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    rank = fields.Integer(readonly=True, aggregator="min")
    customer_count = fields.Integer(string="Customers", readonly=True)
    revenue = fields.Monetary(readonly=True)
    margin = fields.Monetary(readonly=True)
    revenue_share = fields.Float(string="Revenue Share (%)", readonly=True, digits=(5, 2))
    cumulative_share = fields.Float(
        string="Cumulative Share (%)", readonly=True, digits=(5, 2), aggregator="max"
    )
    customer_percentile = fields.Float(
        string="Top Customers (%)",
        readonly=True,
        digits=(5, 2),
        aggregator="max",
        help="Rank divided by the number of customers of the company.",
    )
    pareto_class = fields.Selection(
        VALUE_CLASSES,
        string="Pareto Class",
        readonly=True,
        help="A: customers bringing the first 80 % of revenue; B: the next 15 %; C: the rest.",
    )
    is_top_20 = fields.Boolean(string="Top 20 %", readonly=True)
    top_20_share = fields.Float(
        string="Revenue of Top 20 % (%)",
        readonly=True,
        digits=(5, 2),
        aggregator="max",
        help="Share of the company's revenue coming from its top 20 % customers.",
    )
    value_class = fields.Selection(VALUE_CLASSES, string="Value Class", readonly=True)
    segment_id = fields.Many2one("loyalty.club.segment", string="RFM Segment", readonly=True)

    def _club_xlsx_fields(self):
        return [
            "rank",
            "partner_id",
            "company_id",
            "revenue",
            "margin",
            "revenue_share",
            "cumulative_share",
            "customer_percentile",
            "pareto_class",
            "is_top_20",
            "top_20_share",
            "value_class",
            "segment_id",
        ]

    def _select(self):
        return SQL(
            """
            r.id, r.partner_id, r.company_id, r.currency_id, r.rank, 1 AS customer_count,
            r.revenue, r.margin, r.value_class, r.segment_id,
            CASE WHEN r.total > 0 THEN 100.0 * r.revenue / r.total ELSE 0 END AS revenue_share,
            CASE WHEN r.total > 0 THEN 100.0 * r.cumulative / r.total ELSE 0 END
                AS cumulative_share,
            100.0 * r.rank / r.customers AS customer_percentile,
            CASE WHEN r.total <= 0 OR r.cumulative - r.revenue < 0.80 * r.total THEN 'A'
                 WHEN r.cumulative - r.revenue < 0.95 * r.total THEN 'B'
                 ELSE 'C' END AS pareto_class,
            r.rank <= CEIL(0.2 * r.customers) AS is_top_20,
            CASE WHEN r.total > 0
                 THEN 100.0 * SUM(r.revenue) FILTER (WHERE r.rank <= CEIL(0.2 * r.customers))
                          OVER (PARTITION BY r.company_id) / r.total
                 ELSE 0 END AS top_20_share
            """
        )

    def _from(self):
        return SQL(
            """
            (SELECT s.id, s.partner_id, s.company_id, c.currency_id, s.value_class,
                    s.segment_id, s.monetary AS revenue, s.income AS margin,
                    ROW_NUMBER() OVER (PARTITION BY s.company_id
                                       ORDER BY s.monetary DESC, s.partner_id) AS rank,
                    SUM(s.monetary) OVER (PARTITION BY s.company_id
                                          ORDER BY s.monetary DESC, s.partner_id
                                          ROWS UNBOUNDED PRECEDING) AS cumulative,
                    SUM(GREATEST(s.monetary, 0)) OVER (PARTITION BY s.company_id) AS total,
                    COUNT(*) OVER (PARTITION BY s.company_id) AS customers
               FROM loyalty_club_score s
               JOIN res_company c ON c.id = s.company_id) r
            """
        )

    def _query(self):
        return SQL("SELECT %s FROM %s", self._select(), self._from())
