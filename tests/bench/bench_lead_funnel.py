"""Benchmark: the lead funnel report grouped by channel and month.

Run with ``python3 tests/harness bench --only lead_funnel --sizes 10000,100000``.
The harness calls ``main(env, sizes)`` inside ``odoo shell`` on a fresh
database with the addons installed.

For every size N it tops the database up to N benchmark leads, written with
one SQL ``INSERT ... SELECT generate_series`` (eight sources, one per channel,
24 months of creation dates, a fifth of them won, a tenth lost, response times
on most), runs ``ANALYZE`` and then times, in the same run on the same data:

* ``lead.tracking.funnel.report.read_group`` grouped by channel and
  ``create_date:month`` with the pivot's measures (leads, opportunities, won,
  lost, conversion rate, won revenue, average response time, days to close):
  what the pivot view asks when it opens (answered from the pre-aggregated
  ``lead.tracking.funnel.cube``, which the insert keeps current by its trigger);
* the baseline: ``crm.lead.read_group`` on the same grouping summing the
  expected revenue, i.e. what Odoo's own lead analysis costs on the same table.

Each figure is the median of five runs after one warm-up run. The table
gives the report time, the baseline time and their ratio. With
``BENCH_EXPLAIN=1`` in the environment it also prints PostgreSQL's
``EXPLAIN (ANALYZE, BUFFERS)`` of both queries, to profile them.
"""

# pylint: disable=print-used
import os
import statistics
import time

from odoo import modules
from odoo.tools import SQL

RUNS = 5
BENCH_PREFIX = "bench-funnel"
MEASURES = [
    "lead_count:sum",
    "opportunity_count:sum",
    "won_count:sum",
    "lost_count:sum",
    "conversion_rate:avg",
    "won_revenue:sum",
    "response_time:avg",
    "days_to_close:avg",
]


def main(env, sizes):
    rows = []
    for size in sorted(sizes):
        rows.append(_bench_size(env, size))
        if not modules.module.current_test:
            env.cr.commit()  # pylint: disable=invalid-commit
    _print_table(rows)
    for row in rows:
        ratio = row["report"] / row["baseline"] if row["baseline"] else 0.0
        print(
            f"bench: lead_funnel N={row['size']} leads={row['leads']} groups={row['groups']} "
            f"report_ms={row['report'] * 1000:.1f} baseline_ms={row['baseline'] * 1000:.1f} "
            f"ratio_baseline={ratio:.2f}",
            flush=True,
        )
    return rows


def _sources(env):
    Source = env["utm.source"]
    channels = [key for key, _label in Source._fields["channel"].selection]
    sources = []
    for channel in channels:
        name = f"{BENCH_PREFIX} {channel}"
        source = Source.search([("name", "=", name)], limit=1) or Source.create(
            {"name": name, "channel": channel}
        )
        sources.append(source.id)
    return sources


def _existing(env):
    env.cr.execute(SQL("SELECT COUNT(*) FROM crm_lead WHERE name LIKE %s", f"{BENCH_PREFIX}%"))
    return env.cr.fetchone()[0]


def _insert_leads(env, count):
    """Insert ``count`` leads in one statement; channel and first touch are
    written directly (they are stored fields of crm.lead)."""
    if count <= 0:
        return
    env.flush_all()
    sources = _sources(env)
    stages = env["crm.stage"].search([], order="sequence, id")
    won_stage = stages.filtered("is_won")[:1] or stages[-1:]
    open_stages = (stages - won_stage).ids or won_stage.ids
    channels = [key for key, _label in env["utm.source"]._fields["channel"].selection]
    team = env["crm.team"].search([], limit=1)
    users = env["res.users"].search([("share", "=", False)], limit=5).ids
    env.cr.execute(
        SQL(
            """
            INSERT INTO crm_lead (
                name, type, active, company_id, team_id, user_id, stage_id,
                source_id, first_touch_source_id, channel, probability,
                expected_revenue, create_date, write_date, date_closed,
                response_time, response_working_time, is_late, consent,
                create_uid, write_uid)
            SELECT %(prefix)s || ' ' || g,
                   CASE WHEN mod(g, 3) = 0 THEN 'lead' ELSE 'opportunity' END,
                   mod(g, 10) <> 7,
                   %(company)s, %(team)s, (%(users)s)[1 + mod(g, %(nb_users)s)],
                   CASE WHEN mod(g, 5) = 0 THEN %(won_stage)s
                        ELSE (%(open_stages)s)[1 + mod(g, %(nb_open)s)] END,
                   (%(sources)s)[1 + mod(g, 8)], (%(sources)s)[1 + mod(g, 8)],
                   (%(channels)s)[1 + mod(g, 8)],
                   CASE WHEN mod(g, 5) = 0 THEN 100 ELSE 10 END,
                   (mod(g, 50)) * 100,
                   now() at time zone 'UTC' - (mod(g, 730)) * interval '1 day',
                   now() at time zone 'UTC',
                   CASE WHEN mod(g, 5) = 0 OR mod(g, 10) = 7
                        THEN now() at time zone 'UTC'
                             - GREATEST(mod(g, 730) - 20, 0) * interval '1 day'
                   END,
                   CASE WHEN mod(g, 4) <> 0 THEN (mod(g, 600))::float END,
                   CASE WHEN mod(g, 4) <> 0 THEN (mod(g, 240))::float END,
                   mod(g, 9) = 0, TRUE, 1, 1
              FROM generate_series(%(start)s, %(stop)s) AS g
            """,
            prefix=BENCH_PREFIX,
            company=env.company.id,
            team=team.id or None,
            users=users,
            nb_users=len(users),
            won_stage=won_stage.id,
            open_stages=open_stages,
            nb_open=len(open_stages),
            sources=sources,
            channels=channels,
            start=_existing(env) + 1,
            stop=_existing(env) + count,
        )
    )
    env.invalidate_all()


def _median_time(func):
    func()  # warm-up
    timings = []
    for _run in range(RUNS):
        start = time.perf_counter()
        func()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _bench_size(env, size):
    start = time.perf_counter()
    _insert_leads(env, size - _existing(env))
    env.cr.execute(SQL("ANALYZE crm_lead"))
    insert_time = time.perf_counter() - start
    total = env["crm.lead"].with_context(active_test=False).search_count([])
    groupby = ["channel", "create_date:month"]
    report = env["lead.tracking.funnel.report"]
    groups = report.read_group([], MEASURES, groupby, lazy=False)
    report_time = _median_time(lambda: report.read_group([], MEASURES, groupby, lazy=False))
    leads = env["crm.lead"].with_context(active_test=False)
    baseline_time = _median_time(
        lambda: leads.read_group([], ["expected_revenue:sum"], groupby, lazy=False)
    )
    if os.environ.get("BENCH_EXPLAIN"):
        _explain(env, "report", lambda: report.read_group([], MEASURES, groupby, lazy=False))
        _explain(
            env,
            "baseline",
            lambda: leads.read_group([], ["expected_revenue:sum"], groupby, lazy=False),
        )
    return {
        "size": size,
        "leads": total,
        "groups": len(groups),
        "insert": insert_time,
        "report": report_time,
        "baseline": baseline_time,
    }


def _explain(env, label, func):
    """Print the plan of the last query ``func`` runs (the grouping query)."""
    func()
    query = env.cr._obj.query.decode()  # pylint: disable=protected-access
    env.cr.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query}")  # params None: no interpolation
    print(f"\n-- {label}: {query}")
    print("\n".join(line for (line,) in env.cr.fetchall()), flush=True)


def _print_table(rows):
    print()
    print("Lead funnel report: read_group by channel and month (median of %d runs)" % RUNS)
    header = (
        f"{'N bench leads':>14} {'all leads':>10} {'groups':>7} {'insert s':>9} "
        f"{'report ms':>10} {'baseline ms':>12} {'ratio':>6} {'< 2 s':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row["report"] / row["baseline"] if row["baseline"] else 0.0
        print(
            f"{row['size']:>14} {row['leads']:>10} {row['groups']:>7} {row['insert']:>9.2f} "
            f"{row['report'] * 1000:>10.1f} {row['baseline'] * 1000:>12.1f} {ratio:>6.2f} "
            f"{'yes' if row['report'] < 2 else 'NO':>6}"
        )
    print(
        "baseline: crm.lead.read_group on the same grouping (sum of expected revenue); "
        "ratio = report / baseline"
    )
