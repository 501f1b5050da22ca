from odoo import fields, models
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from ..models.utm_source import CHANNELS

# ratio fields: computed from the sums of the group, never summed themselves
RATIOS = {
    "cost_per_lead": ("spend", "lead_count"),
    "cac": ("spend", "new_customer_count"),
}


class LeadTrackingCostReport(models.Model):
    """Spend, leads, new customers and won revenue per company, channel and
    month. Spend over several months is spread by day over them.

    Cost per lead, CAC and ROI are ratios: whatever the grouping, the pivot
    shows them computed from the group's sums (see ``_read_group_select``)."""

    _name = "lead.tracking.cost.report"
    _inherit = ["touch.plan.sql.report"]
    _description = "Cost per Customer Analysis"
    _auto = False
    _order = "month desc, channel"
    _rec_name = "channel"

    month = fields.Date(readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    spend = fields.Monetary(readonly=True, currency_field="currency_id")
    lead_count = fields.Integer(string="Leads", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    new_customer_count = fields.Integer(string="New Customers", readonly=True)
    won_revenue = fields.Monetary(readonly=True, currency_field="currency_id")
    cost_per_lead = fields.Monetary(
        string="Cost per Lead",
        readonly=True,
        currency_field="currency_id",
        help="Spend / leads; empty without leads.",
    )
    cac = fields.Monetary(
        string="CAC",
        readonly=True,
        currency_field="currency_id",
        help="Customer acquisition cost: spend / new customers; empty without new customers.",
    )
    roi = fields.Float(
        string="ROI (%)",
        readonly=True,
        help="(Won revenue - spend) / spend x 100; empty without won revenue or without spend.",
    )

    def _read_group_select(self, aggregate_spec, query):
        fname, __, __ = parse_read_group_spec(aggregate_spec)
        if fname in RATIOS:
            numerator, denominator = RATIOS[fname]
            return SQL(
                "SUM(%s) / NULLIF(SUM(%s), 0)",
                self._field_to_sql(self._table, numerator, query),
                self._field_to_sql(self._table, denominator, query),
            )
        if fname == "roi":
            spend = self._field_to_sql(self._table, "spend", query)
            revenue = self._field_to_sql(self._table, "won_revenue", query)
            return SQL(
                "CASE WHEN SUM(%s) > 0 THEN (SUM(%s) - SUM(%s)) * 100.0 / NULLIF(SUM(%s), 0) END",
                revenue,
                revenue,
                spend,
                spend,
            )
        return super()._read_group_select(aggregate_spec, query)

    def _spend_query(self):
        return SQL(
            """
            SELECT s.company_id, s.channel, date_trunc('month', day)::date AS month,
                   SUM(s.amount_company / (s.date_to - s.date_from + 1)) AS spend,
                   0 AS lead_count, 0 AS won_count, 0 AS new_customer_count,
                   0 AS won_revenue
              FROM lead_tracking_spend s
             CROSS JOIN LATERAL generate_series(
                   s.date_from::timestamp, s.date_to::timestamp, interval '1 day') AS day
             GROUP BY 1, 2, 3
            """
        )

    def _lead_query(self):
        return SQL(
            """
            SELECT l.company_id, COALESCE(l.channel, 'other'),
                   date_trunc('month', l.create_date)::date,
                   0, COUNT(*), 0, 0, 0
              FROM crm_lead l
             GROUP BY 1, 2, 3
            """
        )

    def _won_query(self):
        return SQL(
            """
            SELECT l.company_id, COALESCE(l.channel, 'other'),
                   date_trunc('month', l.date_closed)::date,
                   0, 0, COUNT(*), 0, SUM(COALESCE(l.expected_revenue, 0))
              FROM crm_lead l
              JOIN crm_stage stage ON stage.id = l.stage_id AND stage.is_won
             WHERE l.active AND l.date_closed IS NOT NULL
             GROUP BY 1, 2, 3
            """
        )

    def _customer_query(self):
        return SQL(
            """
            SELECT l.company_id, COALESCE(p.acquisition_channel, 'other'),
                   date_trunc('month', p.acquisition_date)::date,
                   0, 0, 0, COUNT(*), 0
              FROM res_partner p
              JOIN crm_lead l ON l.id = p.acquisition_lead_id
             WHERE p.acquisition_date IS NOT NULL
             GROUP BY 1, 2, 3
            """
        )

    def _query(self):
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY f.month, f.channel, f.company_id) AS id,
                   f.month, f.channel, f.company_id,
                   company.currency_id AS currency_id,
                   SUM(f.spend) AS spend,
                   SUM(f.lead_count) AS lead_count,
                   SUM(f.won_count) AS won_count,
                   SUM(f.new_customer_count) AS new_customer_count,
                   SUM(f.won_revenue) AS won_revenue,
                   SUM(f.spend) / NULLIF(SUM(f.lead_count), 0) AS cost_per_lead,
                   SUM(f.spend) / NULLIF(SUM(f.new_customer_count), 0) AS cac,
                   CASE WHEN SUM(f.won_revenue) > 0
                        THEN (SUM(f.won_revenue) - SUM(f.spend)) * 100.0
                             / NULLIF(SUM(f.spend), 0) END AS roi
              FROM (%s UNION ALL %s UNION ALL %s UNION ALL %s) AS f
              LEFT JOIN res_company company ON company.id = f.company_id
             GROUP BY f.month, f.channel, f.company_id, company.currency_id
            """,
            self._spend_query(),
            self._lead_query(),
            self._won_query(),
            self._customer_query(),
        )
