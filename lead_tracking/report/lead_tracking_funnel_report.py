from datetime import date, datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.models import parse_read_group_spec
from odoo.osv import expression
from odoo.tools import SQL

from ..models.utm_source import CHANNELS
from .lead_tracking_funnel_cube import funnel_bucket

# what the pre-aggregated cube (lead.tracking.funnel.cube) can answer
CUBE_GROUPBY = {
    "company_id",
    "team_id",
    "user_id",
    "source_id",
    "medium_id",
    "campaign_id",
    "channel",
    "stage_id",
}
CUBE_GRANULARITIES = {"month", "quarter", "year"}
# report field filtered "= 1" (the search view's Won, Lost, Late) -> cube flag
CUBE_FLAGS = {
    "won_count": "is_won",
    "lost_count": "is_lost",
    "late_count": "is_late",
    "opportunity_count": "is_opp",
}
# report measure -> (cube sums making its sum, cube sums making its row count,
# factor or None for an integer sum, divisor)
CUBE_MEASURES = {
    "lead_count": (("lead_count",), ("lead_count",), None, 1),
    "opportunity_count": (("opportunity_count",), ("lead_count",), None, 1),
    "won_count": (("won_count",), ("lead_count",), None, 1),
    "lost_count": (("lost_count",), ("lead_count",), None, 1),
    "late_count": (("late_count",), ("late_known_count",), None, 1),
    "conversion_rate": (("won_count",), ("lead_count",), 100.0, 1),
    "opportunity_rate": (("opportunity_count",), ("lead_count",), 100.0, 1),
    "opportunity_win_rate": (("opportunity_won_count",), ("opportunity_count",), 100.0, 1),
    "closed_win_rate": (("won_count",), ("won_count", "lost_count"), 100.0, 1),
    "won_revenue": (("won_revenue",), ("lead_count",), 1.0, 1),
    "response_time": (("response_time_sum",), ("response_time_count",), 1.0, 1),
    "response_working_time": (
        ("response_working_time_sum",),
        ("response_working_time_count",),
        1.0,
        1,
    ),
    "days_to_close": (("close_seconds_sum",), ("days_to_close_count",), 1.0, 86400),
}


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

    # ------------------------------------------------------------------
    # Grouping: from the pre-aggregated cube when it can answer exactly
    # ------------------------------------------------------------------

    @api.model
    def _read_group(
        self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None
    ):
        """Answer from :class:`lead.tracking.funnel.cube` (a few thousand rows)
        rather than the one-row-per-lead view when the grouping, the measures, the
        filters and the user's record rules only use what the cube keeps; from the
        view otherwise (grouping by lead, customer, day or week, a filter on another
        field, a record rule on another field...). Both give the same figures."""
        cube_domain = self._funnel_cube_domain(
            domain, groupby, aggregates, having, offset, limit, order
        )
        if cube_domain is None:
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        return self._funnel_cube_read_group(cube_domain, groupby, aggregates, order)

    @api.model
    def _funnel_cube_domain(self, domain, groupby, aggregates, having, offset, limit, order):
        """The cube domain equivalent to ``domain`` and the user's record rules on the
        report, or ``None`` when the cube cannot answer this ``_read_group``."""
        if having or offset or limit or self.env.context.get("lead_tracking_funnel_from_view"):
            return None
        for spec in groupby:
            fname, property_name, granularity = parse_read_group_spec(spec)
            if property_name:
                return None
            if fname == "create_date":
                if granularity not in CUBE_GRANULARITIES or not self._funnel_cube_tz_ok():
                    return None
            elif fname not in CUBE_GROUPBY or granularity:
                return None
        for spec in aggregates:
            if spec == "__count":
                continue
            fname, property_name, func = parse_read_group_spec(spec)
            if property_name or fname not in CUBE_MEASURES or func not in ("sum", "avg"):
                return None
        for term in (order or "").split(","):
            words = term.split()
            if words and (
                words[0] not in groupby
                or len(words) > 2
                or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
            ):
                return None
        self.browse().check_access("read")
        rules = [] if self.env.su else self.env["ir.rule"]._compute_domain(self._name, "read")
        return self._funnel_cube_translate(
            expression.AND([expression.normalize_domain(domain or []), rules or []])
        )

    @api.model
    def _funnel_cube_tz_ok(self):
        """Whether every offset of the user's time zone is a multiple of 15 minutes
        (see the cube's time buckets); no time zone is UTC."""
        tz = self.env.context.get("tz")
        if not tz:
            return True
        if tz not in pytz.all_timezones_set:
            return False
        zone = pytz.timezone(tz)
        infos = getattr(zone, "_transition_info", None)
        if infos is None:
            offsets = [zone.utcoffset(datetime(2000, 1, 1))]
        else:
            # since 1970: before, zones have local mean times (Brussels: +0:17:30)
            times = zone._utc_transition_times  # pylint: disable=protected-access
            offsets = [
                info[0]
                for start, info, following in zip(
                    times, infos, [*times[1:], datetime.max], strict=True
                )
                if following > datetime(1970, 1, 1)
            ]
        return all(offset.total_seconds() % 900 == 0 for offset in offsets)

    @api.model
    def _funnel_cube_translate(self, domain):
        """The cube domain equivalent to a normalized report ``domain``, or ``None``."""
        result = []
        for element in domain:
            if not expression.is_leaf(element):
                result.append(element)
                continue
            left, operator, right = element
            if tuple(element) in (expression.TRUE_LEAF, expression.FALSE_LEAF) or (
                isinstance(left, str) and left.split(".")[0] in CUBE_GROUPBY
            ):
                result.append(element)
            elif left in CUBE_FLAGS and operator == "=" and right == 1 and right is not True:
                result.append((CUBE_FLAGS[left], "=", True))
            elif left == "create_date":
                leaf = self._funnel_cube_date_leaf(operator, right)
                if leaf is None:
                    return None
                result.extend(leaf)
            else:
                return None
        return result

    @api.model
    def _funnel_cube_date_leaf(self, operator, value):
        """The cube domain for ``create_date <operator> value``: exact only when the
        value is a boundary of the cube's time buckets (as the search view's date
        filters are, whole days or months in the user's time zone), else ``None``."""
        if operator not in (">=", "<", "<=", ">"):
            return None
        last = operator in (">", "<=")
        if isinstance(value, str) and len(value) == 10:
            # as the ORM reads a day on a datetime field
            value += " 23:59:59" if last else " 00:00:00"
        elif isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time.max if last else time.min)
        try:
            value = fields.Datetime.to_datetime(value)
        except (TypeError, ValueError):
            return None
        if not isinstance(value, datetime):
            return None
        if operator in (">=", "<"):
            return [("create_date", operator, value)] if funnel_bucket(value) == value else None
        end = value + timedelta(microseconds=1)
        if funnel_bucket(end) == end:
            # the last instant before a boundary: the same as < or >= the boundary
            return [("create_date", "<" if operator == "<=" else ">=", end)]
        end = value + timedelta(seconds=1)
        if value.microsecond or funnel_bucket(end) != end:
            return None
        # the last second of a bucket: leads created in it after value are flagged
        if operator == "<=":
            return [
                "&",
                ("bucket_end", "<=", end),
                "|",
                ("bucket_end", "<", end),
                ("late_second", "=", False),
            ]
        return [
            "|",
            ("bucket_end", ">", end),
            "&",
            ("bucket_end", "=", end),
            ("late_second", "=", True),
        ]

    @api.model
    def _funnel_cube_read_group(self, cube_domain, groupby, aggregates, order):
        """``_read_group`` of the report computed from the cube's sums."""
        self.env["crm.lead"].flush_model()
        self.env["crm.stage"].flush_model(["is_won"])
        columns = ["lead_count"]
        for spec in aggregates:
            if spec != "__count":
                sums, counts, _factor, _divisor = CUBE_MEASURES[parse_read_group_spec(spec)[0]]
                columns += [col for col in sums + counts if col not in columns]
        # the report's access rights and rules are in cube_domain: read the cube
        # as superuser, keeping the user's context (time zone)
        rows = (
            self.env["lead.tracking.funnel.cube"]
            .sudo()
            ._read_group(cube_domain, groupby, [f"{col}:sum" for col in columns], order=order)
        )
        result = []
        for row in rows:
            keys, values = row[: len(groupby)], dict(zip(columns, row[len(groupby) :], strict=True))
            if groupby and not values["lead_count"]:
                continue  # only leads counted out (deleted, moved) since the last compaction
            keys = tuple(
                key.with_env(self.env) if isinstance(key, models.BaseModel) else key for key in keys
            )
            result.append(
                keys + tuple(self._funnel_cube_value(spec, values) for spec in aggregates)
            )
        return result

    @api.model
    def _funnel_cube_value(self, spec, values):
        if spec == "__count":
            return values["lead_count"] or 0
        fname, _property, func = parse_read_group_spec(spec)
        sums, counts, factor, divisor = CUBE_MEASURES[fname]
        count = sum(values[col] or 0 for col in counts)
        if not count:
            return self._read_group_empty_value(spec)  # as the view's NULL
        total = sum(values[col] or 0 for col in sums)
        if factor is None:
            return total if func == "sum" else total / count
        # one division: the average is the exact quotient of exact sums, rounded once
        return factor * total / (divisor if func == "sum" else divisor * count)

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
