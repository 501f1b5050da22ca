"""Benchmark: customer value scoring and a club review, against a per-partner ORM loop.

Run with ``python3 tests/harness bench --only club_scoring --sizes 1000,10000,100000``.
The harness calls ``main(env, sizes)`` inside ``odoo shell`` on a fresh database.

For every size N it creates a company with the generic chart of accounts, N
customers and their invoice history (about 4 invoices and 12 invoice lines per
customer over two years, so 1.2 M invoice lines at 100,000 customers; 8 % credit
notes, 75 % of invoices paid, with real receivable lines and partial
reconciliations), written with plain SQL inserts to
keep the set-up short. A club program holds every customer as a member.

It then times, in the same run on the same data:

* ``loyalty.club.score._compute_club_scores`` (set-based SQL) for all customers;
* ``loyalty.program._club_run_review`` (re-scores, then moves tiers and writes
  one review line per member with the score snapshot);
* a straightforward per-partner ORM loop computing the same raw values
  (recency, frequency, money, margin, overdue, days late) and writing one score
  row per partner. The loop runs on a sample of at most ``LOOP_SAMPLE``
  customers and its time is EXTRAPOLATED linearly to N (said in the table).
  The loop results are compared with the SQL results for the sample.

With ``BENCH_PROFILE=1`` in the environment it prints a profile of each timed
step and its slowest queries.
"""

# pylint: disable=print-used
import cProfile
import os
import pstats
import resource
import time
from datetime import date
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.tools import SQL

LOOP_SAMPLE = 500
TODAY = date(2026, 6, 30)


def main(env, sizes):
    rows = []
    for size in sizes:
        rows.append(_bench_size(env, size))
        env.cr.commit()
    _print_table(rows)
    for row in rows:
        review = f"{row['review_s']:.2f}" if row["review_s"] is not None else "n/a"
        print(
            f"bench: club_scoring N={row['size']} lines={row['lines']} "
            f"score_s={row['score_s']:.2f} review_s={review} ratio_loop={row['ratio']:.1f} "
            f"peak_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}",
            flush=True,
        )


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------


def _make_company(env, size):
    company = env["res.company"].create({"name": f"Club bench {size} {time.time_ns()}"})
    env.user.company_ids = [(4, company.id)]
    env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
    return company


def _accounts(env, company):
    Account = env["account.account"].with_company(company)
    domain = Account._check_company_domain(company)

    def account(account_type):
        return Account.search([*domain, ("account_type", "=", account_type)], limit=1).id

    Journal = env["account.journal"].with_company(company)
    return {
        "company": company.id,
        "currency": company.currency_id.id,
        "receivable": account("asset_receivable"),
        "income": account("income"),
        "bank": account("asset_cash"),
        "sale_journal": Journal.search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1
        ).id,
        "misc_journal": Journal.search(
            [("company_id", "=", company.id), ("type", "=", "general")], limit=1
        ).id,
    }


def _build_data(env, company, size):
    cr = env.cr
    ids = _accounts(env, company)
    products = env["product.product"].create(
        [{"name": f"Bench product {i}", "list_price": 10.0 + i} for i in range(20)]
    )
    for i, product in enumerate(products):
        product.with_company(company).standard_price = 4.0 + i / 2
    env.flush_all()
    tag = f"bench-{company.id}"
    params = dict(ids, tag=tag, size=size, today=TODAY, products=products.ids)
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        """
        -- each customer its own commercial entity, set in the INSERT: a second pass
        -- (UPDATE ... SET commercial_partner_id = id) stayed more than 20 minutes in
        -- that UPDATE at 100,000 on the loaded machine (the setup takes 42 s at 10,000)
        INSERT INTO res_partner (id, commercial_partner_id, name, complete_name, active, type,
                                 is_company, autopost_bills, ref, customer_rank, create_uid,
                                 write_uid, create_date, write_date)
        SELECT s.id, s.id, 'Bench customer ' || s.g, 'Bench customer ' || s.g, TRUE,
               'contact', TRUE, 'ask', %(tag)s, 1, 1, 1, NOW(), NOW()
          FROM (SELECT nextval('res_partner_id_seq') AS id, g
                  FROM generate_series(1, %(size)s) g) s;

        DROP TABLE IF EXISTS bench_inv;
        CREATE TEMP TABLE bench_inv AS
        SELECT nextval('account_move_id_seq') AS move_id,
               nextval('account_move_line_id_seq') AS rec_line_id,
               p.id AS partner_id,
               CASE WHEN random() < 0.08 THEN 'out_refund' ELSE 'out_invoice' END AS move_type,
               (%(today)s::date - (random() * 730)::int) AS invoice_date,
               random() AS pay_draw, (random() * 60)::int AS pay_delay,
               1 + (random() * 2)::int AS nlines
          FROM (SELECT id, 1 + (random() * 6)::int AS n FROM res_partner WHERE ref = %(tag)s) p,
               generate_series(1, p.n);
        ALTER TABLE bench_inv ADD COLUMN due date, ADD COLUMN paid_date date,
                              ADD COLUMN sign int, ADD COLUMN untaxed numeric,
                              ADD COLUMN pay_line_id int;
        UPDATE bench_inv
           SET due = invoice_date + 30,
               sign = CASE WHEN move_type = 'out_invoice' THEN 1 ELSE -1 END,
               paid_date = CASE WHEN move_type = 'out_invoice' AND pay_draw < 0.75
                                 AND invoice_date + pay_delay <= %(today)s::date
                                THEN invoice_date + pay_delay END;
        UPDATE bench_inv SET pay_line_id = nextval('account_move_line_id_seq')
         WHERE paid_date IS NOT NULL;

        DROP TABLE IF EXISTS bench_line;
        CREATE TEMP TABLE bench_line AS
        SELECT i.move_id, i.partner_id, i.invoice_date, i.sign,
               (%(products)s::int[])[1 + (random() * 19)::int] AS product_id,
               1 + (random() * 4)::int AS qty, 10 + (random() * 90)::int AS price
          FROM bench_inv i, generate_series(1, i.nlines + 1);
        -- statistics first: without them this join is planned as a nested loop,
        -- quadratic in N (hours at 100,000); ANALYZE does not draw from random()
        ANALYZE bench_inv;
        ANALYZE bench_line;
        UPDATE bench_inv i SET untaxed = t.total
          FROM (SELECT move_id, SUM(qty * price) AS total FROM bench_line GROUP BY move_id) t
         WHERE t.move_id = i.move_id;

        INSERT INTO account_move (id, name, move_type, state, journal_id, company_id, currency_id,
                                  partner_id, commercial_partner_id, date, invoice_date,
                                  invoice_date_due, auto_post, payment_state, amount_untaxed,
                                  amount_untaxed_signed, amount_total, amount_total_signed,
                                  amount_residual, amount_residual_signed, amount_tax,
                                  amount_tax_signed, create_uid, write_uid, create_date, write_date)
        SELECT move_id, 'BINV/' || move_id, move_type, 'posted', %(sale_journal)s, %(company)s,
               %(currency)s, partner_id, partner_id, invoice_date, invoice_date, due, 'no',
               CASE WHEN paid_date IS NOT NULL THEN 'paid' ELSE 'not_paid' END,
               untaxed, sign * untaxed, untaxed, sign * untaxed,
               CASE WHEN paid_date IS NOT NULL THEN 0 ELSE untaxed END,
               CASE WHEN paid_date IS NOT NULL THEN 0 ELSE sign * untaxed END, 0, 0,
               1, 1, NOW(), NOW()
          FROM bench_inv;

        INSERT INTO account_move_line (move_id, move_name, partner_id, company_id, journal_id,
                                       account_id, currency_id, company_currency_id, date,
                                       parent_state, display_type, product_id, quantity,
                                       price_unit, price_subtotal, price_total, balance,
                                       amount_currency, debit, credit, amount_residual,
                                       amount_residual_currency, reconciled, sequence,
                                       create_uid, write_uid, create_date, write_date)
        SELECT l.move_id, 'BINV/' || l.move_id, l.partner_id, %(company)s, %(sale_journal)s,
               %(income)s, %(currency)s, %(currency)s, l.invoice_date, 'posted', 'product',
               l.product_id, l.qty, l.price, l.qty * l.price, l.qty * l.price,
               -l.sign * l.qty * l.price, -l.sign * l.qty * l.price,
               GREATEST(-l.sign * l.qty * l.price, 0), GREATEST(l.sign * l.qty * l.price, 0),
               0, 0, FALSE, 10, 1, 1, NOW(), NOW()
          FROM bench_line l;

        INSERT INTO account_move_line (id, move_id, move_name, partner_id, company_id,
                                       journal_id, account_id, currency_id, company_currency_id,
                                       date, date_maturity, parent_state, display_type, balance,
                                       amount_currency, debit, credit, amount_residual,
                                       amount_residual_currency, reconciled, sequence,
                                       create_uid, write_uid, create_date, write_date)
        SELECT rec_line_id, move_id, 'BINV/' || move_id, partner_id, %(company)s,
               %(sale_journal)s, %(receivable)s, %(currency)s, %(currency)s, invoice_date, due,
               'posted', 'payment_term', sign * untaxed, sign * untaxed,
               GREATEST(sign * untaxed, 0), GREATEST(-sign * untaxed, 0),
               CASE WHEN paid_date IS NOT NULL THEN 0 ELSE sign * untaxed END,
               CASE WHEN paid_date IS NOT NULL THEN 0 ELSE sign * untaxed END,
               paid_date IS NOT NULL, 20, 1, 1, NOW(), NOW()
          FROM bench_inv;

        -- one payment entry holding a credit line per paid invoice
        INSERT INTO account_move (id, name, move_type, state, journal_id, company_id,
                                  currency_id, date, auto_post, create_uid, write_uid,
                                  create_date, write_date)
        VALUES (nextval('account_move_id_seq'), 'BPAY/' || %(tag)s, 'entry', 'posted',
                %(misc_journal)s, %(company)s, %(currency)s, %(today)s, 'no', 1, 1, NOW(), NOW());
        INSERT INTO account_move_line (id, move_id, move_name, partner_id, company_id,
                                       journal_id, account_id, currency_id, company_currency_id,
                                       date, parent_state, display_type, balance, amount_currency,
                                       debit, credit, amount_residual, amount_residual_currency,
                                       reconciled, create_uid, write_uid, create_date, write_date)
        SELECT pay_line_id, currval('account_move_id_seq'), 'BPAY/' || %(tag)s, partner_id,
               %(company)s, %(misc_journal)s, %(receivable)s, %(currency)s, %(currency)s,
               paid_date, 'posted', 'product', -untaxed, -untaxed, 0, untaxed, 0, 0, TRUE,
               1, 1, NOW(), NOW()
          FROM bench_inv WHERE paid_date IS NOT NULL;
        INSERT INTO account_move_line (move_id, move_name, company_id, journal_id, account_id,
                                       currency_id, company_currency_id, date, parent_state,
                                       display_type, balance, amount_currency, debit, credit,
                                       create_uid, write_uid, create_date, write_date)
        SELECT currval('account_move_id_seq'), 'BPAY/' || %(tag)s, %(company)s,
               %(misc_journal)s, %(bank)s, %(currency)s, %(currency)s, %(today)s, 'posted',
               'product', SUM(untaxed), SUM(untaxed), SUM(untaxed), 0, 1, 1, NOW(), NOW()
          FROM bench_inv WHERE paid_date IS NOT NULL;
        INSERT INTO account_partial_reconcile (debit_move_id, credit_move_id, amount,
                                               debit_amount_currency, credit_amount_currency,
                                               company_id, debit_currency_id, credit_currency_id,
                                               max_date, create_uid, write_uid, create_date,
                                               write_date)
        SELECT rec_line_id, pay_line_id, untaxed, untaxed, untaxed, %(company)s, %(currency)s,
               %(currency)s, GREATEST(invoice_date, paid_date), 1, 1, NOW(), NOW()
          FROM bench_inv WHERE paid_date IS NOT NULL;
        """,
        params,
    )
    cr.execute("SELECT COUNT(*), SUM(nlines + 1) FROM bench_inv")
    invoices, lines = cr.fetchone()
    cr.execute("ANALYZE res_partner; ANALYZE account_move; ANALYZE account_move_line;")
    cr.execute("ANALYZE account_partial_reconcile")
    env.invalidate_all()
    partners = env["res.partner"].search([("ref", "=", tag)], order="id")
    return partners, invoices, int(lines)


def _make_club(env, company, partners):
    program = env["loyalty.program"].create(
        {
            "name": f"Bench club {company.id}",
            "program_type": "loyalty",
            "company_id": company.id,
            "is_club": True,
        }
    )
    if "loyalty.club.tier" in env:
        env["loyalty.club.tier"].create(
            [
                {"name": "Silver", "sequence": 10, "threshold": 0, "program_id": program.id},
                {"name": "Gold", "sequence": 20, "threshold": 100, "program_id": program.id},
            ]
        )
    env.flush_all()
    env.cr.execute(
        """
        INSERT INTO loyalty_card (program_id, company_id, partner_id, code, points, active,
                                  create_uid, write_uid, create_date, write_date)
        SELECT %s, %s, p.id, 'bench-' || %s || '-' || p.id, 0, TRUE, 1, 1, NOW(), NOW()
          FROM res_partner p WHERE p.id = ANY(%s)
        """,
        (program.id, company.id, company.id, partners.ids),
    )
    env.invalidate_all()
    return program


# ----------------------------------------------------------------------
# the baseline: a straightforward per-partner ORM loop
# ----------------------------------------------------------------------


def _orm_loop(env, company, partners):
    Move = env["account.move"].with_company(company)
    Score = env["loyalty.club.score"]
    start = TODAY - relativedelta(months=company.club_window_months)
    results = {}
    for partner in partners:
        moves = Move.search(
            [
                ("commercial_partner_id", "=", partner.id),
                ("company_id", "=", company.id),
                ("state", "=", "posted"),
                ("move_type", "in", ("out_invoice", "out_refund")),
                ("invoice_date", "<=", TODAY),
            ]
        )
        invoices = moves.filtered(lambda m: m.move_type == "out_invoice")
        in_window = moves.filtered(lambda m: m.invoice_date > start)
        window_invoices = in_window.filtered(lambda m: m.move_type == "out_invoice")
        last = max(invoices.mapped("invoice_date"), default=None)
        income = 0.0
        for move in in_window:
            sign = 1 if move.move_type == "out_invoice" else -1
            for line in move.invoice_line_ids:
                cost = line.product_id.with_company(company).standard_price
                income += -line.balance - sign * line.quantity * cost
        lates = []
        for invoice in window_invoices:
            if invoice.payment_state in ("paid", "in_payment"):
                receivable = invoice.line_ids.filtered(
                    lambda line: line.display_type == "payment_term"
                )
                partials = receivable.matched_credit_ids
                if partials:
                    paid = max(partials.mapped("max_date"))
                    lates.append(max(0, (paid - invoice.invoice_date_due).days))
            elif invoice.payment_state in ("not_paid", "partial"):
                lates.append(max(0, (TODAY - invoice.invoice_date_due).days))
        values = {
            "recency_days": (TODAY - last).days if last else 0,
            "frequency": len(window_invoices),
            "monetary": sum(in_window.mapped("amount_untaxed_signed")),
            "income": income,
            "overdue_amount": sum(
                invoices.filtered(lambda m: m.invoice_date_due < TODAY).mapped(
                    "amount_residual_signed"
                )
            ),
            "avg_days_late": sum(lates) / len(lates) if lates else 0.0,
        }
        results[partner.id] = values
        score = Score.search([("partner_id", "=", partner.id), ("company_id", "=", company.id)])
        if score:
            score.write(values)
        else:
            Score.create(dict(values, partner_id=partner.id, company_id=company.id, date=TODAY))
    env.flush_all()
    return results


# ----------------------------------------------------------------------
# measure
# ----------------------------------------------------------------------


def _timed(env, function):
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    profiler = None
    slow = []
    if os.environ.get("BENCH_PROFILE"):
        profiler = cProfile.Profile()
        execute = type(env.cr).execute

        def timed_execute(cursor, query, *args, **kwargs):
            begin = time.perf_counter()
            try:
                return execute(cursor, query, *args, **kwargs)
            finally:
                slow.append((time.perf_counter() - begin, str(query)[:400]))

        patcher = patch.object(type(env.cr), "execute", timed_execute)
        patcher.start()
        profiler.enable()
    started = time.perf_counter()
    result = function()
    env.flush_all()
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()
        patcher.stop()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        for seconds, query in sorted(slow, reverse=True)[:12]:
            print(f"{seconds:8.3f} s  {' '.join(query.split())}")
    return result, elapsed, env.cr.sql_log_count - queries


def _explain_scoring(env, company):
    """The plan of the scoring statement's SELECT part, with its actual times."""
    query = env["loyalty.club.score"]._club_scores_query(company, TODAY)
    env.cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s SELECT COUNT(*) FROM final", query))
    print("\n".join(row[0] for row in env.cr.fetchall()))


def _explain_inserts(env, program):
    """The actual time of a review's inserts per trigger (foreign keys), rolled back."""
    statements = {
        "tier history": """
            INSERT INTO loyalty_club_tier_history
                   (card_id, partner_id, program_id, company_id, tier_before_id, tier_after_id,
                    reason, qualifying_value, review_id, date, create_uid, create_date,
                    write_uid, write_date)
            SELECT c.id, c.partner_id, c.program_id, c.company_id, c.club_tier_id,
                   c.club_tier_id, 'review', 0, h.review_id, %(date)s, 1, NOW(), 1, NOW()
              FROM loyalty_card c
              JOIN loyalty_club_tier_history h ON h.card_id = c.id
             WHERE c.program_id = %(program)s
        """,
        "review lines": """
            INSERT INTO loyalty_club_review_line
                   (review_id, company_id, program_id, date, card_id, partner_id,
                    tier_before_id, tier_after_id, qualifying_value, move, warned,
                    rfm_segment_id, create_uid, create_date, write_uid, write_date)
            SELECT l.review_id, l.company_id, l.program_id, l.date, l.card_id, l.partner_id,
                   l.tier_before_id, l.tier_after_id, 0, l.move, FALSE, l.rfm_segment_id,
                   1, NOW(), 1, NOW()
              FROM loyalty_club_review_line l
             WHERE l.program_id = %(program)s
        """,
    }
    for name, statement in statements.items():
        with env.cr.savepoint(flush=False) as savepoint:
            env.cr.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) {statement}",
                {"date": TODAY, "program": program.id},
            )
            print(f"-- {name}\n" + "\n".join(row[0] for row in env.cr.fetchall()))
            savepoint.rollback()


def _bench_size(env, size):
    company = _make_company(env, size)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    started = time.perf_counter()
    partners, invoices, lines = _build_data(env, company, size)
    program = _make_club(env, company, partners)
    env.cr.commit()
    setup = time.perf_counter() - started
    Score = env["loyalty.club.score"]

    sample = partners[:LOOP_SAMPLE]
    loop_results, loop_seconds, loop_queries = _timed(env, lambda: _orm_loop(env, company, sample))
    count, score_seconds, score_queries = _timed(
        env, lambda: Score._compute_club_scores(companies=company, date=TODAY)
    )
    if os.environ.get("BENCH_PROFILE"):
        _explain_scoring(env, company)
    review_seconds = review_queries = None
    review_lines = 0
    if hasattr(program, "_club_run_review"):
        review, review_seconds, review_queries = _timed(
            env, lambda: program._club_run_review(date=TODAY)
        )
        review_lines = len(review.line_ids)
        if os.environ.get("BENCH_PROFILE"):
            _explain_inserts(env, program)

    stored = {
        score.partner_id.id: score
        for score in Score.search(
            [("company_id", "=", company.id), ("partner_id", "in", sample.ids)]
        )
    }
    mismatches = 0
    for partner_id, values in loop_results.items():
        score = stored.get(partner_id)
        if not score:
            mismatches += bool(values["frequency"] or values["monetary"])
            continue
        for fname, value in values.items():
            if abs((score[fname] or 0) - value) > 0.01:
                mismatches += 1
                break
    loop_total = loop_seconds * size / len(sample)
    env.cr.commit()
    return {
        "size": size,
        "invoices": invoices,
        "lines": lines,
        "setup": setup,
        "scored": count,
        "score_s": score_seconds,
        "score_q": score_queries,
        "review_s": review_seconds,
        "review_q": review_queries,
        "review_lines": review_lines,
        "sample": len(sample),
        "loop_sample_s": loop_seconds,
        "loop_q": loop_queries,
        "loop_s": loop_total,
        "ratio": loop_total / score_seconds if score_seconds else 0.0,
        "mismatches": mismatches,
    }


def _print_table(rows):
    header = (
        f"{'customers':>10} {'invoices':>9} {'inv.lines':>10} {'setup s':>8} "
        f"{'score s':>8} {'score q':>8} {'review s':>9} {'review q':>9} {'members':>8} "
        f"{'score+rev s':>11} {'loop n':>7} {'loop n s':>9} {'loop q':>8} "
        f"{'loop N s*':>10} {'ratio':>7} {'diff':>5}"
    )
    print("\nCustomer club scoring benchmark (scoring day %s)" % TODAY)
    print(header)
    print("-" * len(header))
    for row in rows:
        review_s = row["review_s"]
        total = row["score_s"] + (review_s or 0.0)
        print(
            f"{row['size']:>10} {row['invoices']:>9} {row['lines']:>10} {row['setup']:>8.1f} "
            f"{row['score_s']:>8.2f} {row['score_q']:>8} "
            f"{(f'{review_s:.2f}' if review_s is not None else 'n/a'):>9} "
            f"{(row['review_q'] if row['review_q'] is not None else 'n/a'):>9} "
            f"{row['review_lines']:>8} {total:>11.2f} {row['sample']:>7} "
            f"{row['loop_sample_s']:>9.2f} {row['loop_q']:>8} {row['loop_s']:>10.1f} "
            f"{row['ratio']:>6.1f}x {row['mismatches']:>5}"
        )
    print(
        "\nscore s: set-based SQL scoring of all N customers; review s: a club review of all "
        "N members (re-scores first, then tier moves and review lines with the score "
        "snapshot); q: SQL queries.\n"
        f"loop: straightforward per-partner ORM loop (same raw values, one score row written "
        f"per partner) measured on the first {LOOP_SAMPLE} customers (loop n s); "
        "loop N s* is that time EXTRAPOLATED linearly to N customers; ratio = loop N s* / "
        "score s. diff: sample customers whose loop values differ from the SQL scores."
    )
