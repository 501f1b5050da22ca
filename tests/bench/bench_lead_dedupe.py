"""Benchmark: the duplicate finder of lead_tracking.

Run with ``python3 tests/harness bench --only lead_dedupe --sizes 100000``.
The harness calls ``main(env, sizes)`` inside ``odoo shell`` on a fresh
database with the addons installed.

For every size N it tops the database up to N benchmark leads, written with
one SQL ``INSERT ... SELECT generate_series``: people drawn from 60 first
names x 250 last names at 20,000 companies (five leads each, their legal
suffix spelled differently from lead to lead), one lead in ten sharing the
email of the previous lead (in other case), one in ten its phone, one in ten
a typo'd name at the same company, one in thirty a won opportunity of the
previous lead's customer (a separate deal). It then times, median of three
runs after a warm-up:

* ``find``: ``lead.tracking.duplicate.wizard._find_duplicate_groups()`` (the
  SQL candidate pairs, the grouping that keeps separate deals apart);
* ``action``: ``action_find()``, i.e. the above plus writing the listed groups;
* the baseline: ``crm.lead._read_group`` counting leads per normalised email,
  the cheapest duplicate question Odoo itself can ask of the same table.

It prints one line per size, ``bench: lead_dedupe N=<size> find_ms=...
groups=...``, with the pairs, the separate-deal groups, the action time, the
baseline and the ratio find / baseline.
"""

# pylint: disable=print-used
import statistics
import time

from odoo import modules
from odoo.tools import SQL

RUNS = 3
BENCH_PREFIX = "bench-dedupe"
FIRST = (
    "Anna Ali Amir Ben Bruno Carla Chen Dana David Dina Elena Emil Farah Felix "
    "Gita Hana Hugo Ines Ivan Jana Jose Karim Lara Leila Leo Lina Luca Maja Marco "
    "Maria Mina Nadia Nora Omar Otto Paula Pedro Rania Reza Rita Rosa Sami Sara "
    "Selma Sofia Tara Theo Uma Vera Victor Wiebke Xavier Yara Yusuf Zara Zoe Aziz "
    "Bilal Cyrus Darius"
).split()
LAST = [f"{a}{b}" for a in ("Al", "Ber", "Cas", "Dor", "El", "Far", "Gar", "Hal", "Ib", "Jen")
        for b in ("ani", "bert", "cott", "dahl", "esco", "ford", "gren", "holm", "ito",
                  "jian", "kov", "lund", "mann", "nez", "oglu", "pour", "quist", "ro",
                  "sson", "tani", "uchi", "vic", "wood", "yan", "zadeh")]  # fmt: skip
SYLLABLES = (
    "Acu Bel Cor Dyn Evo Fab Gen Hex Ion Jet Kin Lum Mag Nov Opt Pix Qua Rad Sol "
    "Tek Uni Vox Wav Xen Yor Zen Alt Bri Cel Del"
).split()


def main(env, sizes):
    rows = []
    for size in sorted(sizes):
        rows.append(_bench_size(env, size))
        if not modules.module.current_test:
            env.cr.commit()  # pylint: disable=invalid-commit
    return rows


def _existing(env):
    env.cr.execute(SQL("SELECT COUNT(*) FROM crm_lead WHERE name LIKE %s", f"{BENCH_PREFIX}%"))
    return env.cr.fetchone()[0]


def _insert_leads(env, count):
    """Insert ``count`` leads in one statement. ``p`` is the person of a
    lead: the previous lead's for the duplicates."""
    if count <= 0:
        return
    env.flush_all()
    stages = env["crm.stage"].search([], order="sequence, id")
    won_stage = stages.filtered("is_won")[:1] or stages[-1:]
    first_stage = (stages - won_stage)[:1] or won_stage
    team = env["crm.team"].search([], limit=1)
    users = env["res.users"].search([("share", "=", False)], limit=5).ids
    start = _existing(env) + 1
    env.cr.execute(
        SQL(
            """
            INSERT INTO crm_lead (
                name, type, active, company_id, team_id, user_id, stage_id, probability,
                contact_name, partner_name, email_from, email_normalized,
                phone, phone_sanitized, consent,
                create_date, write_date, create_uid, write_uid)
            SELECT %(prefix)s || ' ' || g,
                   CASE WHEN mod(g, 30) = 0 THEN 'opportunity' ELSE 'lead' END,
                   TRUE, %(company)s, %(team)s, (%(users)s)[1 + mod(g, %(nb_users)s)],
                   CASE WHEN mod(g, 30) = 0 THEN %(won_stage)s ELSE %(first_stage)s END,
                   CASE WHEN mod(g, 30) = 0 THEN 100 ELSE 10 END,
                   CASE WHEN mod(g, 10) = 7
                        THEN overlay(person PLACING 'x' FROM 3 FOR 1)  -- a typo
                        ELSE person END,
                   company,
                   CASE WHEN mod(g, 10) = 7 THEN NULL
                        WHEN mod(g, 10) = 5 THEN 'other.' || g || '@bench.example'
                        WHEN mod(g, 10) = 0 THEN upper(email)
                        ELSE email END,
                   CASE WHEN mod(g, 10) = 7 THEN NULL
                        WHEN mod(g, 10) = 5 THEN 'other.' || g || '@bench.example'
                        ELSE email END,
                   CASE WHEN mod(g, 10) IN (0, 7) THEN NULL
                        ELSE '+32 470 ' || lpad(p::text, 6, '0') END,
                   CASE WHEN mod(g, 10) IN (0, 7) THEN NULL
                        ELSE '+32470' || lpad(p::text, 6, '0') END,
                   TRUE,
                   now() at time zone 'UTC' - mod(g, 730) * interval '1 day',
                   now() at time zone 'UTC', 1, 1
              FROM (
                SELECT g, p,
                       (%(first)s)[1 + mod(p, %(nb_first)s)] || ' '
                       || (%(last)s)[1 + mod(p / %(nb_first)s, %(nb_last)s)] AS person,
                       (%(syl)s)[1 + mod(c, %(nb_syl)s)]
                       || lower((%(syl)s)[1 + mod(c / %(nb_syl)s, %(nb_syl)s)])
                       || ' ' || (ARRAY['Trading', 'Partners', 'Labs', 'Studio', 'Works',
                                        'Systems', 'Foods', 'Design'])[1 + mod(c / 900, 8)]
                       || ' ' || c / 7200
                       -- the legal suffix varies from lead to lead of one company
                       || (ARRAY['', ' Ltd', ' GmbH', ' Inc.'])[1 + mod(g, 4)] AS company,
                       lower(replace((%(first)s)[1 + mod(p, %(nb_first)s)], ' ', ''))
                       || '.' || p || '@bench.example' AS email
                  FROM (
                    SELECT g, p, mod(p * 7919, 20000) AS c  -- the person's company
                      FROM (
                        SELECT g, CASE WHEN mod(g, 10) IN (0, 5, 7) OR mod(g, 30) = 0
                                       THEN g - 1 ELSE g END AS p
                          FROM generate_series(%(start)s, %(stop)s) AS g
                      ) AS numbered
                  ) AS numbered
              ) AS people
            """,
            prefix=BENCH_PREFIX,
            company=env.company.id,
            team=team.id or None,
            users=users,
            nb_users=len(users),
            won_stage=won_stage.id,
            first_stage=first_stage.id,
            first=FIRST,
            nb_first=len(FIRST),
            last=LAST,
            nb_last=len(LAST),
            syl=SYLLABLES,
            nb_syl=len(SYLLABLES),
            start=start,
            stop=start + count - 1,
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
    _insert_leads(env, size - _existing(env))
    env.cr.execute(SQL("ANALYZE crm_lead"))
    total = env["crm.lead"].search_count([])
    wizard = env["lead.tracking.duplicate.wizard"].create({})
    duplicates, separate = wizard._find_duplicate_groups()
    pairs = len(wizard._candidate_pairs())
    find_time = _median_time(wizard._find_duplicate_groups)
    action_time = _median_time(wizard.action_find)
    leads = env["crm.lead"]
    baseline_time = _median_time(
        lambda: leads._read_group(
            [("email_normalized", "!=", False)],
            ["email_normalized"],
            ["__count"],
            having=[("__count", ">", 1)],
        )
    )
    row = {
        "size": size,
        "leads": total,
        "pairs": pairs,
        "groups": len(duplicates),
        "separate": len(separate),
        "find": find_time,
        "action": action_time,
        "baseline": baseline_time,
    }
    ratio = find_time / baseline_time if baseline_time else 0.0
    print(
        f"bench: lead_dedupe N={size} find_ms={find_time * 1000:.0f} groups={len(duplicates)} "
        f"separate={len(separate)} pairs={pairs} leads={total} "
        f"action_ms={action_time * 1000:.0f} baseline_ms={baseline_time * 1000:.0f} "
        f"ratio={ratio:.1f} (baseline: read_group of leads per normalised email)"
    )
    return row
