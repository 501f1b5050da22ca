import logging

from odoo import _, api, fields, models, modules
from odoo.tools import SQL
from odoo.tools.sql import create_index

from .res_company import CIVILFORMD_CRITERIA, CLUB_SCORING_FIELDS

_logger = logging.getLogger(__name__)

VALUE_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]


class LoyaltyClubScore(models.Model):
    """Customer value scores of one commercial partner in one company.

    Rows are written only by :meth:`_compute_club_scores`, one set-based SQL
    statement for all partners of the given companies (quintiles and min-max
    normalisation need the whole population of a company anyway).
    """

    _name = "loyalty.club.score"
    _inherit = ["loyalty.club.xlsx.mixin"]
    _description = "Customer Value Score"
    _order = "company_id, civilformd_score desc, rfm_score desc, partner_id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(string="Computed On", readonly=True)
    window_start = fields.Date(
        readonly=True, help="Invoices dated after this day and up to the computation day count."
    )
    # RFM
    last_invoice_date = fields.Date(readonly=True)
    recency_days = fields.Integer(
        string="Recency (days)",
        readonly=True,
        help="Days since the last posted customer invoice (any date). Empty when the "
        "customer has refunds only.",
    )
    frequency = fields.Integer(
        readonly=True, help="Posted customer invoices in the window (refunds excluded)."
    )
    monetary = fields.Monetary(
        readonly=True,
        help="Untaxed invoiced minus refunded amount in the window, company currency.",
    )
    r_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    f_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    m_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    rfm_score = fields.Float(string="RFM Score", readonly=True, digits=(3, 2), aggregator="avg")
    segment_id = fields.Many2one("loyalty.club.segment", string="RFM Segment", readonly=True)
    # CIVILFORMD raw values
    referral_count = fields.Integer(string="Referrals", readonly=True)
    income = fields.Monetary(
        string="Margin", readonly=True, help="Invoiced minus refunded margin in the window."
    )
    first_date = fields.Date(
        string="Customer Since", readonly=True, help="First invoice, refund or club membership."
    )
    length_days = fields.Integer(string="Relationship (days)", readonly=True, aggregator="avg")
    overdue_amount = fields.Monetary(readonly=True)
    avg_days_late = fields.Float(string="Average Days Late", readonly=True, aggregator="avg")
    cooperation = fields.Integer(readonly=True, aggregator="avg")
    impression = fields.Integer(readonly=True, aggregator="avg")
    opportunity = fields.Integer(readonly=True, aggregator="avg")
    # CIVILFORMD normalised criteria (0-100)
    civ_cooperation = fields.Float(string="C: Cooperation", readonly=True, aggregator="avg")
    civ_impression = fields.Float(string="I: Impression", readonly=True, aggregator="avg")
    civ_viral = fields.Float(string="V: Viral", readonly=True, aggregator="avg")
    civ_income = fields.Float(string="I: Income", readonly=True, aggregator="avg")
    civ_length = fields.Float(string="L: Length", readonly=True, aggregator="avg")
    civ_frequency = fields.Float(string="F: Frequency", readonly=True, aggregator="avg")
    civ_opportunity = fields.Float(string="O: Opportunity", readonly=True, aggregator="avg")
    civ_recency = fields.Float(string="R: Recency", readonly=True, aggregator="avg")
    civ_money = fields.Float(string="M: Money", readonly=True, aggregator="avg")
    civ_debt = fields.Float(string="D: Debt", readonly=True, aggregator="avg")
    civilformd_score = fields.Float(
        string="CIVILFORMD Score", readonly=True, digits=(5, 2), aggregator="avg"
    )
    value_class = fields.Selection(VALUE_CLASSES, string="Value Class", readonly=True)
    # CLV
    avg_purchase_value = fields.Monetary(readonly=True, aggregator="avg")
    purchases_per_year = fields.Float(readonly=True, digits=(16, 2), aggregator="avg")
    churn_rate = fields.Float(readonly=True, digits=(3, 4), aggregator="avg")
    clv_available = fields.Boolean(
        string="CLV Available",
        readonly=True,
        help="False when the company churn rate is zero or unknown (no customer in the "
        "previous window): the CLV is then shown as n/a.",
    )
    clv = fields.Monetary(string="CLV", readonly=True)
    clv_display = fields.Char(string="Lifetime Value", compute="_compute_clv_display")

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique(partner_id, company_id)",
            "A customer has one score per company.",
        ),
    ]

    def init(self):
        # _club_ensure_scores: is every score of a company dated the review day?
        create_index(
            self.env.cr,
            "loyalty_club_score_company_date_index",
            self._table,
            ["company_id", "date"],
        )

    @api.depends("clv", "clv_available", "currency_id")
    def _compute_clv_display(self):
        for score in self:
            if not score.clv_available:
                score.clv_display = _("n/a")
            else:
                score.clv_display = score.currency_id.format(score.clv)

    def _club_xlsx_fields(self):
        # the stored figures without the computation internals, the CLV as displayed
        internal = {"date", "window_start", "first_date", "clv_available", "clv"}
        return [
            *(fname for fname in self._club_score_columns() if fname not in internal),
            "clv_display",
        ]

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    @api.model
    def action_compute_scores(self):
        """Recompute the scores of the current companies (button, server action)."""
        self.check_access("write")
        self._compute_club_scores(companies=self.env.companies)
        return {"type": "ir.actions.client", "tag": "soft_reload"}

    def action_open_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account.action_move_out_invoice_type"
        )
        action["domain"] = [
            ("commercial_partner_id", "=", self.partner_id.id),
            ("company_id", "=", self.company_id.id),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
        action["context"] = {"default_move_type": "out_invoice"}
        return action

    # ------------------------------------------------------------------
    # Scoring
    # ------------------------------------------------------------------

    @api.model
    def _cron_compute_club_scores(self):
        companies = self.env["res.company"].search([])
        for done, company in enumerate(companies, start=1):
            self._compute_club_scores(companies=company)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(companies) - done)
            if not modules.module.current_test:
                # one company per transaction: a long run keeps what it has done
                self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _club_ensure_scores(self, companies, date):
        """Score the customers of ``companies`` on ``date`` unless they already were.

        A company counts as scored on ``date`` when it has scores and all of them are
        of that day (the nightly scoring, or an earlier batch of the same review):
        they are reused, a review of a large club does not score it again (issue 14).
        Two index lookups per company.

        :return: the companies scored now
        """
        self.flush_model(["company_id", "date"])
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id FROM res_company c
                 WHERE c.id IN %(companies)s
                   AND EXISTS (SELECT FROM loyalty_club_score s
                                WHERE s.company_id = c.id AND s.date = %(date)s)
                   AND NOT EXISTS (SELECT FROM loyalty_club_score s
                                    WHERE s.company_id = c.id
                                      AND (s.date < %(date)s OR s.date > %(date)s
                                           OR s.date IS NULL))
                """,
                companies=tuple(companies.ids) or (0,),
                date=date,
            )
        )
        scored = {company_id for (company_id,) in self.env.cr.fetchall()}
        todo = companies.filtered(lambda company: company.id not in scored)
        for company in todo:
            self._compute_club_scores(companies=company, date=date)
        return todo

    @api.model
    def _compute_club_scores(self, partners=None, companies=None, date=None):
        """Compute and store the scores of every customer of ``companies``.

        One SQL statement scores the whole population of each company (quintiles
        and normalisation are relative to it); ``partners`` only restricts which
        rows are written. Returns the number of rows written.
        """
        companies = companies or self.env["res.company"].search([])
        date = date or fields.Date.context_today(self)
        self._flush_club_sources()
        query = self._club_scores_query(companies, date)
        partner_filter = SQL("TRUE")
        if partners is not None:
            partner_ids = tuple(partners.commercial_partner_id.ids) or (0,)
            partner_filter = SQL("s.partner_id IN %s", partner_ids)
        columns = self._club_score_columns()
        column_sql = SQL(", ").join(SQL.identifier(col) for col in columns)
        update_sql = SQL(", ").join(
            SQL("%s = EXCLUDED.%s", SQL.identifier(col), SQL.identifier(col)) for col in columns
        )
        cleanup = SQL("SELECT 0")
        if partners is None:
            # customers without any posted invoice or refund any more
            cleanup = SQL(
                """DELETE FROM loyalty_club_score old
                    WHERE old.company_id IN %(companies)s
                      AND NOT EXISTS (SELECT FROM upsert WHERE upsert.id = old.id)
                RETURNING old.id""",
                companies=tuple(companies.ids),
            )
        self.env.cr.execute(
            SQL(
                """
                %(query)s,
                upsert AS (
                    INSERT INTO loyalty_club_score (%(columns)s, create_uid, create_date,
                                                    write_uid, write_date)
                    SELECT %(columns)s, %(uid)s, NOW() AT TIME ZONE 'UTC',
                           %(uid)s, NOW() AT TIME ZONE 'UTC'
                      FROM final s
                     WHERE %(partner_filter)s
                    ON CONFLICT (partner_id, company_id) DO UPDATE
                       SET %(update)s, write_uid = EXCLUDED.write_uid,
                           write_date = EXCLUDED.write_date
                    RETURNING id
                ),
                cleanup AS (%(cleanup)s)
                SELECT p.company_id, COALESCE(ch.previous, 0), COALESCE(ch.lost, 0),
                       (SELECT COUNT(*) FROM upsert), (SELECT COUNT(*) FROM cleanup)
                  FROM params p
                  LEFT JOIN churn ch ON ch.company_id = p.company_id
                """,
                query=query,
                columns=column_sql,
                uid=self.env.uid,
                partner_filter=partner_filter,
                update=update_sql,
                cleanup=cleanup,
            )
        )
        rows = self.env.cr.fetchall()
        count = rows[0][3] if rows else 0
        self._club_update_company_churn(
            companies, {company_id: (previous, lost) for company_id, previous, lost, *_ in rows}
        )
        self.invalidate_model()
        _logger.info("Customer club: %s customer scores computed", count)
        return count

    @api.model
    def _flush_club_sources(self):
        for model in (
            "account.move",
            "account.move.line",
            "account.partial.reconcile",
            "res.partner",
            "product.product",
            "loyalty.card",
            "loyalty.program",
            "loyalty.club.segment",
            "res.company",
            "loyalty.club.score",
        ):
            self.env[model].flush_model()

    @api.model
    def _club_score_columns(self):
        return [
            "partner_id",
            "company_id",
            "date",
            "window_start",
            "last_invoice_date",
            "recency_days",
            "frequency",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "rfm_score",
            "segment_id",
            "referral_count",
            "income",
            "first_date",
            "length_days",
            "overdue_amount",
            "avg_days_late",
            "cooperation",
            "impression",
            "opportunity",
            *(f"civ_{key}" for key, _label in CIVILFORMD_CRITERIA),
            "civilformd_score",
            "value_class",
            "avg_purchase_value",
            "purchases_per_year",
            "churn_rate",
            "clv_available",
            "clv",
        ]

    @api.model
    def _club_referrals_sql(self):
        """Referral counts per referrer commercial entity (touch_plan's referred_by_id)."""
        if "referred_by_id" not in self.env["res.partner"]._fields:
            return SQL("SELECT NULL::int AS partner_id, 0 AS referral_count WHERE FALSE")
        return SQL(
            """
            SELECT COALESCE(referrer.commercial_partner_id, referrer.id) AS partner_id,
                   COUNT(DISTINCT COALESCE(referred.commercial_partner_id, referred.id))
                       AS referral_count
              FROM res_partner referred
              JOIN res_partner referrer ON referrer.id = referred.referred_by_id
             WHERE referred.active
             GROUP BY 1
            """
        )

    @api.model
    def _club_scores_query(self, companies, date):
        """The ``WITH`` part of the scoring statement, ending with a ``final`` CTE.

        ``final`` holds one row per (commercial partner, company) with every
        column of :meth:`_club_score_columns`.
        """

        def norm(expr):
            # min-max normalisation to 0-100 within the company; 0 when every
            # customer of the company has the same value
            return SQL(
                """CASE WHEN MAX(%(e)s) OVER w = MIN(%(e)s) OVER w THEN 0.0
                        ELSE 100.0 * (%(e)s - MIN(%(e)s) OVER w)
                             / (MAX(%(e)s) OVER w - MIN(%(e)s) OVER w) END""",
                e=expr,
            )

        weighted = SQL(" + ").join(
            SQL(
                "p.%s / 100.0 * n.%s",
                SQL.identifier(f"club_weight_{key}"),
                SQL.identifier(f"civ_{key}"),
            )
            for key, _label in CIVILFORMD_CRITERIA
        )
        return SQL(
            """
            WITH params AS (
                SELECT c.id AS company_id,
                       %(today)s::date AS today,
                       c.club_window_months AS months,
                       (%(today)s::date - make_interval(months => c.club_window_months))::date
                           AS start,
                       (%(today)s::date - make_interval(months => 2 * c.club_window_months))::date
                           AS prev_start,
                       %(company_columns)s
                  FROM res_company c
                 WHERE c.id IN %(companies)s
            ),
            paid AS (
                -- date an invoice was (last) reconciled: the later date of the matched lines
                SELECT aml.move_id, MAX(apr.max_date) AS paid_date
                  FROM account_partial_reconcile apr
                  JOIN account_move_line aml ON aml.id = apr.debit_move_id
                 WHERE aml.display_type = 'payment_term'
                   AND aml.company_id IN %(companies)s
                 GROUP BY aml.move_id
            ),
            line_totals AS (
                -- revenue and cost (quantity x product cost in the line's company) per entry
                SELECT aml.move_id,
                       SUM(-aml.balance) AS revenue,
                       SUM(aml.quantity
                           * COALESCE((pp.standard_price ->> aml.company_id::text)::numeric, 0))
                           AS cost
                  FROM account_move_line aml
                  LEFT JOIN product_product pp ON pp.id = aml.product_id
                 WHERE aml.display_type = 'product'
                   AND aml.parent_state = 'posted'
                   AND aml.company_id IN %(companies)s
                 GROUP BY aml.move_id
            ),
            moves AS (
                SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id, m.move_type,
                       m.invoice_date, m.invoice_date_due, m.amount_untaxed_signed,
                       m.amount_residual_signed, m.payment_state,
                       m.invoice_date > p.start AS in_window,
                       m.invoice_date > p.prev_start AND m.invoice_date <= p.start AS in_prev,
                       p.today,
                       COALESCE(lt.revenue, 0)
                       - CASE WHEN m.move_type = 'out_invoice' THEN 1 ELSE -1 END
                         * COALESCE(lt.cost, 0) AS margin,
                       CASE WHEN m.move_type <> 'out_invoice' OR m.invoice_date <= p.start
                                THEN NULL
                            -- settled by payments or credit notes: late until the date
                            -- of the last matching, whether a credit note came from the
                            -- reversal wizard ('reversed') or was matched by hand ('paid')
                            WHEN m.payment_state IN ('paid', 'in_payment', 'reversed')
                                 AND paid.paid_date IS NOT NULL
                                THEN GREATEST(0, paid.paid_date - m.invoice_date_due)
                            WHEN m.payment_state IN ('not_paid', 'partial')
                                THEN GREATEST(0, p.today - m.invoice_date_due)
                       END AS days_late
                  FROM account_move m
                  JOIN params p ON p.company_id = m.company_id
                  LEFT JOIN paid ON paid.move_id = m.id
                  LEFT JOIN line_totals lt ON lt.move_id = m.id
                 WHERE m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.invoice_date <= p.today
                   AND m.commercial_partner_id IS NOT NULL
            ),
            membership AS (
                SELECT COALESCE(rp.commercial_partner_id, rp.id) AS partner_id,
                       MIN(card.create_date)::date AS member_since
                  FROM loyalty_card card
                  JOIN loyalty_program lp ON lp.id = card.program_id AND lp.is_club
                  JOIN res_partner rp ON rp.id = card.partner_id
                 GROUP BY 1
            ),
            referrals AS (%(referrals)s),
            agg AS (
                SELECT mv.company_id, mv.partner_id,
                       MIN(mv.today) AS today,
                       MAX(mv.invoice_date) FILTER (WHERE mv.move_type = 'out_invoice')
                           AS last_invoice_date,
                       MIN(mv.invoice_date) AS first_move_date,
                       COUNT(*) FILTER (WHERE mv.move_type = 'out_invoice' AND mv.in_window)
                           AS frequency,
                       COALESCE(SUM(mv.amount_untaxed_signed) FILTER (WHERE mv.in_window), 0)
                           AS monetary,
                       COALESCE(BOOL_OR(mv.move_type = 'out_invoice' AND mv.in_window), FALSE)
                           AS active_now,
                       COALESCE(BOOL_OR(mv.move_type = 'out_invoice' AND mv.in_prev), FALSE)
                           AS active_prev,
                       COALESCE(SUM(mv.amount_residual_signed)
                                FILTER (WHERE mv.move_type = 'out_invoice'
                                          AND mv.invoice_date_due < mv.today), 0)
                           AS overdue_amount,
                       COALESCE(SUM(mv.margin) FILTER (WHERE mv.in_window), 0) AS income,
                       COALESCE(AVG(mv.days_late), 0) AS avg_days_late
                  FROM moves mv
                 GROUP BY mv.company_id, mv.partner_id
            ),
            churn AS (
                -- customers invoiced in the previous window, and those of them lost since
                SELECT company_id,
                       COUNT(*) FILTER (WHERE active_prev) AS previous,
                       COUNT(*) FILTER (WHERE active_prev AND NOT active_now) AS lost,
                       CASE WHEN COUNT(*) FILTER (WHERE active_prev) > 0
                            THEN (COUNT(*) FILTER (WHERE active_prev AND NOT active_now))::numeric
                                 / COUNT(*) FILTER (WHERE active_prev)
                       END AS churn_rate
                  FROM agg
                 GROUP BY company_id
            ),
            raw AS (
                SELECT a.*,
                       p.start AS window_start, p.months,
                       a.today - a.last_invoice_date AS recency_days,
                       COALESCE(r.referral_count, 0) AS referral_count,
                       LEAST(a.first_move_date, ms.member_since) AS first_date,
                       a.today - LEAST(a.first_move_date, ms.member_since) AS length_days,
                       LEAST(GREATEST(COALESCE(rp.club_cooperation, 0), 0), 5) AS cooperation,
                       LEAST(GREATEST(COALESCE(rp.club_impression, 0), 0), 5) AS impression,
                       LEAST(GREATEST(COALESCE(rp.club_opportunity, 0), 0), 5) AS opportunity,
                       ch.churn_rate
                  FROM agg a
                  JOIN params p ON p.company_id = a.company_id
                  JOIN res_partner rp ON rp.id = a.partner_id
                  JOIN churn ch ON ch.company_id = a.company_id
                  LEFT JOIN referrals r ON r.partner_id = a.partner_id
                  LEFT JOIN membership ms ON ms.partner_id = a.partner_id
            ),
            ranked AS (
                SELECT raw.*,
                       -- quintile = the share of the company's customers at or
                       -- below this one, on a 1-5 scale: equal values score
                       -- alike, and a company with fewer than five customers
                       -- still has 5s (NTILE(5) would stop at the head count)
                       CEIL(ROUND((5 * CUME_DIST() OVER (PARTITION BY company_id
                                  ORDER BY last_invoice_date ASC NULLS FIRST))::numeric, 9))::int
                           AS r_score,
                       CEIL(ROUND((5 * CUME_DIST() OVER (PARTITION BY company_id
                                  ORDER BY frequency))::numeric, 9))::int
                           AS f_score,
                       CEIL(ROUND((5 * CUME_DIST() OVER (PARTITION BY company_id
                                  ORDER BY monetary))::numeric, 9))::int
                           AS m_score,
                       cooperation * 20.0 AS civ_cooperation,
                       impression * 20.0 AS civ_impression,
                       %(n_viral)s AS civ_viral,
                       %(n_income)s AS civ_income,
                       %(n_length)s AS civ_length,
                       %(n_frequency)s AS civ_frequency,
                       opportunity * 20.0 AS civ_opportunity,
                       CASE WHEN recency_days IS NULL THEN 0.0
                            ELSE 100.0 - %(n_recency)s END AS civ_recency,
                       %(n_money)s AS civ_money,
                       100.0 - (%(n_overdue)s + %(n_late)s) / 2.0 AS civ_debt
                  FROM raw
                WINDOW w AS (PARTITION BY company_id)
            ),
            final AS (
                SELECT n.partner_id, n.company_id, p.today AS date, n.window_start,
                       n.last_invoice_date, n.recency_days, n.frequency, n.monetary,
                       n.r_score, n.f_score, n.m_score,
                       ROUND((p.club_rfm_weight_recency * n.r_score
                              + p.club_rfm_weight_frequency * n.f_score
                              + p.club_rfm_weight_monetary * n.m_score)::numeric, 4) AS rfm_score,
                       seg.id AS segment_id,
                       n.referral_count, n.income, n.first_date, n.length_days,
                       n.overdue_amount, n.avg_days_late,
                       n.cooperation, n.impression, n.opportunity,
                       n.civ_cooperation, n.civ_impression, n.civ_viral, n.civ_income,
                       n.civ_length, n.civ_frequency, n.civ_opportunity, n.civ_recency,
                       n.civ_money, n.civ_debt,
                       ROUND((%(weighted)s)::numeric, 4) AS civilformd_score,
                       CASE WHEN ROUND((%(weighted)s)::numeric, 4) >= p.club_class_a_min THEN 'A'
                            WHEN ROUND((%(weighted)s)::numeric, 4) >= p.club_class_b_min THEN 'B'
                            ELSE 'C' END AS value_class,
                       CASE WHEN n.frequency > 0 THEN n.monetary / n.frequency ELSE 0 END
                           AS avg_purchase_value,
                       n.frequency * 12.0 / n.months AS purchases_per_year,
                       COALESCE(n.churn_rate, 0) AS churn_rate,
                       COALESCE(n.churn_rate, 0) > 0 AS clv_available,
                       CASE WHEN n.churn_rate > 0 AND n.frequency > 0
                            THEN (n.monetary / n.frequency) * (n.frequency * 12.0 / n.months)
                                 / n.churn_rate
                            ELSE 0 END AS clv
                  FROM ranked n
                  JOIN params p ON p.company_id = n.company_id
                  LEFT JOIN LATERAL (
                      SELECT s.id
                        FROM loyalty_club_segment s
                       WHERE s.active
                         AND (s.company_id IS NULL OR s.company_id = n.company_id)
                         AND n.r_score BETWEEN s.recency_min AND s.recency_max
                         AND n.f_score BETWEEN s.frequency_min AND s.frequency_max
                         AND n.m_score BETWEEN s.monetary_min AND s.monetary_max
                       ORDER BY s.sequence, s.id
                       LIMIT 1
                  ) seg ON TRUE
            )
            """,
            today=date,
            companies=tuple(companies.ids),
            company_columns=SQL(", ").join(
                SQL("c.%s", SQL.identifier(fname))
                for fname in CLUB_SCORING_FIELDS
                if fname != "club_window_months"
            ),
            referrals=self._club_referrals_sql(),
            n_viral=norm(SQL("referral_count")),
            n_income=norm(SQL("income")),
            n_length=norm(SQL("COALESCE(length_days, 0)")),
            n_frequency=norm(SQL("frequency")),
            n_recency=norm(SQL("recency_days")),
            n_money=norm(SQL("monetary")),
            n_overdue=norm(SQL("overdue_amount")),
            n_late=norm(SQL("avg_days_late")),
            weighted=weighted,
        )

    @api.model
    def _club_update_company_churn(self, companies, figures):
        """Store the company churn figures shown in the settings and reports.

        :param figures: ``{company_id: (customers previous window, lost since)}``, as
            counted by the ``churn`` part of the scoring statement
        """
        now = fields.Datetime.now()
        for company in companies.sudo():
            previous, lost = figures.get(company.id, (0, 0))
            company.write(
                {
                    "club_customers_previous": previous,
                    "club_customers_lost": lost,
                    "club_churn_rate": lost / previous if previous else 0.0,
                    "club_churn_available": bool(previous and lost),
                    "club_scores_date": now,
                }
            )
