from odoo import fields, models
from odoo.tools import SQL


class TouchPlanClientReport(models.Model):
    """One row per enrollment and yearly cycle: is the client on track for the target?

    A cycle is on track when its done touches reach the yearly target pro rata
    of the days gone in the cycle (the whole target once the cycle is over).
    ``on_track_rate`` is 100 or 0 per row: its average is the share of clients
    on track.
    """

    _name = "touch.plan.client.report"
    _inherit = ["touch.plan.sql.report"]
    _description = "Touch Plan Client Analysis"
    _auto = False
    _rec_name = "partner_id"
    _order = "cycle_start desc, id desc"

    enrollment_id = fields.Many2one("touch.plan.enrollment", readonly=True)
    plan_id = fields.Many2one("touch.plan", string="Plan", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Client", readonly=True)
    user_id = fields.Many2one("res.users", string="Rep", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    enrollment_state = fields.Selection(
        [
            ("active", "Running"),
            ("paused", "Paused"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        readonly=True,
    )
    cycle_start = fields.Date(readonly=True)
    cycle_end = fields.Date(readonly=True)
    is_current_cycle = fields.Boolean(string="Current Cycle", readonly=True)
    # measures
    client_count = fields.Integer(string="Clients", readonly=True)
    target = fields.Integer(string="Yearly Target", readonly=True)
    done_count = fields.Integer(string="Done", readonly=True)
    open_count = fields.Integer(string="To Do", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    expected_count = fields.Float(
        string="Expected by Today",
        readonly=True,
        digits=(16, 1),
        help="The yearly target pro rata of the days gone in the cycle.",
    )
    on_track = fields.Boolean(readonly=True)
    on_track_rate = fields.Float(
        string="On Track (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the clients whose done touches reach the target pro rata.",
    )

    def _expected(self):
        """Target pro rata of the part of the cycle gone by today (SQL expression).

        Today is the server's UTC date (``fields.Date.today()``), whatever the
        database session's time zone: a view cannot know the reader's.
        """
        return SQL(
            """(p.yearly_target * LEAST(1.0, GREATEST(0.0,
                   ((NOW() AT TIME ZONE 'UTC')::date - c.cycle_start + 1)::numeric
                   / GREATEST(1, c.cycle_end - c.cycle_start + 1))))"""
        )

    def _select(self):
        expected = self._expected()
        on_track = SQL("(c.done_count >= FLOOR(%s))", expected)
        return SQL(
            """
            SELECT
                ROW_NUMBER() OVER (ORDER BY c.enrollment_id, c.cycle_start) AS id,
                c.enrollment_id AS enrollment_id,
                e.plan_id AS plan_id,
                e.partner_id AS partner_id,
                e.user_id AS user_id,
                e.company_id AS company_id,
                e.state AS enrollment_state,
                c.cycle_start AS cycle_start,
                c.cycle_end AS cycle_end,
                (c.cycle_start = e.cycle_start) AS is_current_cycle,
                1 AS client_count,
                p.yearly_target AS target,
                c.done_count AS done_count,
                c.open_count AS open_count,
                c.skipped_count AS skipped_count,
                ROUND(%(expected)s, 1) AS expected_count,
                %(on_track)s AS on_track,
                CASE WHEN %(on_track)s THEN 100.0 ELSE 0.0 END AS on_track_rate
            """,
            expected=expected,
            on_track=on_track,
        )

    def _cycles(self):
        """Touch counts per enrollment and cycle; the current cycle even without touch."""
        return SQL(
            """
            SELECT e.id AS enrollment_id,
                   COALESCE(t.cycle_start, e.cycle_start) AS cycle_start,
                   (COALESCE(t.cycle_start, e.cycle_start) + interval '1 year'
                    - interval '1 day')::date AS cycle_end,
                   COUNT(t.id) FILTER (WHERE t.state = 'done') AS done_count,
                   COUNT(t.id) FILTER (WHERE t.state IN ('planned', 'scheduled'))
                       AS open_count,
                   COUNT(t.id) FILTER (WHERE t.state = 'skipped') AS skipped_count
              FROM touch_plan_enrollment e
         LEFT JOIN touch_plan_touch t ON t.enrollment_id = e.id
             WHERE e.cycle_start IS NOT NULL
          GROUP BY e.id, COALESCE(t.cycle_start, e.cycle_start)
            """
        )

    def _from(self):
        return SQL(
            """
            FROM (%s) c
            JOIN touch_plan_enrollment e ON e.id = c.enrollment_id
            JOIN touch_plan p ON p.id = e.plan_id
            """,
            self._cycles(),
        )

    def _where(self):
        return SQL("WHERE p.yearly_target > 0")

    def _query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())
