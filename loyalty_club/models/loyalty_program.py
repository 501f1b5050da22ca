from collections import defaultdict
from datetime import date as date_cls

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare, split_every

WINDOWS = [
    ("rolling_12", "Rolling 12 Months"),
    ("calendar_year", "Calendar Year"),
    ("anniversary", "Membership Anniversary"),
]


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    # members reviewed per batch: the review's memory and queries are bounded by it
    _club_review_batch_size = 5000

    # Club setup
    is_club = fields.Boolean(
        string="Customer Club",
        help="Members of a club program climb tiers, are reviewed periodically "
        "and earn points that expire.",
    )
    club_tier_ids = fields.One2many("loyalty.club.tier", "program_id", string="Tiers")
    club_tier_basis = fields.Selection(
        [("points", "Qualifying Points"), ("spend", "Spend")],
        string="Tier Basis",
        default="points",
        required=True,
        help="What members must reach in the evaluation window to hold a tier: the "
        "points they earned, or the untaxed amount of their confirmed sale orders.",
    )
    club_window = fields.Selection(
        WINDOWS,
        string="Evaluation Window",
        default="rolling_12",
        required=True,
    )
    club_review_interval = fields.Selection(
        [("6", "Every 6 Months"), ("12", "Every 12 Months")],
        string="Review Interval",
        default="12",
        required=True,
    )
    club_next_review_date = fields.Date(
        string="Next Review",
        help="The review cron reviews every member of the club on this date.",
    )
    club_downgrade_policy = fields.Selection(
        [
            ("never", "Never Downgrade"),
            ("one_step", "One Tier at a Time"),
            ("recompute", "Recompute From Scratch"),
        ],
        string="Downgrade Policy",
        default="one_step",
        required=True,
    )
    club_grace_days = fields.Integer(
        string="Grace Days",
        default=30,
        help="A member who no longer qualifies is warned by mail and keeps the tier "
        "for this many days before being downgraded at a later review.",
    )
    club_points_validity_months = fields.Integer(
        string="Points Validity (Months)",
        default=12,
        help="Each batch of issued points expires this many months after it was "
        "issued. 0 means points never expire.",
    )
    club_expiry_notice_days = fields.Integer(
        string="Expiry Notice (Days)",
        default=30,
        help="Members are mailed this many days before their points expire.",
    )
    club_member_count = fields.Integer(compute="_compute_club_member_count")
    club_review_ids = fields.One2many("loyalty.club.review", "program_id", string="Reviews")

    _sql_constraints = [
        (
            "club_grace_days_positive",
            "CHECK(club_grace_days >= 0)",
            "The grace days of a club cannot be negative.",
        ),
        (
            "club_points_validity_positive",
            "CHECK(club_points_validity_months >= 0)",
            "The points validity of a club cannot be negative.",
        ),
    ]

    def _compute_club_member_count(self):
        counts = dict(
            self.env["loyalty.card"]._read_group(
                [("program_id", "in", self.ids), ("partner_id", "!=", False)],
                ["program_id"],
                ["__count"],
            )
        )
        for program in self:
            program.club_member_count = counts.get(program, 0)

    @api.constrains("is_club", "program_type")
    def _check_club_program_type(self):
        for program in self:
            if program.is_club and program.program_type != "loyalty":
                raise ValidationError(
                    _("Only loyalty card programs can be run as a customer club.")
                )

    # ------------------------------------------------------------------
    # Templates: "Customer Club" in the program creation screen
    # ------------------------------------------------------------------
    @api.model
    def get_program_templates(self):
        res = super().get_program_templates()
        if self.env.context.get("menu_type") != "gift_ewallet":
            res["club"] = {
                "title": _("Customer Club"),
                "description": _("Tiers, periodic reviews and points that expire"),
                "icon": "loyalty_cards",
            }
        return res

    @api.model
    def _get_template_values(self):
        res = super()._get_template_values()
        res["club"] = {
            **res["loyalty"],
            "name": _("Customer Club"),
            "is_club": True,
            "club_next_review_date": fields.Date.today() + relativedelta(months=12),
            "club_tier_ids": [
                fields.Command.create(
                    {"name": _("Silver"), "sequence": 10, "threshold": 0, "color": 0}
                ),
                fields.Command.create(
                    {
                        "name": _("Gold"),
                        "sequence": 20,
                        "threshold": 500,
                        "multiplier": 1.25,
                        "color": 3,
                    }
                ),
                fields.Command.create(
                    {
                        "name": _("Platinum"),
                        "sequence": 30,
                        "threshold": 2000,
                        "multiplier": 1.5,
                        "color": 10,
                    }
                ),
            ],
        }
        return res

    def write(self, vals):
        new_clubs = self.filtered(lambda p: not p.is_club) if vals.get("is_club") else self.browse()
        res = super().write(vals)
        if new_clubs:
            new_clubs._club_open_ledger()
        return res

    def _club_open_ledger(self):
        """A program becoming a club: open one batch per card holding the points it
        already has (the line also squares the ledger with the balance) and put
        members in the base tier."""
        today = fields.Date.context_today(self)
        cards = self.env["loyalty.card"].search(
            [("program_id", "in", self.ids), ("points", ">", 0)]
        )
        net_by_card = {
            card: issued - used
            for card, issued, used in self.env["loyalty.history"]._read_group(
                [("card_id", "in", cards.ids)], ["card_id"], ["issued:sum", "used:sum"]
            )
        }
        description = self.env._("Opening balance")
        vals_list = []
        for card in cards:
            months = card.program_id.club_points_validity_months
            net = net_by_card.get(card, 0.0)
            # one batch holding the balance; its used points square the older lines
            vals_list.append(
                {
                    "card_id": card.id,
                    "description": description,
                    "issued": card.points + max(-net, 0.0),
                    "used": max(net, 0.0),
                    "move_type": "adjust",
                    "expiry_date": months and today + relativedelta(months=months),
                }
            )
        History = self.env["loyalty.history"].sudo().with_context(loyalty_club_no_ledger=True)
        lines = History.create(vals_list)
        History._club_set_remaining({line.id: line.card_id.points for line in lines})
        for program in self:
            tiers = program._club_sorted_tiers()
            members = self.env["loyalty.card"].search(
                [
                    ("program_id", "=", program.id),
                    ("partner_id", "!=", False),
                    ("club_tier_id", "=", False),
                ]
            )
            if tiers and tiers[0][1] <= 0:
                members._club_set_tier(tiers[0][0], reason="manual", note=description)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_club_open_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_club.loyalty_card_action_club"
        )
        action["domain"] = [("program_id", "=", self.id)]
        action["context"] = {"default_program_id": self.id, "search_default_group_tier": 1}
        return action

    def action_club_run_review(self):
        self.ensure_one()
        if not self.is_club:
            raise UserError(_("Program %(name)s is not a customer club.", name=self.name))
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise UserError(_("Only sales managers can run a club review."))
        review = self.sudo()._club_run_review()
        return {
            "type": "ir.actions.act_window",
            "res_model": "loyalty.club.review",
            "res_id": review.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------
    # Tier evaluation
    # ------------------------------------------------------------------
    def _club_sorted_tiers(self, thresholds=None):
        """Tiers of the club from lowest to highest, with their (maybe proposed) threshold.

        :param thresholds: optional ``{tier_id: value}`` overriding saved thresholds
        :return: list of ``(tier, threshold)``
        """
        self.ensure_one()
        thresholds = thresholds or {}
        tiers = self.club_tier_ids.sorted(lambda t: (t.sequence, t.threshold, t.id))
        return [(tier, thresholds.get(tier.id, tier.threshold)) for tier in tiers]

    def _club_window_start(self, card_since, on_date):
        """First day of the evaluation window ending on ``on_date``."""
        self.ensure_one()
        if self.club_window == "calendar_year":
            return date_cls(on_date.year, 1, 1)
        if self.club_window == "anniversary" and card_since:
            years = relativedelta(on_date, card_since).years
            return card_since + relativedelta(years=years)
        return on_date - relativedelta(months=12)

    def _club_qualifying_values(self, cards, on_date):
        """Qualifying value of each card in its evaluation window, in one query.

        :return: ``{card_id: float}``
        """
        self.ensure_one()
        if not cards:
            return {}
        starts = defaultdict(list)
        if self.club_window == "anniversary":
            cards.fetch(["club_member_since", "create_date"])
            for card in cards:
                since = card.club_member_since or (card.create_date and card.create_date.date())
                starts[self._club_window_start(since, on_date)].append(card.id)
        else:
            starts[self._club_window_start(False, on_date)] = cards.ids
        values = dict.fromkeys(cards.ids, 0.0)
        end = fields.Datetime.to_datetime(on_date) + relativedelta(days=1)
        if self.club_tier_basis == "spend":
            self.env["sale.order"].flush_model(
                ["partner_id", "state", "date_order", "amount_untaxed", "currency_id", "company_id"]
            )
            self.env["res.currency.rate"].flush_model()
        else:
            self.env["loyalty.history"].flush_model()
        # one query per distinct window start (one for rolling and calendar windows)
        for start, card_ids in starts.items():
            start_dt = fields.Datetime.to_datetime(start)
            if self.club_tier_basis == "spend":
                query = self._club_spend_query(card_ids, start_dt, end)
            else:
                query = SQL(
                    """
                    SELECT h.card_id,
                           SUM(CASE WHEN h.move_type = 'issue' THEN h.issued
                                    WHEN h.move_type = 'reversal' THEN -h.used
                                    ELSE 0 END)
                      FROM loyalty_history h
                     WHERE h.card_id = ANY(%(ids)s)
                       AND h.create_date >= %(start)s AND h.create_date < %(end)s
                     GROUP BY h.card_id
                    """,
                    start=start_dt,
                    end=end,
                    ids=card_ids,
                )
            self.env.cr.execute(query)
            values.update(
                {card_id: max(value or 0.0, 0.0) for card_id, value in self.env.cr.fetchall()}
            )
        return values

    @api.model
    def _club_rate_sql(self, currency, date):
        """SQL of the rate of ``currency`` on ``date`` for the company ``root`` of
        the query it is used in, as ``res.currency._get_rates`` finds it: the last
        rate on or before the date (the root company's, else a shared one), else
        the oldest, else 1.

        :param currency: ``SQL`` of a currency id
        :param date: ``SQL`` of a date or datetime
        """
        return SQL(
            """COALESCE(
                 (SELECT r.rate FROM res_currency_rate r
                   WHERE r.currency_id = %(currency)s AND r.name <= (%(date)s)::date
                     AND (r.company_id IS NULL OR r.company_id = root.id)
                   ORDER BY r.company_id, r.name DESC LIMIT 1),
                 (SELECT r.rate FROM res_currency_rate r
                   WHERE r.currency_id = %(currency)s
                     AND (r.company_id IS NULL OR r.company_id = root.id)
                   ORDER BY r.company_id, r.name ASC LIMIT 1),
                 1.0)""",
            currency=currency,
            date=date,
        )

    def _club_spend_query(self, card_ids, start, end):
        """Untaxed amount of the members' confirmed orders in the window, in the club's
        currency: each order converted at its date with the rates of its company
        (as ``res.currency._get_rates``: the root company's rate, else a shared one,
        else the oldest, else 1). A club of one company counts that company's orders.
        """
        self.ensure_one()
        currency = self.currency_id or self.env.company.currency_id
        company_filter = (
            SQL("AND so.company_id = %s", self.company_id.id) if self.company_id else SQL()
        )
        return SQL(
            """
            SELECT card.id,
                   COALESCE(SUM(so.amount_untaxed * %(to_rate)s / NULLIF(%(from_rate)s, 0)), 0)
              FROM loyalty_card card
              JOIN res_partner p ON p.id = card.partner_id
              JOIN res_partner sp ON sp.commercial_partner_id = p.commercial_partner_id
              JOIN sale_order so
                ON so.partner_id = sp.id
               AND so.state = 'sale'
               AND so.date_order >= %(start)s AND so.date_order < %(end)s
               %(company_filter)s
              JOIN res_company co ON co.id = so.company_id
              JOIN res_company root
                ON root.id = split_part(co.parent_path, '/', 1)::int
             WHERE card.id = ANY(%(ids)s)
             GROUP BY card.id
            """,
            to_rate=self._club_rate_sql(SQL("%s", currency.id), SQL("so.date_order")),
            from_rate=self._club_rate_sql(SQL("so.currency_id"), SQL("so.date_order")),
            company_filter=company_filter,
            start=start,
            end=end,
            ids=card_ids,
        )

    def _club_members(self):
        self.ensure_one()
        return self.env["loyalty.card"].search(
            [("program_id", "=", self.id), ("partner_id", "!=", False), ("active", "=", True)]
        )

    def _club_compute_tier_moves(self, thresholds=None, date=None, cards=None):
        """Where each member of the club would land, without writing anything.

        :param thresholds: optional ``{tier_id: value}`` to preview proposed thresholds
        :param date: review date (today by default)
        :param cards: restrict to these member cards (all members by default)
        :return: ``{card_id: {'before': tier_id, 'after': tier_id, 'qualifying': float}}``
        """
        self.ensure_one()
        on_date = date or fields.Date.context_today(self)
        cards = cards if cards is not None else self._club_members()
        tiers = [(tier.id, threshold) for tier, threshold in self._club_sorted_tiers(thresholds)]
        qualifying = self._club_qualifying_values(cards, on_date)
        before = cards._club_read_columns("club_tier_id")
        moves = {}
        for card_id in cards.ids:
            value = qualifying.get(card_id, 0.0)
            after = False
            for tier_id, threshold in tiers:
                if value >= threshold:
                    after = tier_id
            moves[card_id] = {
                "before": before[card_id] or False,
                "after": after,
                "qualifying": value,
            }
        return moves

    def _club_tier_rank(self):
        self.ensure_one()
        return {tier.id: rank for rank, (tier, _thr) in enumerate(self._club_sorted_tiers())}

    def _club_apply_policy(self, moves, on_date):
        """Turn raw moves into decisions, with the downgrade policy and grace period.

        :return: ``{card_id: {..move, 'final': tier_id, 'move': 'up'|'down'|'same',
                   'warn': bool, 'due': date or False}}``
        """
        self.ensure_one()
        rank = self._club_tier_rank()
        ordered = [tier.id for tier, _thr in self._club_sorted_tiers()]
        due_dates = {
            card_id: due or False
            for card_id, due in self.env["loyalty.card"]
            .browse(list(moves))
            ._club_read_columns("club_downgrade_date")
            .items()
        }
        decisions = {}
        for card_id, move in moves.items():
            before, after = move["before"], move["after"]
            rank_before = rank.get(before, -1)
            rank_after = rank.get(after, -1)
            decision = dict(move, final=before, move="same", warn=False, due=due_dates[card_id])
            if rank_after > rank_before:
                decision.update(final=after, move="up", due=False)
            elif rank_after == rank_before:
                decision["due"] = False
            elif self.club_downgrade_policy != "never":
                due = due_dates[card_id]
                if self.club_grace_days and not due:
                    decision.update(
                        warn=True, due=on_date + relativedelta(days=self.club_grace_days)
                    )
                elif not due or due <= on_date:
                    target = after
                    if self.club_downgrade_policy == "one_step":
                        target = ordered[rank_before - 1] if rank_before > 0 else False
                        if rank.get(target, -1) < rank_after:
                            target = after
                    decision.update(final=target, move="down", due=False)
            decisions[card_id] = decision
        return decisions

    def _club_decide_tier_moves(self, thresholds=None, date=None, cards=None):
        """The review's decision for every member, without writing anything.

        One code path for the review and its preview: qualifying values under the
        (maybe proposed) thresholds, then the downgrade policy, grace days and
        warnings of the club.

        :param cards: restrict to these member cards (all members by default)
        :return: see :meth:`_club_apply_policy`
        """
        self.ensure_one()
        on_date = date or fields.Date.context_today(self)
        moves = self._club_compute_tier_moves(thresholds=thresholds, date=on_date, cards=cards)
        return self._club_apply_policy(moves, on_date)

    def _club_check_thresholds(self, thresholds):
        """Validate a whole set of thresholds of the club's tiers at once.

        :param thresholds: ``{tier_id: value}``, missing tiers keep their threshold
        :raise ValidationError: a negative threshold, or thresholds out of order
        """
        self.ensure_one()
        tiers = self.club_tier_ids.sorted(lambda t: (t.sequence, t.id))
        values = [(tier, thresholds.get(tier.id, tier.threshold)) for tier in tiers]
        for tier, value in values:
            if value < 0:
                raise ValidationError(
                    _("The threshold of tier %(tier)s cannot be negative.", tier=tier.name)
                )
        for (lower, low), (higher, high) in zip(values, values[1:], strict=False):
            if high <= low:
                raise ValidationError(
                    _(
                        "Tier thresholds must rise with the tier order: %(higher)s "
                        "(%(higher_threshold)s) comes after %(lower)s "
                        "(%(lower_threshold)s) and needs a higher threshold.",
                        higher=higher.name,
                        higher_threshold=high,
                        lower=lower.name,
                        lower_threshold=low,
                    )
                )

    def _club_set_thresholds(self, thresholds):
        """Write a new set of thresholds, validated as a whole first.

        Lowered thresholds are written from the lowest tier up, raised ones from the
        highest tier down: every step is then a valid set, so the per-tier constraint
        holds all along (raising Gold above the current Platinum works when Platinum
        rises too).
        """
        self.ensure_one()
        self._club_check_thresholds(thresholds)
        tiers = self.club_tier_ids.sorted(lambda t: (t.sequence, t.id))
        changes = [
            (tier, thresholds[tier.id])
            for tier in tiers
            if tier.id in thresholds
            and float_compare(thresholds[tier.id], tier.threshold, precision_digits=2)
        ]
        lowered = [(tier, value) for tier, value in changes if value < tier.threshold]
        raised = [(tier, value) for tier, value in reversed(changes) if value > tier.threshold]
        for tier, value in lowered + raised:
            tier.write({"threshold": value})

    def _club_run_review(self, date=None, batch_size=None):
        """Review every member of the club: apply tier moves, write history and a review.

        Set-based, no query or write per member: the members are reviewed in batches of
        ``batch_size`` (:attr:`_club_review_batch_size` by default), each with one
        qualifying query, one insert for its review lines (then their score snapshot),
        one write per target tier with one insert for its tier history and one batched
        mail per template. Every batch is flushed and the caches dropped before the
        next one, so the memory used does not grow with the club (issue 14).
        """
        self.ensure_one()
        on_date = date or fields.Date.context_today(self)
        batch_size = batch_size or self._club_review_batch_size
        next_review = on_date + relativedelta(months=int(self.club_review_interval))
        Review = self.env["loyalty.club.review"]
        review = Review.create({"program_id": self.id, "date": on_date, "state": "done"})
        for card_ids in split_every(batch_size, self._club_members().ids):
            self._club_review_batch(review, self.env["loyalty.card"].browse(card_ids))
            self.env.flush_all()
            self.env.invalidate_all()
        self.club_next_review_date = next_review
        return review

    def _club_review_batch(self, review, cards):
        """Decide and apply the tier moves of ``cards`` in ``review``."""
        self.ensure_one()
        decisions = self._club_decide_tier_moves(date=review.date, cards=cards)
        review._club_insert_lines(review._prepare_review_lines_values(cards, decisions))
        self.env["loyalty.card"]._club_apply_decisions(
            decisions,
            reason_up="review",
            reason_down="downgrade",
            next_review=review.date + relativedelta(months=int(self.club_review_interval)),
            review=review,
        )

    @api.model
    def _cron_club_review(self, batch_size=50):
        """Review every club whose review date has come."""
        programs = self.search(
            [
                ("is_club", "=", True),
                ("club_next_review_date", "<=", fields.Date.context_today(self)),
            ]
        )
        for done, program in enumerate(programs, start=1):
            program._club_run_review()
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(programs) - done)
            self.env["loyalty.card"]._club_commit_if_cron()
