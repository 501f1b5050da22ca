"""Benchmark: enrolling clients in the Lifetime plan and the daily touch cron.

Run with ``python3 tests/harness bench --only touch_generation --sizes 1000,10000``
(add ``100000`` when asked). The harness calls ``main(env, sizes)`` inside
``odoo shell`` on a fresh database with the addons installed without demo.

For every size N it creates N clients (ORM, batched) with four yearly key
dates each (birthday, purchase, wedding and spouse's birthday), seven holiday
occasions, enrolls the clients in **33 Touch: Lifetime Clients** with a cycle
that started 30 days ago (enrolling creates the cycle's touches, about 30 per
client, the 3 follow-ups only come after calls, and turns the due ones into
work: the month's newsletter emails are queued, the cards, calls and gifts
due become activities on the clients), then runs the daily job
``touch.plan.enrollment._cron_generate_batch`` until it reports nothing left,
as ``ir.cron`` calls ``_cron_generate`` again while work remains.

Measured in the same run, on the same data:

* the cron's touch creation (``_generate_touches``) against the same rows
  written by one plain SQL ``INSERT`` into the same table (another occurrence
  number for the unique key, in a savepoint rolled back after);
* the cron's activity creation (``_schedule_activities``) against the same
  activities created one client at a time with ``activity_schedule``, on a
  sample of at most ``LOOP_SAMPLE`` clients (rates per second are compared,
  the sample is rolled back);
* SQL queries per enrolled client (``odoo.sql_db.sql_counter``) and the
  process's peak resident memory (``resource.getrusage``, cumulative over the
  sizes run before).

Targets: 10,000 clients enrolled (about 300,000 touches) in under 60 s;
touch creation at least a third of the SQL INSERT rate; the cron's
activities at least 5 times faster than the activity_schedule loop; queries
per client constant as N grows.
"""

# pylint: disable=print-used
import contextlib
import datetime
import functools
import resource
import time

from odoo import fields, sql_db
from odoo.tools import SQL

LOOP_SAMPLE = 1000
CYCLE_AGE_DAYS = 30
TOUCH_COLUMNS = (
    "name",
    "enrollment_id",
    "plan_id",
    "step_id",
    "partner_id",
    "user_id",
    "company_id",
    "kind",
    "channel",
    "cycle_start",
    "occurrence",
    "scheduled_date",
    "state",
    "referral_ask",
)


def main(env, sizes):
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    _setup_occasions(env)
    env.cr.commit()
    rows = []
    for size in sizes:
        rows.append(_bench_size(env, size))
        env.cr.commit()
        _print_table(rows)  # after each size: a long run still shows what it measured
        _print_figures(rows[-1])


def _print_figures(row):
    """One line to compare from run to run (the harness collects them)."""
    print(
        f"bench: touch_generation N={row['size']} enrol_s={row['enroll_total_s']:.1f} "
        f"cron_s={row['cron_s']:.1f} touches={row['touches']} "
        f"touches_ratio_sql={row['touch_vs_sql']:.2f} "
        f"activities_ratio_loop={row['activity_vs_loop']:.1f} "
        f"emails_per_s={row['email_rate']:.0f} peak_mb={row['peak_mb']:.0f} "
        f"queries_per_client={row['queries_per_client']:.2f}",
        flush=True,
    )


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------


def _setup_occasions(env):
    """Seven holidays for every country (the Lifetime plan's holiday cards)."""
    env["touch.plan.occasion"].create(
        [
            {"name": f"Bench holiday {month}", "date_kind": "fixed", "month": str(month), "day": 15}
            for month in (1, 3, 5, 7, 9, 11, 12)
        ]
    )


def _make_clients(env, size, today):
    key_types = [
        env.ref("touch_plan.key_date_type_birthday"),
        env.ref("touch_plan.key_date_type_purchase_anniversary"),
        env.ref("touch_plan.key_date_type_wedding_anniversary"),
        env["touch.plan.key.date.type"].create(
            {"name": f"Spouse birthday {size}", "code": f"bench_spouse_{size}", "yearly": True}
        ),
    ]
    country = env.ref("base.be")
    partners = env["res.partner"]
    for start in range(0, size, 1000):
        batch = env["res.partner"].create(
            [
                {
                    "name": f"Bench client {size}-{index}",
                    "email": f"bench.{size}.{index}@example.com",
                    "street": f"Rue {index}",
                    "city": "Brussels",
                    "zip": "1000",
                    "country_id": country.id,
                }
                for index in range(start, min(start + 1000, size))
            ]
        )
        env["touch.plan.key.date"].create(
            [
                {
                    "partner_id": partner.id,
                    "type_id": key_type.id,
                    "date": today.replace(year=1980)
                    - datetime.timedelta(days=(position * 37 + n * 91) % 360),
                }
                for position, partner in enumerate(batch)
                for n, key_type in enumerate(key_types)
            ]
        )
        partners |= batch
        env.cr.commit()
        env.invalidate_all()
    return partners


# ----------------------------------------------------------------------
# measures
# ----------------------------------------------------------------------


@contextlib.contextmanager
def _timed(model_class, method_name, totals):
    """Accumulate the time and the result size of ``model_class.method_name``."""
    original = getattr(model_class, method_name)

    @functools.wraps(original)
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        queries = sql_db.sql_counter
        result = original(self, *args, **kwargs)
        totals["seconds"] += time.perf_counter() - start
        totals["queries"] += sql_db.sql_counter - queries
        totals["count"] += len(result) if result is not None else 0
        return result

    setattr(model_class, method_name, wrapper)
    try:
        yield totals
    finally:
        setattr(model_class, method_name, original)


def _counter():
    return {"seconds": 0.0, "queries": 0, "count": 0}


def _sql_insert_rate(env, enrollments):
    """Time one plain INSERT of the rows the cron created (savepoint rolled back)."""
    env.flush_all()
    rows = env.execute_query(
        SQL(
            "SELECT %s FROM touch_plan_touch WHERE enrollment_id = ANY(%s) ORDER BY id",
            SQL(", ").join(SQL.identifier(column) for column in TOUCH_COLUMNS),
            enrollments.ids,
        )
    )
    columns = SQL(", ").join(SQL.identifier(column) for column in TOUCH_COLUMNS)
    now = fields.Datetime.now()
    uid = env.uid
    # the same rows under another occurrence number (the unique key), same indexes
    occurrence = TOUCH_COLUMNS.index("occurrence")
    rows = [
        (*row[:occurrence], row[occurrence] + 1_000_000, *row[occurrence + 1 :]) for row in rows
    ]
    savepoint = env.cr.savepoint(flush=False)
    try:
        values = ", ".join(["(" + ", ".join(["%s"] * (len(TOUCH_COLUMNS) + 4)) + ")"] * len(rows))
        params = [value for row in rows for value in (*row, now, now, uid, uid)]
        start = time.perf_counter()
        env.cr.execute(
            f"INSERT INTO touch_plan_touch ({columns.code}, create_date, write_date, "
            f"create_uid, write_uid) VALUES {values}",
            params,
        )
        seconds = time.perf_counter() - start
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()
    return len(rows), seconds


def _activity_loop_rate(env, touches):
    """Create the activities of ``touches`` one client at a time with activity_schedule."""
    deadlines = {touch.id: touch.activity_id.date_deadline for touch in touches}
    values = {
        touch.id: {
            "activity_type_id": touch.activity_id.activity_type_id.id,
            "summary": touch.activity_id.summary,
            "note": touch.activity_id.note,
            "user_id": touch.activity_id.user_id.id,
        }
        for touch in touches
    }
    env.flush_all()
    savepoint = env.cr.savepoint(flush=False)
    try:
        start = time.perf_counter()
        for partner, client_touches in touches.grouped("partner_id").items():
            for touch in client_touches:
                partner.activity_schedule(
                    date_deadline=deadlines[touch.id],
                    touch_plan_touch_id=touch.id,
                    **values[touch.id],
                )
        env.flush_all()
        seconds = time.perf_counter() - start
    finally:
        savepoint.close(rollback=True)
        env.invalidate_all()
    return len(touches), seconds


def _bench_size(env, size):
    today = fields.Date.context_today(env["touch.plan.touch"])
    plan = env.ref("touch_plan.touch_plan_lifetime")
    print(f"touch_generation: building {size} clients ...", flush=True)
    partners = _make_clients(env, size, today)
    Enrollment = env["touch.plan.enrollment"]
    Touch = env["touch.plan.touch"]
    mails_before = env["mail.mail"].search_count([])

    queries = sql_db.sql_counter
    generate, emails, activities = _counter(), _counter(), _counter()
    with (
        _timed(type(Enrollment), "_generate_touches", generate),
        _timed(type(Touch), "_send_emails", emails),
        _timed(type(Touch), "_schedule_activities", activities),
    ):
        # enrolling plans the cycle's touches and turns the due ones into work at once
        start = time.perf_counter()
        enrollments = Enrollment.create(
            [
                {
                    "plan_id": plan.id,
                    "partner_id": partner.id,
                    "user_id": env.uid,
                    "date_start": today - datetime.timedelta(days=CYCLE_AGE_DAYS),
                }
                for partner in partners
            ]
        )
        env.cr.commit()
        enroll_seconds = time.perf_counter() - start - generate["seconds"]
        # then the daily job, called again while it reports work left (as ir.cron does)
        start = time.perf_counter()
        calls = 0
        while True:
            calls += 1
            _done, remaining = Enrollment._cron_generate_batch()
            env.cr.commit()
            if not remaining or calls >= 1000:
                break
        cron_seconds = time.perf_counter() - start
    cron_queries = sql_db.sql_counter - queries
    env.cr.commit()
    env.invalidate_all()

    touches = Touch.search([("enrollment_id", "in", enrollments.ids)])
    touch_count = len(touches)
    mail_count = env["mail.mail"].search_count([]) - mails_before
    emails_done = Touch.search_count(
        [("enrollment_id", "in", enrollments.ids), ("mail_id", "!=", False)]
    )
    activity_touches = touches.filtered("activity_id")

    print(f"touch_generation: {size} clients, baselines ...", flush=True)
    sql_rows, sql_seconds = _sql_insert_rate(env, enrollments)
    sample_partners = partners[:LOOP_SAMPLE]
    sample = activity_touches.filtered(lambda t: t.partner_id in sample_partners)
    loop_count, loop_seconds = _activity_loop_rate(env, sample)

    touch_rate = touch_count / generate["seconds"] if generate["seconds"] else 0
    sql_rate = sql_rows / sql_seconds if sql_seconds else 0
    activity_rate = activities["count"] / activities["seconds"] if activities["seconds"] else 0
    loop_rate = loop_count / loop_seconds if loop_seconds else 0
    return {
        "size": size,
        "touches": touch_count,
        "enroll_s": enroll_seconds,
        "generate_s": generate["seconds"],
        "enroll_total_s": enroll_seconds + generate["seconds"],
        "cron_s": cron_seconds,
        "cron_calls": calls,
        "touch_rate": touch_rate,
        "sql_rate": sql_rate,
        "touch_vs_sql": touch_rate / sql_rate if sql_rate else 0,
        "emails": emails_done,
        "mails_queued": mail_count,
        "email_rate": emails_done / emails["seconds"] if emails["seconds"] else 0,
        "activities": activities["count"],
        "activity_rate": activity_rate,
        "loop_sample": loop_count,
        "loop_rate": loop_rate,
        "activity_vs_loop": activity_rate / loop_rate if loop_rate else 0,
        "queries_per_client": cron_queries / size,
        "generate_queries_per_client": generate["queries"] / size,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _print_table(rows):
    lines = [
        ("clients enrolled (N)", "{size:,}"),
        ("touches created", "{touches:,}"),
        ("enroll: create enrollments, send, schedule (s)", "{enroll_s:.1f}"),
        ("enroll: create touches (s)", "{generate_s:.1f}"),
        ("enroll: total (s)   [target < 60 at 10k]", "{enroll_total_s:.1f}"),
        ("daily cron, whole run (s)", "{cron_s:.1f}"),
        ("daily cron, bounded calls", "{cron_calls:,}"),
        ("touches created / s (ORM, cron)", "{touch_rate:,.0f}"),
        ("same rows, one SQL INSERT / s", "{sql_rate:,.0f}"),
        ("ratio ORM / SQL   [target >= 0.33]", "{touch_vs_sql:.2f}"),
        ("emails queued (mail.mail)", "{mails_queued:,}"),
        ("emails queued / s", "{email_rate:,.0f}"),
        ("activities created", "{activities:,}"),
        ("activities / s (cron, batched)", "{activity_rate:,.0f}"),
        ("activities / s (activity_schedule loop)", "{loop_rate:,.0f}"),
        ("  loop measured on (activities)", "{loop_sample:,}"),
        ("ratio cron / loop   [target >= 5]", "{activity_vs_loop:.1f}"),
        ("SQL queries per client (whole cron)", "{queries_per_client:.2f}"),
        ("SQL queries per client (touch creation)", "{generate_queries_per_client:.3f}"),
        ("peak memory, process (MB)", "{peak_mb:,.0f}"),
    ]
    width = max(len(label) for label, _fmt in lines)
    header = (
        "| "
        + "measure".ljust(width)
        + " | "
        + " | ".join(f"N={row['size']:,}".rjust(12) for row in rows)
        + " |"
    )
    print()
    print(header)
    print("|" + "-" * (width + 2) + "|" + "|".join("-" * 14 for _row in rows) + "|")
    for label, fmt in lines:
        print(
            "| "
            + label.ljust(width)
            + " | "
            + " | ".join(fmt.format(**row).rjust(12) for row in rows)
            + " |"
        )
    print()
