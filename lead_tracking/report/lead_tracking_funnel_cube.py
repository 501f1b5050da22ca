from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import table_exists

from ..models.utm_source import CHANNELS

# crm_lead columns the funnel figures are made of: a change of any other column
# (write_date, message counters...) leaves the cube alone
LEAD_COLUMNS = [
    "company_id",
    "team_id",
    "user_id",
    "source_id",
    "first_touch_source_id",
    "medium_id",
    "first_touch_medium_id",
    "campaign_id",
    "first_touch_campaign_id",
    "channel",
    "stage_id",
    "create_date",
    "date_closed",
    "type",
    "date_conversion",
    "active",
    "is_late",
    "expected_revenue",
    "response_time",
    "response_working_time",
]

# columns a cube row is keyed by (its dimensions), then the figures summed per key
KEY_COLUMNS = [
    "company_id",
    "team_id",
    "user_id",
    "source_id",
    "medium_id",
    "campaign_id",
    "channel",
    "stage_id",
    "create_date",
    "bucket_end",
    "late_second",
    "is_opp",
    "is_won",
    "is_lost",
    "is_late",
]
SUM_COLUMNS = [
    "lead_count",
    "opportunity_count",
    "won_count",
    "lost_count",
    "late_count",
    "late_known_count",
    "opportunity_won_count",
    "won_revenue",
    "response_time_sum",
    "response_time_count",
    "response_working_time_sum",
    "response_working_time_count",
    "close_seconds_sum",
    "days_to_close_count",
]


def drop_funnel_cube_triggers(cr):
    """Remove the cube's triggers and functions (uninstallation)."""
    cr.execute(
        SQL(
            """
            DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_insert ON crm_lead;
            DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_update ON crm_lead;
            DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_delete ON crm_lead;
            DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_stage ON crm_stage;
            DROP FUNCTION IF EXISTS lead_tracking_funnel_cube_lead();
            DROP FUNCTION IF EXISTS lead_tracking_funnel_cube_stage();
            DROP FUNCTION IF EXISTS lead_tracking_funnel_bucket_end(timestamp);
            DROP FUNCTION IF EXISTS lead_tracking_funnel_bucket(timestamp);
            """
        )
    )


def funnel_bucket(value):
    """Start of the cube's time bucket holding ``value`` (naive UTC datetime).

    The same rule as the SQL function ``lead_tracking_funnel_bucket``: a quarter of
    an hour on the first and last day of a month (UTC), a day otherwise.
    """
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if day.day == 1 or (day + timedelta(days=1)).day == 1:
        return value.replace(minute=value.minute - value.minute % 15, second=0, microsecond=0)
    return day


class LeadTrackingFunnelCube(models.Model):
    """The lead funnel, pre-aggregated: one row per combination of the report's
    dimensions and a time bucket, holding the sums the report's figures are made of.

    Why a stored aggregate (issue 14): the funnel report is a view of one row per
    lead; grouping a million of them costs at least what ``crm.lead.read_group``
    costs on the same table, however the view is written (1.1 s, 1.5x). A
    materialized view would be stale until refreshed, and refreshing it is that
    whole cost again; indexes do not help a grouping of every row. The cube has a
    few thousand rows for a million leads, and the report answers its groupings
    from it (:meth:`lead.tracking.funnel.report._read_group`), exactly.

    Kept current by PostgreSQL triggers on ``crm_lead`` and ``crm_stage`` (every
    write, ORM or SQL, imports included, goes through them): each statement adds
    signed rows (minus what the changed leads counted for, plus what they count
    for now), so concurrent transactions only insert and never wait for each
    other on a shared row. The figures are sums, so the extra rows change nothing
    but the size: :meth:`_cron_compact` merges them every night.

    Time buckets: a day, except on the first and last day of each month (UTC)
    where they are a quarter of an hour. Every bucket then falls in one month,
    quarter and year in any time zone whose offset is a multiple of 15 minutes
    (all of them), so grouping by those in the user's time zone is exact; a
    grouping by day or week goes to the view. ``bucket_end`` and ``late_second``
    (created in the last second of its bucket) let the report's date filters,
    bounded on bucket boundaries as the search view's are, be exact too.
    """

    _name = "lead.tracking.funnel.cube"
    _description = "Lead Funnel Aggregate"
    _auto = False
    _log_access = False

    company_id = fields.Many2one("res.company", string="Company", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    source_id = fields.Many2one("utm.source", string="Source", readonly=True)
    medium_id = fields.Many2one("utm.medium", string="Medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", string="Campaign", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    stage_id = fields.Many2one("crm.stage", string="Stage", readonly=True)
    create_date = fields.Datetime(string="Created On", readonly=True)
    bucket_end = fields.Datetime(readonly=True)
    late_second = fields.Boolean(string="In the Bucket's Last Second", readonly=True)
    is_opp = fields.Boolean(string="Is an Opportunity", readonly=True)
    is_won = fields.Boolean(readonly=True)
    is_lost = fields.Boolean(readonly=True)
    is_late = fields.Boolean(string="Answered Late", readonly=True)
    lead_count = fields.Integer(string="Leads", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)
    lost_count = fields.Integer(string="Lost", readonly=True)
    late_count = fields.Integer(string="Late Responses", readonly=True)
    late_known_count = fields.Integer(string="Leads with a Response Status", readonly=True)
    opportunity_won_count = fields.Integer(string="Won Opportunities", readonly=True)
    won_revenue = fields.Float(string="Won Revenue", readonly=True)
    response_time_sum = fields.Float(string="Response Time Total (min)", readonly=True)
    response_time_count = fields.Integer(string="Leads with a Response Time", readonly=True)
    response_working_time_sum = fields.Float(
        string="Working Response Time Total (min)", readonly=True
    )
    response_working_time_count = fields.Integer(
        string="Leads with a Working Response Time", readonly=True
    )
    close_seconds_sum = fields.Float(string="Seconds to Close Total", readonly=True)
    days_to_close_count = fields.Integer(string="Closed Leads", readonly=True)

    # ------------------------------------------------------------------
    # Schema: table, bucket functions, triggers
    # ------------------------------------------------------------------

    def init(self):
        cr = self.env.cr
        created = not table_exists(cr, self._table)
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(table)s (
                    id bigserial PRIMARY KEY,
                    company_id integer, team_id integer, user_id integer,
                    source_id integer, medium_id integer, campaign_id integer,
                    channel varchar, stage_id integer,
                    create_date timestamp, bucket_end timestamp, late_second boolean,
                    is_opp boolean NOT NULL, is_won boolean NOT NULL,
                    is_lost boolean NOT NULL, is_late boolean,
                    lead_count integer NOT NULL, opportunity_count integer NOT NULL,
                    won_count integer NOT NULL, lost_count integer NOT NULL,
                    late_count integer NOT NULL, late_known_count integer NOT NULL,
                    opportunity_won_count integer NOT NULL, won_revenue numeric NOT NULL,
                    response_time_sum numeric NOT NULL, response_time_count integer NOT NULL,
                    response_working_time_sum numeric NOT NULL,
                    response_working_time_count integer NOT NULL,
                    close_seconds_sum numeric NOT NULL, days_to_close_count integer NOT NULL
                );

                CREATE OR REPLACE FUNCTION lead_tracking_funnel_bucket(ts timestamp)
                RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT CASE
                        WHEN date_part('day', ts) = 1
                          OR date_part('day', ts + interval '1 day') = 1
                        THEN date_trunc('hour', ts)
                             + floor(date_part('minute', ts) / 15) * interval '15 minutes'
                        ELSE date_trunc('day', ts) END
                $$;

                CREATE OR REPLACE FUNCTION lead_tracking_funnel_bucket_end(ts timestamp)
                RETURNS timestamp LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                    SELECT lead_tracking_funnel_bucket(ts) + CASE
                        WHEN date_part('day', ts) = 1
                          OR date_part('day', ts + interval '1 day') = 1
                        THEN interval '15 minutes' ELSE interval '1 day' END
                $$;

                CREATE OR REPLACE FUNCTION lead_tracking_funnel_cube_lead()
                RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'INSERT' THEN
                        %(insert_new)s;
                    ELSIF TG_OP = 'DELETE' THEN
                        %(insert_old)s;
                    ELSE
                        %(insert_changed)s;
                    END IF;
                    RETURN NULL;
                END
                $$;

                CREATE OR REPLACE FUNCTION lead_tracking_funnel_cube_stage()
                RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    %(insert_stage)s;
                    RETURN NULL;
                END
                $$;

                DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_insert ON crm_lead;
                DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_update ON crm_lead;
                DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_delete ON crm_lead;
                DROP TRIGGER IF EXISTS lead_tracking_funnel_cube_stage ON crm_stage;
                CREATE TRIGGER lead_tracking_funnel_cube_insert AFTER INSERT ON crm_lead
                    REFERENCING NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION lead_tracking_funnel_cube_lead();
                CREATE TRIGGER lead_tracking_funnel_cube_update AFTER UPDATE ON crm_lead
                    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION lead_tracking_funnel_cube_lead();
                CREATE TRIGGER lead_tracking_funnel_cube_delete AFTER DELETE ON crm_lead
                    REFERENCING OLD TABLE AS old_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION lead_tracking_funnel_cube_lead();
                CREATE TRIGGER lead_tracking_funnel_cube_stage AFTER UPDATE ON crm_stage
                    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                    FOR EACH STATEMENT EXECUTE FUNCTION lead_tracking_funnel_cube_stage();
                """,
                table=SQL.identifier(self._table),
                insert_new=self._cube_insert(SQL("SELECT 1 AS sign, n.* FROM new_rows n")),
                insert_old=self._cube_insert(SQL("SELECT -1 AS sign, o.* FROM old_rows o")),
                insert_changed=self._cube_insert(self._changed_leads_sql()),
                insert_stage=self._cube_insert(
                    SQL(
                        """
                        SELECT s.sign, l.*, s.is_won AS stage_is_won
                          FROM crm_lead l
                          JOIN (SELECT -1 AS sign, o.id, o.is_won
                                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                                 WHERE o.is_won IS DISTINCT FROM n.is_won
                                UNION ALL
                                SELECT 1, n.id, n.is_won
                                  FROM old_rows o JOIN new_rows n ON n.id = o.id
                                 WHERE o.is_won IS DISTINCT FROM n.is_won) s
                            ON s.id = l.stage_id
                        """
                    ),
                    stage_won=SQL("l.stage_is_won"),
                ),
            )
        )
        if created:
            self._rebuild()

    @api.model
    def _changed_leads_sql(self):
        """Old rows counted out and new rows counted in, for the leads of an UPDATE
        whose funnel columns changed."""
        changed = SQL(" OR ").join(
            SQL("o.%s IS DISTINCT FROM n.%s", SQL.identifier(col), SQL.identifier(col))
            for col in LEAD_COLUMNS
        )
        return SQL(
            """
            SELECT -1 AS sign, o.* FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE %(changed)s
            UNION ALL
            SELECT 1 AS sign, n.* FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE %(changed)s
            """,
            changed=changed,
        )

    @api.model
    def _cube_rows_sql(self, leads, stage_won=None):
        """``SELECT`` of the cube rows for ``leads``: a query with a ``sign`` column
        (1 to count a lead in, -1 to count it out) and the columns of ``crm_lead``.

        The one definition of what a lead counts for, matching
        :meth:`lead.tracking.funnel.report._select` row for row.

        :param stage_won: SQL of the stage's ``is_won`` (the joined stage's by default)
        """
        stage_won = stage_won or SQL("stage.is_won")
        is_opp = SQL("(l.type = 'opportunity' OR l.date_conversion IS NOT NULL)")
        is_won = SQL("(l.active AND COALESCE(%s, FALSE))", stage_won)
        is_lost = SQL("(NOT l.active AND NOT COALESCE(%s, FALSE))", stage_won)
        # durations summed as numeric (seconds to close: exact), so that the signed
        # rows of a change cancel out exactly, as floating-point sums would not
        days = SQL("EXTRACT(epoch FROM l.date_closed - l.create_date)")
        return SQL(
            """
            SELECT l.company_id, l.team_id, l.user_id,
                   COALESCE(l.first_touch_source_id, l.source_id) AS source_id,
                   COALESCE(l.first_touch_medium_id, l.medium_id) AS medium_id,
                   COALESCE(l.first_touch_campaign_id, l.campaign_id) AS campaign_id,
                   COALESCE(l.channel, 'other') AS channel,
                   l.stage_id,
                   lead_tracking_funnel_bucket(l.create_date) AS create_date,
                   lead_tracking_funnel_bucket_end(l.create_date) AS bucket_end,
                   l.create_date > lead_tracking_funnel_bucket_end(l.create_date)
                                   - interval '1 second' AS late_second,
                   %(is_opp)s AS is_opp, %(is_won)s AS is_won, %(is_lost)s AS is_lost,
                   l.is_late AS is_late,
                   SUM(l.sign) AS lead_count,
                   SUM(l.sign) FILTER (WHERE %(is_opp)s) AS opportunity_count,
                   SUM(l.sign) FILTER (WHERE %(is_won)s) AS won_count,
                   SUM(l.sign) FILTER (WHERE %(is_lost)s) AS lost_count,
                   SUM(l.sign) FILTER (WHERE l.is_late) AS late_count,
                   SUM(l.sign) FILTER (WHERE l.is_late IS NOT NULL) AS late_known_count,
                   SUM(l.sign) FILTER (WHERE %(is_opp)s AND %(is_won)s)
                       AS opportunity_won_count,
                   SUM(l.sign * COALESCE(l.expected_revenue, 0)) FILTER (WHERE %(is_won)s)
                       AS won_revenue,
                   SUM(l.sign * l.response_time::numeric) AS response_time_sum,
                   SUM(l.sign) FILTER (WHERE l.response_time IS NOT NULL)
                       AS response_time_count,
                   SUM(l.sign * l.response_working_time::numeric)
                       AS response_working_time_sum,
                   SUM(l.sign) FILTER (WHERE l.response_working_time IS NOT NULL)
                       AS response_working_time_count,
                   SUM(l.sign * %(days)s) AS close_seconds_sum,
                   SUM(l.sign) FILTER (WHERE %(days)s IS NOT NULL) AS days_to_close_count
              FROM (%(leads)s) l
              LEFT JOIN crm_stage stage ON stage.id = l.stage_id
             GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
            """,
            is_opp=is_opp,
            is_won=is_won,
            is_lost=is_lost,
            days=days,
            leads=leads,
        )

    @api.model
    def _cube_insert(self, leads, stage_won=None):
        """``INSERT`` of the cube rows of ``leads`` (see :meth:`_cube_rows_sql`)."""
        return SQL(
            "INSERT INTO %(table)s (%(columns)s) SELECT %(values)s FROM (%(rows)s) r",
            table=SQL.identifier(self._table),
            columns=SQL(", ").join(SQL.identifier(col) for col in KEY_COLUMNS + SUM_COLUMNS),
            values=SQL(", ").join(
                [SQL("r.%s", SQL.identifier(col)) for col in KEY_COLUMNS]
                + [SQL("COALESCE(r.%s, 0)", SQL.identifier(col)) for col in SUM_COLUMNS]
            ),
            rows=self._cube_rows_sql(leads, stage_won=stage_won),
        )

    # ------------------------------------------------------------------
    # Maintenance
    # ------------------------------------------------------------------

    @api.model
    def _rebuild(self):
        """Count every lead again (installation, or a repair)."""
        self.env["crm.lead"].flush_model()
        self.env["crm.stage"].flush_model(["is_won"])
        self.env.cr.execute(SQL("DELETE FROM %s", SQL.identifier(self._table)))
        self.env.cr.execute(self._cube_insert(SQL("SELECT 1 AS sign, l.* FROM crm_lead l")))

    @api.model
    def _cron_compact(self):
        """Merge the signed rows the triggers added into one row per key.

        Rows inserted by transactions that commit meanwhile are not seen by the
        ``DELETE`` and stay as they are: they still count, nothing is lost.
        """
        keys = SQL(", ").join(SQL.identifier(col) for col in KEY_COLUMNS)
        self.env.cr.execute(
            SQL(
                """
                WITH gone AS (DELETE FROM %(table)s RETURNING *)
                INSERT INTO %(table)s (%(keys)s, %(sums)s)
                SELECT %(keys)s, %(sum_values)s FROM gone
                 GROUP BY %(keys)s
                HAVING SUM(lead_count) <> 0
                """,
                table=SQL.identifier(self._table),
                keys=keys,
                sums=SQL(", ").join(SQL.identifier(col) for col in SUM_COLUMNS),
                sum_values=SQL(", ").join(
                    SQL("SUM(%s)", SQL.identifier(col)) for col in SUM_COLUMNS
                ),
            )
        )
