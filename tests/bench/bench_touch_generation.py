"""Benchmark: enrolling clients in the Lifetime plan and the daily touch cron.

Run with ``python3 tests/harness bench --only touch_generation --sizes 1000,10000``
(add ``100000`` when asked). The harness calls ``main(env, sizes)`` inside
``odoo shell`` on a fresh database with the addons installed without demo.

The book is like a real one: for every size N it creates N clients in several
countries, a tenth of them contacts of a shared company, each with a birthday
and three other yearly key dates (purchase, wedding, spouse's birthday), and
seven holiday occasions for every country. The first block of ``BLOCK``
clients is made with the ORM, the others are SQL copies of its rows with their
own names, emails, addresses, countries and companies, and the key dates are
inserted in bulk with the next occurrence the model computes: the setup is not
measured (100,000 clients in seconds, not the ORM's 23 minutes). The bench's
day plays the 1st of a month: the Lifetime plan's newsletter and gift fall on
today's day of the month (the gift in this month), so every client has an
email and a gift due today, besides the calls and cards of the lead time.

The clients are enrolled yesterday (``freezegun``), in batches of
``ENROL_BATCH`` as the auto-enrolment does, in **33 Touch: Lifetime Clients**
with a cycle that started ``CYCLE_AGE_DAYS`` ago: enrolling creates the cycle's
touches (30 per client) and turns yesterday's due ones into work. Then today's
daily job runs ``touch.plan.enrollment._cron_generate_batch`` until it reports
nothing left, as ``ir.cron`` calls ``_cron_generate`` again while work remains:
the month's newsletters, the gifts, cards and calls due. After the measures,
the year's reached calls are simulated (``REACHED_CALLS`` calls per client
marked done with the outcome "reached" through ``_mark_done``, the engine's
one done path, in batches), which plans the 3 follow-up notes: every client
then has its 33 touches (``touches_per_client``).

With ``BENCH_PROFILE=1`` in the environment the enrolment and the daily job are profiled
(cProfile, and its slowest and costliest queries).

Measured in the same run, on the same data:

* the touch creation (``_plan_touches``, enrolment and cron) against the same rows
  written by one plain SQL ``INSERT`` into the same table (another occurrence
  number for the unique key, in a savepoint rolled back after);
* the cron's activity creation (``_schedule_activities``) against the same
  activities created one client at a time with ``activity_schedule``, on a
  sample of at most ``LOOP_SAMPLE`` clients (rates per second are compared,
  the sample is rolled back);
* the engine's mails (``mail.template._touch_plan_send_mail_batch``, what
  ``_send_emails`` queues) against Odoo's ``mail.template.send_mail_batch`` on
  the same records, template and referral ask, side by side on a sample of at
  most ``EMAIL_SAMPLE`` sent touches (each rolled back, the faster path
  measured between two runs of Odoo's and compared with their mean);
* SQL queries per enrolled client (``odoo.sql_db.sql_counter``) and the
  process's peak resident memory (``resource.getrusage``; the harness runs
  each size in its own process).

Targets: 100,000 clients enrolled (about 3,000,000 touches) in under 5
minutes; the daily job at 10,000 clients under 60 s; touch creation at least
a third of the SQL INSERT rate; the cron's activities and the engine's mails
at least 5 times faster than the activity_schedule loop and send_mail_batch;
queries per client constant as N grows; peak memory at most 500 MB at 100,000.
"""

# pylint: disable=print-used
import collections
import contextlib
import cProfile
import datetime
import functools
import os
import pstats
import resource
import time
from unittest.mock import patch

from freezegun import freeze_time

from odoo import fields, sql_db
from odoo.tools import SQL

from odoo.addons.touch_plan.tools import bulk_insert, insert_rows

LOOP_SAMPLE = 1000
EMAIL_SAMPLE = 500
ENROL_BATCH = 1000
# clients per block of the book (one company of ten contacts per block); the
# first block is created with the ORM, the others are copies of it by SQL
BLOCK = 100
# blocks copied per INSERT
COPY_BLOCKS = 100
# clients whose calls are marked done at once (the year's reached calls)
REACHED_BATCH = 2000
REACHED_CALLS = 3
CYCLE_AGE_DAYS = 20
COUNTRIES = ("base.be", "base.fr", "base.nl", "base.de", "base.lu", "base.ch")
TOUCH_COLUMNS = (
    "name",
    "enrollment_id",
    "step_id",
    "user_id",
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
    # the bench's day, fixed for the whole run (which may go past midnight)
    today = fields.Date.context_today(env["touch.plan.touch"])
    _setup_occasions(env, today)
    env.cr.commit()
    rows = []
    for size in sizes:
        rows.append(_bench_size(env, size, today))
        env.cr.commit()
        _print_table(rows)  # after each size: a long run still shows what it measured
        _print_figures(rows[-1])


def _print_figures(row):
    """One line to compare from run to run (the harness collects them)."""
    print(
        f"bench: touch_generation N={row['size']} enrol_s={row['enroll_total_s']:.1f} "
        f"cron_s={row['cron_s']:.1f} touches={row['touches']} "
        f"touches_per_client={row['touches_per_client']:.1f} "
        f"touches_ratio_sql={row['touch_vs_sql']:.2f} "
        f"activities_ratio_loop={row['activity_vs_loop']:.1f} "
        f"emails_per_s={row['email_rate']:.0f} "
        f"emails_ratio_batch={row['email_vs_batch']:.1f} peak_mb={row['peak_mb']:.0f} "
        f"queries_per_client={row['queries_per_client']:.2f}",
        flush=True,
    )


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------


def _setup_occasions(env, today):
    """Seven holidays for every country (the Lifetime plan's holiday cards), and
    the plan's newsletter and gift on today's day of the month: the bench's day
    is the 1st of a month.

    Once per database: each size runs in its own process on the database of the
    sizes before it, whose planned touches a change of the steps would replan.
    """
    if env["touch.plan.occasion"].search_count([("name", "=like", "Bench holiday %")]):
        return
    env["touch.plan.occasion"].create(
        [
            {"name": f"Bench holiday {month}", "date_kind": "fixed", "month": str(month), "day": 15}
            for month in (1, 3, 5, 7, 9, 11, 12)
        ]
    )
    plan = env.ref("touch_plan.touch_plan_lifetime")
    env.ref("touch_plan.touch_plan_lifetime_step_newsletter").day_of_month = today.day
    # the gifts become activities today: they fall at the end of the plan's lead time
    gift_day = today + datetime.timedelta(days=plan.activity_days_ahead)
    env.ref("touch_plan.touch_plan_lifetime_step_gift").write(
        {
            "day_of_month": gift_day.day,
            "months": f"{gift_day.month},{(gift_day.month + 5) % 12 + 1}",
        }
    )


def _make_clients(env, size, today):
    """The book: ``size`` clients in six countries, one in ten a contact of a
    company (ten per company), each with four yearly key dates.

    The first block of ``BLOCK`` clients is created with the ORM; the other
    blocks are copies of its rows by SQL (every column as the ORM wrote it,
    the client's own values - name, email, address, country, company - set
    per copy), and the key dates are inserted with ``insert_rows`` with the
    next occurrence the model computes: the setup is not measured, and the ORM
    spent most of a 100,000-client run creating the book.
    """
    key_types = [
        env.ref("touch_plan.key_date_type_birthday"),
        env.ref("touch_plan.key_date_type_purchase_anniversary"),
        env.ref("touch_plan.key_date_type_wedding_anniversary"),
        env["touch.plan.key.date.type"].create(
            {"name": f"Spouse birthday {size}", "code": f"bench_spouse_{size}", "yearly": True}
        ),
    ]
    countries = [env.ref(xmlid).id for xmlid in COUNTRIES]
    block = min(BLOCK, size)
    # the template block, with the ORM: a company and its ten contacts among the clients
    company = env["res.partner"].create(
        {
            "name": f"Bench company {size}-0",
            "is_company": True,
            "email": f"office.{size}.0@example.com",
            "country_id": countries[0],
        }
    )
    template = env["res.partner"].create(
        [
            {
                "name": f"Bench client {size}-{index}",
                "email": f"bench.{size}.{index}@example.com",
                "street": f"Street {index}",
                "city": "City",
                "zip": f"{1000 + index % 9000}",
                "country_id": countries[index % len(countries)],
                "parent_id": company.id if index % 10 == 0 else False,
            }
            for index in range(block)
        ]
    )
    env.flush_all()
    ids = list(template.ids)
    blocks = range(1, -(-size // block))
    for first in range(blocks.start, blocks.stop, COPY_BLOCKS):
        last = min(first + COPY_BLOCKS, blocks.stop) - 1
        company_ids = _copy_companies(env, size, company, first, last, countries)
        ids.extend(_copy_clients(env, size, template, first, last, company_ids, countries))
        env.cr.commit()
    del ids[size:]
    env.invalidate_all()
    _make_key_dates(env, ids, key_types, today)
    env.cr.commit()
    env.invalidate_all()
    return env["res.partner"].browse(ids)


def _partner_columns(env):
    return [
        name
        for (name,) in env.execute_query(
            SQL(
                """SELECT column_name FROM information_schema.columns
                    WHERE table_name = 'res_partner' AND column_name != 'id'
                 ORDER BY ordinal_position"""
            )
        )
    ]


def _copy_rows(env, columns, overrides, source):
    """``INSERT INTO res_partner`` the rows of ``source`` (an SQL ``FROM`` giving
    the template row as ``t``), each column copied unless ``overrides`` gives it."""
    return [
        row[0]
        for row in env.execute_query(
            SQL(
                "INSERT INTO res_partner (%s) SELECT %s %s RETURNING id",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL(", ").join(
                    overrides.get(column, SQL("t.%s", SQL.identifier(column))) for column in columns
                ),
                source,
            )
        )
    ]


def _copy_companies(env, size, company, first, last, countries):
    """Copies of the template company for blocks ``first`` to ``last``; their ids in order."""
    name = SQL("%s || (g * %s)", f"Bench company {size}-", BLOCK)
    email = SQL("%s || (g * %s) || '@example.com'", f"office.{size}.", BLOCK)
    ids = _copy_rows(
        env,
        _partner_columns(env),
        {
            "name": name,
            "complete_name": name,
            "commercial_company_name": name,
            "email": email,
            "email_normalized": email,
            "country_id": SQL("(%s::int[])[mod(g * %s, %s) + 1]", countries, BLOCK, len(countries)),
            "create_date": SQL("now() AT TIME ZONE 'UTC'"),
            "write_date": SQL("now() AT TIME ZONE 'UTC'"),
        },
        SQL(
            "FROM res_partner AS t, generate_series(%s, %s) AS g WHERE t.id = %s ORDER BY g",
            first,
            last,
            company.id,
        ),
    )
    env.execute_query(
        SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)", ids)
    )
    return ids


def _copy_clients(env, size, template, first, last, company_ids, countries):
    """Copies of the template clients for blocks ``first`` to ``last``, in order."""
    index = SQL("(tpl.position + g * %s)", BLOCK)
    name = SQL("%s || %s", f"Bench client {size}-", index)
    email = SQL("%s || %s || '@example.com'", f"bench.{size}.", index)
    company_name = SQL("%s || (g * %s)", f"Bench company {size}-", BLOCK)
    in_company = SQL("t.parent_id IS NOT NULL")
    ids = _copy_rows(
        env,
        _partner_columns(env),
        {
            "name": name,
            "complete_name": SQL(
                "CASE WHEN %s THEN %s || ', ' || %s ELSE %s END",
                in_company,
                company_name,
                name,
                name,
            ),
            "commercial_company_name": SQL("CASE WHEN %s THEN %s END", in_company, company_name),
            "email": email,
            "email_normalized": email,
            "street": SQL("'Street ' || %s", index),
            "zip": SQL("(1000 + mod(%s, 9000))::varchar", index),
            "country_id": SQL("(%s::int[])[mod(%s, %s) + 1]", countries, index, len(countries)),
            "parent_id": SQL(
                "CASE WHEN %s THEN (%s::int[])[g - %s + 1] END", in_company, company_ids, first
            ),
            "create_date": SQL("now() AT TIME ZONE 'UTC'"),
            "write_date": SQL("now() AT TIME ZONE 'UTC'"),
        },
        SQL(
            """FROM unnest(%s::int[], %s::int[]) AS tpl(id, position)
                JOIN res_partner AS t ON t.id = tpl.id,
                     generate_series(%s, %s) AS g
            ORDER BY g, tpl.position""",
            template.ids,
            list(range(len(template))),
            first,
            last,
        ),
    )
    env.execute_query(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = COALESCE(parent_id, id) "
            "WHERE id = ANY(%s)",
            ids,
        )
    )
    return ids


def _make_key_dates(env, partner_ids, key_types, today):
    """Four yearly key dates per client (``insert_rows``), with the next occurrence
    the model computes (once per distinct date and type)."""
    KeyDate = env["touch.plan.key.date"]
    # the key date's company is its contact's (the same for every bench client)
    company_id = env["res.partner"].browse(partner_ids[0]).company_id.id
    next_dates = {}
    vals_list = []
    for position, partner_id in enumerate(partner_ids):
        for n, key_type in enumerate(key_types):
            day = today.replace(year=1980) - datetime.timedelta(days=(position * 37 + n * 91) % 360)
            if (key_type.id, day) not in next_dates:
                next_dates[key_type.id, day] = KeyDate.new(
                    {"partner_id": partner_ids[0], "type_id": key_type.id, "date": day}
                ).next_date
            vals_list.append(
                {
                    "partner_id": partner_id,
                    "type_id": key_type.id,
                    "date": day,
                    "next_date": next_dates[key_type.id, day],
                    "company_id": company_id,
                }
            )
        if len(vals_list) >= 20000:
            insert_rows(KeyDate, vals_list)
            vals_list = []
    insert_rows(KeyDate, vals_list)


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
        # a method returning several recordsets counts the first
        first = result[0] if isinstance(result, tuple) else result
        totals["count"] += len(first) if first is not None else 0
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


def _email_batch_rate(env, touches):
    """Queue the mails of ``touches`` again, with Odoo's ``send_mail_batch`` and
    with the engine's ``_touch_plan_send_mail_batch``, side by side.

    The same records, template and referral ask as the cron, each run in a
    savepoint rolled back; the engine's path is measured between two runs of
    Odoo's and compared with their mean (the machine's load changes).
    :return: ``(mails, odoo_seconds, engine_seconds)``
    """
    groups = touches.grouped(lambda t: (t.step_id.mail_template_id, t.referral_ask))

    def run(method):
        env.flush_all()
        env.invalidate_all()
        savepoint = env.cr.savepoint(flush=False)
        try:
            start = time.perf_counter()
            count = 0
            for (template, referral_ask), group in groups.items():
                sender = template.with_context(touch_plan_no_referral_ask=not referral_ask)
                count += len(getattr(sender, method)(group.partner_id.ids))
            env.flush_all()
            return count, time.perf_counter() - start
        finally:
            savepoint.close(rollback=True)
            env.invalidate_all()

    count, before = run("send_mail_batch")
    _count, engine = run("_touch_plan_send_mail_batch")
    _count, after = run("send_mail_batch")
    return count, (before + after) / 2, engine


@contextlib.contextmanager
def _profiled(env, label):
    """With ``BENCH_PROFILE=1``: print the profile of the block and its queries
    (the slowest, and the most costly kinds)."""
    if not os.environ.get("BENCH_PROFILE"):
        yield
        return
    profiler = cProfile.Profile()
    execute = type(env.cr).execute
    queries = []

    def timed_execute(cursor, query, *args, **kwargs):
        begin = time.perf_counter()
        try:
            return execute(cursor, query, *args, **kwargs)
        finally:
            queries.append((time.perf_counter() - begin, str(query)))

    with patch.object(type(env.cr), "execute", timed_execute):
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
    print(f"\n---- profile: {label} ----")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    print(f"---- queries: {label}: {len(queries)} in {sum(q[0] for q in queries):.1f} s ----")
    for seconds, query in sorted(queries, key=lambda q: q[0], reverse=True)[:15]:
        print(f"{seconds:8.3f} s  {' '.join(query.split())[:300]}")
    kinds = collections.defaultdict(lambda: [0.0, 0])
    for seconds, query in queries:
        kind = kinds[" ".join(query.split())[:120]]
        kind[0] += seconds
        kind[1] += 1
    print(f"---- query kinds: {label} ----")
    for text, (seconds, count) in sorted(kinds.items(), key=lambda k: k[1][0], reverse=True)[:25]:
        print(f"{seconds:8.3f} s {count:7d}x  {text}")


def _reach_calls(env, enrollments, today):
    """The year's reached calls: ``REACHED_CALLS`` calls of each client marked
    done with the outcome "reached" through the engine's one done path
    (``_mark_done``), in batches, so that their follow-up notes are planned."""
    Touch = env["touch.plan.touch"]
    step = env.ref("touch_plan.touch_plan_lifetime_step_call")
    with freeze_time(datetime.datetime.combine(today, datetime.time(12)), tick=True):
        for start in range(0, len(enrollments), REACHED_BATCH):
            batch = enrollments[start : start + REACHED_BATCH]
            rows = env.execute_query(
                SQL(
                    """SELECT id FROM (
                           SELECT id, row_number() OVER (
                                      PARTITION BY enrollment_id ORDER BY scheduled_date, id) AS n
                             FROM touch_plan_touch
                            WHERE enrollment_id = ANY(%s) AND step_id = %s
                              AND state IN ('planned', 'scheduled')
                       ) AS calls WHERE n <= %s""",
                    batch.ids,
                    step.id,
                    REACHED_CALLS,
                )
            )
            Touch.browse([row[0] for row in rows])._mark_done("reached")
            env.cr.commit()
            env.invalidate_all()


def _enrol(env, plan, partners, today):
    """Enrol ``partners`` yesterday, in batches as the auto-enrolment does."""
    Enrollment = env["touch.plan.enrollment"]
    ids = []
    yesterday = datetime.datetime.combine(today, datetime.time(12)) - datetime.timedelta(1)
    with freeze_time(yesterday, tick=True):
        for start in range(0, len(partners), ENROL_BATCH):
            batch = partners[start : start + ENROL_BATCH]
            ids.extend(
                Enrollment.create(
                    [
                        {
                            "plan_id": plan.id,
                            "partner_id": partner.id,
                            "user_id": env.uid,
                            "date_start": today - datetime.timedelta(days=CYCLE_AGE_DAYS),
                        }
                        for partner in batch
                    ]
                ).ids
            )
            env.cr.commit()
            env.invalidate_all()
    return Enrollment.browse(ids)


def _bench_size(env, size, today):
    plan = env.ref("touch_plan.touch_plan_lifetime")
    print(f"touch_generation: building {size} clients ...", flush=True)
    start = time.perf_counter()
    partners = _make_clients(env, size, today)
    print(
        f"touch_generation: {size} clients built in {time.perf_counter() - start:.1f} s", flush=True
    )
    Enrollment = env["touch.plan.enrollment"]
    Touch = env["touch.plan.touch"]
    mails_before = env["mail.mail"].search_count([])

    queries = sql_db.sql_counter
    generate, emails, activities, copies = _counter(), _counter(), _counter(), _counter()
    with (
        _timed(type(Enrollment), "_plan_touches", generate),
        _timed(bulk_insert, "_copy_from", copies),
        _timed(type(Touch), "_send_emails", emails),
        _timed(type(Touch), "_schedule_activities", activities),
    ):
        # enrolled yesterday: the cycle's touches, yesterday's due ones turned into work
        start = time.perf_counter()
        print(f"touch_generation: enrolling {size} clients ...", flush=True)
        with _profiled(env, f"enrolment of {size} clients"):
            enrollments = _enrol(env, plan, partners, today)
        enroll_seconds = time.perf_counter() - start - generate["seconds"]
        enroll_copy_seconds = copies["seconds"]
        enroll_queries = sql_db.sql_counter - queries
        print(f"touch_generation: daily job of {size} clients ...", flush=True)
        emails.update(_counter())
        activities.update(_counter())
        # today, the 1st of a month: the daily job, called again while it reports
        # work left (as ir.cron does, which commits after each call)
        queries = sql_db.sql_counter
        start = time.perf_counter()
        calls = 0
        # on the bench's day, even when the run goes past midnight
        with (
            freeze_time(datetime.datetime.combine(today, datetime.time(12)), tick=True),
            _profiled(env, f"daily job of {size} clients"),
        ):
            while True:
                calls += 1
                _done, remaining = Enrollment._cron_generate_batch()
                env.cr.commit()
                if not remaining or calls >= 10000:
                    break
        cron_seconds = time.perf_counter() - start
    cron_queries = sql_db.sql_counter - queries
    env.cr.commit()
    env.invalidate_all()

    domain = [("enrollment_id", "in", enrollments.ids)]
    touch_count = Touch.search_count(domain)
    mail_count = env["mail.mail"].search_count([]) - mails_before
    # the mails the daily job queued today
    emails_done = Touch.search_count([*domain, ("mail_id", "!=", False), ("done_date", "=", today)])

    print(f"touch_generation: {size} clients, baselines ...", flush=True)
    sample_enrollments = enrollments[:LOOP_SAMPLE]
    sql_rows, sql_seconds = _sql_insert_rate(env, sample_enrollments)
    sample = Touch.search(
        [("enrollment_id", "in", sample_enrollments.ids), ("activity_id", "!=", False)]
    )
    loop_count, loop_seconds = _activity_loop_rate(env, sample)
    sent = Touch.search(
        [*domain, ("mail_id", "!=", False), ("done_date", "=", today)],
        limit=EMAIL_SAMPLE,
        order="id",
    )
    batch_count, batch_seconds, engine_seconds = _email_batch_rate(env, sent)

    print(f"touch_generation: {size} clients, the year's reached calls ...", flush=True)
    start = time.perf_counter()
    _reach_calls(env, enrollments, today)
    reached_seconds = time.perf_counter() - start
    touches_per_client = Touch.search_count(domain) / size

    touch_rate = touch_count / generate["seconds"] if generate["seconds"] else 0
    sql_rate = sql_rows / sql_seconds if sql_seconds else 0
    activity_rate = activities["count"] / activities["seconds"] if activities["seconds"] else 0
    loop_rate = loop_count / loop_seconds if loop_seconds else 0
    batch_rate = batch_count / batch_seconds if batch_seconds else 0
    engine_rate = batch_count / engine_seconds if engine_seconds else 0
    return {
        "size": size,
        "touches": touch_count,
        "touches_per_client": touches_per_client,
        "reached_s": reached_seconds,
        "enroll_s": enroll_seconds,
        "generate_s": generate["seconds"],
        "enroll_total_s": enroll_seconds + generate["seconds"],
        "enroll_copy_s": enroll_copy_seconds,
        "enroll_queries_per_client": enroll_queries / size,
        "cron_s": cron_seconds,
        "cron_calls": calls,
        "touch_rate": touch_rate,
        "sql_rate": sql_rate,
        "touch_vs_sql": touch_rate / sql_rate if sql_rate else 0,
        "emails": emails_done,
        "mails_queued": mail_count,
        "email_rate": emails_done / emails["seconds"] if emails["seconds"] else 0,
        "email_batch_sample": batch_count,
        "email_batch_rate": batch_rate,
        "email_engine_rate": engine_rate,
        "email_vs_batch": engine_rate / batch_rate if batch_rate else 0,
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
        ("touches per client, after the reached calls   [33]", "{touches_per_client:.1f}"),
        ("reached calls marked done, follow-ups planned (s)", "{reached_s:.1f}"),
        ("enroll: create enrollments, send, schedule (s)", "{enroll_s:.1f}"),
        ("enroll: create touches (s)", "{generate_s:.1f}"),
        ("  of which PostgreSQL's COPY of the rows (s)", "{enroll_copy_s:.1f}"),
        ("enroll: total (s)   [target < 300 at 100k]", "{enroll_total_s:.1f}"),
        ("SQL queries per client (enrolment)", "{enroll_queries_per_client:.2f}"),
        ("daily cron, whole run (s)   [target < 60 at 10k]", "{cron_s:.1f}"),
        ("daily cron, bounded calls", "{cron_calls:,}"),
        ("touches created / s (engine: planned, COPY)", "{touch_rate:,.0f}"),
        ("same rows, one SQL INSERT / s", "{sql_rate:,.0f}"),
        ("ratio engine / SQL   [target >= 0.33]", "{touch_vs_sql:.2f}"),
        ("emails queued (mail.mail)", "{mails_queued:,}"),
        ("emails queued / s (cron)", "{email_rate:,.0f}"),
        ("same mails / s (send_mail_batch)", "{email_batch_rate:,.0f}"),
        ("same mails / s (engine, _touch_plan_send_mail_batch)", "{email_engine_rate:,.0f}"),
        ("  mails measured on", "{email_batch_sample:,}"),
        ("ratio engine / send_mail_batch   [target >= 5]", "{email_vs_batch:.1f}"),
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
