from odoo import fields, models
from odoo.tools import SQL

from ..models.utm_source import CHANNELS


class LeadTrackingFunnelReport(models.Model):
    """One row per lead (archived ones included: they are the lost leads).

    Rates are averages of 0/100 per row, so the pivot's average at any level
    of grouping is exactly ``won / leads * 100`` for that group.

    The rates and the days to close are ``double precision``, not ``numeric``:
    the sums of 0/100 are exact in floating point and the average is one
    correctly rounded division, while the aggregate states stay small enough
    for PostgreSQL to group a million leads in a hash table in memory rather
    than sorting them on disk (issue 14). Only the revenue, an amount of
    money, is summed as ``numeric``."""

    _name = "lead.tracking.funnel.report"
    _inherit = ["touch.plan.sql.report"]
    _description = "Lead Funnel Analysis"
    _auto = False
    _order = "create_date desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", string="Lead", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    date_closed = fields.Datetime(string="Closed On", readonly=True)
    source_id = fields.Many2one("utm.source", string="Source", readonly=True)
    medium_id = fields.Many2one("utm.medium", string="Medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", string="Campaign", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    lost_count = fields.Integer(string="Lost", readonly=True)
    late_count = fields.Integer(string="Late Responses", readonly=True)
    conversion_rate = fields.Float(
        string="Conversion Rate (%)",
        aggregator="avg",
        readonly=True,
        help="Won leads / leads x 100.",
    )
    opportunity_rate = fields.Float(
        string="Lead to Opportunity (%)", aggregator="avg", readonly=True
    )
    opportunity_win_rate = fields.Float(
        string="Opportunity to Won (%)", aggregator="avg", readonly=True
    )
    closed_win_rate = fields.Float(
        string="Win Rate of Closed (%)",
        aggregator="avg",
        readonly=True,
        help="Won / (won + lost) x 100.",
    )
    won_revenue = fields.Float(string="Won Revenue", readonly=True)
    response_time = fields.Float(string="Avg Response Time (min)", aggregator="avg", readonly=True)
    response_working_time = fields.Float(
        string="Avg Response Time (working min)", aggregator="avg", readonly=True
    )
    days_to_close = fields.Float(string="Avg Days to Close", aggregator="avg", readonly=True)

    def _select(self):
        return SQL(
            """
            SELECT
                l.id AS id,
                l.id AS lead_id,
                l.create_date AS create_date,
                l.date_closed AS date_closed,
                COALESCE(l.first_touch_source_id, l.source_id) AS source_id,
                COALESCE(l.first_touch_medium_id, l.medium_id) AS medium_id,
                COALESCE(l.first_touch_campaign_id, l.campaign_id) AS campaign_id,
                COALESCE(l.channel, 'other') AS channel,
                l.team_id AS team_id,
                l.user_id AS user_id,
                l.company_id AS company_id,
                l.stage_id AS stage_id,
                l.partner_id AS partner_id,
                1 AS lead_count,
                %(is_opp)s::int AS opportunity_count,
                %(is_won)s::int AS won_count,
                %(is_lost)s::int AS lost_count,
                l.is_late::int AS late_count,
                CASE WHEN %(is_won)s THEN 100.0::float8 ELSE 0.0::float8 END
                    AS conversion_rate,
                CASE WHEN %(is_opp)s THEN 100.0::float8 ELSE 0.0::float8 END
                    AS opportunity_rate,
                CASE WHEN NOT %(is_opp)s THEN NULL
                     WHEN %(is_won)s THEN 100.0::float8 ELSE 0.0::float8 END
                    AS opportunity_win_rate,
                CASE WHEN %(is_won)s THEN 100.0::float8
                     WHEN %(is_lost)s THEN 0.0::float8 END AS closed_win_rate,
                CASE WHEN %(is_won)s THEN COALESCE(l.expected_revenue, 0) ELSE 0 END
                    AS won_revenue,
                l.response_time AS response_time,
                l.response_working_time AS response_working_time,
                date_part('epoch', l.date_closed - l.create_date) / 86400.0::float8
                    AS days_to_close
            """,
            is_opp=SQL("(l.type = 'opportunity' OR l.date_conversion IS NOT NULL)"),
            is_won=SQL("(l.active AND COALESCE(stage.is_won, FALSE))"),
            is_lost=SQL("(NOT l.active AND NOT COALESCE(stage.is_won, FALSE))"),
        )

    def _from(self):
        return SQL("crm_lead l LEFT JOIN crm_stage stage ON stage.id = l.stage_id")

    def _where(self):
        return SQL("TRUE")

    def _query(self):
        return SQL("%s FROM %s WHERE %s", self._select(), self._from(), self._where())
