from collections import defaultdict

import psycopg2.errors
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models, modules
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero, split_every

DEFAULT_TEMPLATES = {
    "club_upgrade": "loyalty_club.mail_template_club_upgrade",
    "club_downgrade": "loyalty_club.mail_template_club_downgrade",
    "club_downgrade_warning": "loyalty_club.mail_template_club_downgrade_warning",
    "club_points_expiring": "loyalty_club.mail_template_club_points_expiring",
}


class LoyaltyCard(models.Model):
    _inherit = "loyalty.card"

    # Membership
    is_club = fields.Boolean(related="program_id.is_club", store=True, string="Club Card")
    club_tier_id = fields.Many2one(
        "loyalty.club.tier",
        string="Tier",
        index="btree_not_null",
        domain="[('program_id', '=', program_id)]",
        group_expand="_read_group_club_tier_id",
    )
    club_tier_color = fields.Integer(related="club_tier_id.color", string="Tier Colour")
    club_tier_since = fields.Date(string="Tier Since")
    club_member_since = fields.Date(string="Member Since", default=fields.Date.context_today)
    club_next_review_date = fields.Date(string="Next Review")
    club_downgrade_date = fields.Date(
        string="Downgrade Due",
        help="The member was warned: at the first review after this date, the "
        "member is downgraded unless qualifying again.",
    )
    club_previous_pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Pricelist Before the Club",
        help="The member's own pricelist, given back when the tier has none.",
    )
    club_qualifying_value = fields.Float(
        string="Qualifying", help="Qualifying points or spend at the last evaluation."
    )
    club_tier_history_ids = fields.One2many(
        "loyalty.club.tier.history", "card_id", string="Tier History"
    )
    club_next_tier_id = fields.Many2one(
        "loyalty.club.tier", string="Next Tier", compute="_compute_club_progress"
    )
    club_progress = fields.Float(string="Progress to Next Tier", compute="_compute_club_progress")
    club_points_expiring = fields.Float(
        string="Points Expiring Soon", compute="_compute_club_points_expiring"
    )
    club_points_expiring_date = fields.Date(
        string="Next Expiry", compute="_compute_club_points_expiring"
    )

    # ------------------------------------------------------------------
    # Computes
    # ------------------------------------------------------------------
    @api.depends("club_tier_id", "club_qualifying_value", "program_id.club_tier_ids.threshold")
    def _compute_club_progress(self):
        for card in self:
            card.club_next_tier_id = False
            card.club_progress = 0.0
            if not card.is_club:
                continue
            tiers = card.program_id._club_sorted_tiers()
            rank = {tier: i for i, (tier, _thr) in enumerate(tiers)}
            index = rank.get(card.club_tier_id, -1) + 1
            if index >= len(tiers):
                card.club_progress = 100.0
                continue
            next_tier, threshold = tiers[index]
            card.club_next_tier_id = next_tier
            card.club_progress = (
                min(100.0, 100.0 * card.club_qualifying_value / threshold) if threshold else 100.0
            )

    def _compute_club_points_expiring(self):
        today = fields.Date.context_today(self)
        rows = self.env["loyalty.history"]._read_group(
            [
                ("card_id", "in", self.ids),
                ("remaining_points", ">", 0),
                ("expiry_date", "!=", False),
            ],
            ["card_id", "expiry_date:day"],
            ["remaining_points:sum"],
        )
        soonest = {}
        for card, expiry, remaining in rows:
            expiry = fields.Date.to_date(expiry)
            if expiry > today + relativedelta(days=card.program_id.club_expiry_notice_days):
                continue
            first, total = soonest.get(card, (expiry, 0.0))
            soonest[card] = (min(first, expiry), total + remaining)
        for card in self:
            card.club_points_expiring_date, card.club_points_expiring = soonest.get(
                card, (False, 0.0)
            )

    @api.model
    def _read_group_club_tier_id(self, tiers, domain):
        program_id = self.env.context.get("default_program_id")
        if program_id:
            return self.env["loyalty.club.tier"].search([("program_id", "=", program_id)])
        return tiers

    # ------------------------------------------------------------------
    # Views: only club managers drag members between tiers
    # ------------------------------------------------------------------
    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return (*key, self.env.user.has_group("sales_team.group_sale_manager"))

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if (
            view_type == "kanban"
            and arch.get("default_group_by") == "club_tier_id"
            and not self.env.user.has_group("sales_team.group_sale_manager")
        ):
            arch.set("records_draggable", "false")
        return arch, view

    # ------------------------------------------------------------------
    # Constraints and CRUD
    # ------------------------------------------------------------------
    @api.constrains("points")
    def _check_club_points(self):
        for card in self:
            if card.is_club and float_compare(card.points, 0, precision_digits=2) < 0:
                raise ValidationError(
                    _(
                        "The balance of club card %(card)s cannot go below zero.",
                        card=card.code,
                    )
                )

    @api.constrains("club_tier_id", "program_id")
    def _check_club_tier_program(self):
        for card in self:
            if card.club_tier_id and card.club_tier_id.program_id != card.program_id:
                raise ValidationError(
                    _(
                        "Tier %(tier)s does not belong to the club of card %(card)s.",
                        tier=card.club_tier_id.name,
                        card=card.code,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        cards = super().create(vals_list)
        members = cards.filtered(lambda c: c.is_club and c.partner_id and not c.club_tier_id)
        by_program = defaultdict(lambda: self.browse())
        for card in members:
            by_program[card.program_id] |= card
        for program, program_cards in by_program.items():
            tiers = program._club_sorted_tiers()
            if tiers and tiers[0][1] <= 0:
                program_cards._club_set_tier(
                    tiers[0][0], reason="upgrade", note=_("Joined the club")
                )
            program_cards.write({"club_next_review_date": program.club_next_review_date})
        return cards

    def write(self, vals):
        if "club_tier_id" in vals and not self.env.context.get("loyalty_club_tier_write"):
            club_cards = self.filtered("is_club")
            club_cards._club_check_tier_rights()
            tier = self.env["loyalty.club.tier"].browse(vals.pop("club_tier_id"))
            res = super().write(vals) if vals else True
            (self - club_cards).with_context(loyalty_club_tier_write=True).write(
                {"club_tier_id": tier.id}
            )
            club_cards.filtered(lambda c: c.club_tier_id != tier).sudo()._club_set_tier(
                tier, reason="manual", note=_("Set by %(user)s", user=self.env.user.name)
            )
            return res
        if "points" in vals:
            self._club_check_ledger(vals["points"])
        return super().write(vals)

    def _club_check_tier_rights(self):
        """Tiers follow the club's rules; only a club manager sets one by hand."""
        if (
            self
            and not self.env.su
            and not self.env.user.has_group("sales_team.group_sale_manager")
        ):
            raise AccessError(
                _(
                    "Only club managers can change a member's tier by hand: tiers "
                    "otherwise follow the club's rules (thresholds and reviews)."
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------
    def action_club_print_card(self):
        return self.env.ref("loyalty_club.report_loyalty_club_card").report_action(self)

    def action_club_view_ledger(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Points Ledger"),
            "res_model": "loyalty.history",
            "view_mode": "list",
            "views": [(self.env.ref("loyalty_club.loyalty_history_view_list_club").id, "list")],
            "domain": [("card_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Tiers
    # ------------------------------------------------------------------
    # card fields written by the tier moves below with raw SQL (see _club_set_tier)
    _club_tier_move_fields = (
        "club_tier_id",
        "club_tier_since",
        "club_downgrade_date",
        "club_qualifying_value",
        "club_next_review_date",
        "write_uid",
        "write_date",
    )

    def _club_set_tier(self, tier, reason, note=False, review=None):
        """Put all cards in ``tier`` and log the change: two statements for all of them.

        Privileged helper of the club's operations (joining, thresholds, reviews, a
        club manager's change): callers check the user's rights, this writes as
        superuser, including the members' pricelists.

        Raw SQL (issue 14: a review moves up to every member of a club of 100,000,
        and ``write()`` plus a bulk insert cost seconds per 5,000 cards). What the ORM
        would do is done here: the tier must be of the cards' club (the constraint
        ``_check_club_tier_program``, checked by one query first), the history rows
        are inserted from the cards themselves (tier before, qualifying value,
        member, club and company as they are stored on the card), the cards' write
        date is set, the caches are invalidated and the dependent fields marked.
        None of the written fields is tracked.
        """
        if not self:
            return
        cards = self.sudo()
        today = review.date if review else fields.Date.context_today(self)
        cards.flush_recordset()
        card_ids = cards.ids
        if tier:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT c.code FROM loyalty_card c
                     WHERE c.id = ANY(%(ids)s) AND c.program_id IS DISTINCT FROM %(program)s
                     LIMIT 1
                    """,
                    ids=card_ids,
                    program=tier.program_id.id,
                )
            )
            wrong = self.env.cr.fetchone()
            if wrong:
                raise ValidationError(
                    _(
                        "Tier %(tier)s does not belong to the club of card %(card)s.",
                        tier=tier.name,
                        card=wrong[0],
                    )
                )
        now = self.env.cr.now()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO loyalty_club_tier_history
                       (card_id, partner_id, program_id, company_id, tier_before_id,
                        tier_after_id, reason, note, qualifying_value, review_id, date,
                        create_uid, create_date, write_uid, write_date)
                SELECT c.id, c.partner_id, c.program_id, c.company_id, c.club_tier_id,
                       %(tier)s, %(reason)s, %(note)s, c.club_qualifying_value, %(review)s,
                       %(date)s, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM loyalty_card c
                 WHERE c.id = ANY(%(ids)s)
                 ORDER BY c.id;
                UPDATE loyalty_card
                   SET club_tier_id = %(tier)s, club_tier_since = %(date)s,
                       club_downgrade_date = NULL, write_uid = %(uid)s, write_date = %(now)s
                 WHERE id = ANY(%(ids)s)
                """,
                ids=card_ids,
                tier=tier.id or None,
                reason=reason,
                note=note or None,
                review=review.id if review else None,
                date=today,
                uid=self.env.uid,
                now=now,
            )
        )
        cards._club_mark_tier_moved(with_history=True)
        cards._club_apply_pricelist()

    def _club_read_columns(self, fname):
        """``{card_id: stored value}`` of the plain column ``fname`` of the cards, in one
        query without building records: what a review reads for every member (raw SQL,
        issue 14: reading the field through records costs seconds at 100,000)."""
        if not self:
            return {}
        self.flush_model([fname])
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM loyalty_card WHERE id = ANY(%s)",
                SQL.identifier(fname),
                self.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _club_mark_tier_moved(self, with_history=False):
        """What ``write()``/``create()`` do after the raw SQL of the tier moves: drop the
        cached values of the cards and mark what depends on them (and on their tier
        history) to be recomputed."""
        fnames = list(self._club_tier_move_fields)
        if with_history:
            # the new history rows are in the one2many fields of their parents
            fnames.append("club_tier_history_ids")
            History = self.env["loyalty.club.tier.history"]
            for field in History._fields.values():
                if field.type == "many2one" and field.store and field.name != "card_id":
                    for inverse in self.pool.field_inverses[field]:
                        self.env[inverse.model_name].invalidate_model([inverse.name])
        self.invalidate_recordset(fnames)
        self.modified(fnames)

    def _club_apply_pricelist(self):
        """Give members the pricelist of their tier, both ways.

        A tier with a pricelist sets it (remembering the member's own pricelist); a
        tier without one gives the member back the pricelist they had before the
        club set one (a downgrade from Gold removes the Gold pricelist). One write per
        company and pricelist.
        """
        groups = defaultdict(list)  # {(company, pricelist): partner ids}
        previous = defaultdict(list)  # {pricelist: card ids}
        # only clubs with a pricelist on a tier touch pricelists: the members of the
        # others are skipped without reading their partners (a review of 100,000)
        programs = self.program_id.filtered(lambda p: p.club_tier_ids.pricelist_id)
        if not programs:
            return
        cards = self.filtered(lambda c: c.partner_id and c.program_id in programs)
        for company, company_cards in cards.grouped(
            lambda c: c.company_id or self.env.company
        ).items():
            company_cards.partner_id.with_company(company).fetch(
                ["specific_property_product_pricelist"]
            )
        for card in cards:
            company = card.company_id or self.env.company
            partner = card.partner_id.with_company(company)
            current = partner.specific_property_product_pricelist
            club_pricelists = card.program_id.club_tier_ids.pricelist_id
            target = card.club_tier_id.pricelist_id
            if target:
                if current not in club_pricelists:
                    previous[current].append(card.id)
            elif current and current in club_pricelists:
                target = card.club_previous_pricelist_id
            else:
                continue
            if target != current:
                groups[(company, target)].append(partner.id)
        for pricelist, card_ids in previous.items():
            self.browse(card_ids).with_context(loyalty_club_tier_write=True).write(
                {"club_previous_pricelist_id": pricelist.id}
            )
        for (company, pricelist), partner_ids in groups.items():
            self.env["res.partner"].browse(partner_ids).with_company(company).write(
                {"specific_property_product_pricelist": pricelist.id}
            )

    def _club_apply_decisions(
        self, decisions, reason_up, reason_down, next_review=None, review=None
    ):
        """Write decided tier moves: cards, tier history, warnings and mails.

        One statement stores every card's qualifying value, downgrade date (set by a
        warning, kept or cleared) and next review date, then
        :meth:`_club_set_tier` moves the cards of each target tier (two statements
        per tier and direction): a constant number of queries per batch of members.
        Raw SQL for the same reason and with the same care as :meth:`_club_set_tier`.

        :param decisions: ``{card_id: {'before', 'final', 'move', 'warn', 'due', 'qualifying'}}``
        """
        if not decisions:
            return
        cards = self.browse(list(decisions))
        cards.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE loyalty_card c
                   SET club_qualifying_value = d.qualifying,
                       club_downgrade_date = d.due,
                       club_next_review_date = COALESCE(%(next_review)s::date,
                                                        c.club_next_review_date),
                       write_uid = CASE WHEN %(touch)s
                                         OR c.club_downgrade_date IS DISTINCT FROM d.due
                                        THEN %(uid)s ELSE c.write_uid END,
                       write_date = CASE WHEN %(touch)s
                                          OR c.club_downgrade_date IS DISTINCT FROM d.due
                                         THEN %(now)s ELSE c.write_date END
                  FROM unnest(%(ids)s::int[], %(qualifying)s::float8[], %(due)s::date[])
                       AS d(id, qualifying, due)
                 WHERE c.id = d.id
                """,
                ids=list(decisions),
                qualifying=[d["qualifying"] for d in decisions.values()],
                # a move clears the downgrade date (its decision has none)
                due=[d["due"] or None for d in decisions.values()],
                next_review=next_review or None,
                touch=bool(next_review),
                uid=self.env.uid,
                now=self.env.cr.now(),
            )
        )
        cards._club_mark_tier_moved()
        moved = defaultdict(list)  # {(tier id, move): card ids}
        for card_id, decision in decisions.items():
            if decision["move"] in ("up", "down"):
                moved[(decision["final"], decision["move"])].append(card_id)
        for (tier_id, move), card_ids in moved.items():
            self.browse(card_ids)._club_set_tier(
                self.env["loyalty.club.tier"].browse(tier_id),
                reason=reason_up if move == "up" else reason_down,
                review=review,
            )
        ups = self.browse([cid for cid, d in decisions.items() if d["move"] == "up"])
        downs = self.browse([cid for cid, d in decisions.items() if d["move"] == "down"])
        warned = self.browse([cid for cid, d in decisions.items() if d.get("warn")])
        ups._club_send_mail("club_upgrade")
        downs._club_send_mail("club_downgrade")
        warned._club_send_mail("club_downgrade_warning")

    def _club_check_tier_upgrade(self):
        """Upgrade members as soon as they reach a higher threshold."""
        cards = self.filtered(lambda c: c.is_club and c.partner_id)
        for program in cards.program_id:
            program_cards = cards.filtered(lambda c, p=program: c.program_id == p)
            moves = program._club_compute_tier_moves(cards=program_cards)
            rank = program._club_tier_rank()
            decisions = {
                card_id: dict(
                    move,
                    final=move["after"]
                    if rank.get(move["after"], -1) > rank.get(move["before"], -1)
                    else move["before"],
                    move="up"
                    if rank.get(move["after"], -1) > rank.get(move["before"], -1)
                    else "same",
                    warn=False,
                    due=self.browse(card_id).club_downgrade_date,
                )
                for card_id, move in moves.items()
            }
            self._club_apply_decisions(decisions, reason_up="upgrade", reason_down="downgrade")

    # ------------------------------------------------------------------
    # Mails
    # ------------------------------------------------------------------
    def _club_get_mail_template(self, trigger):
        """The communication of the program for ``trigger``, else the default template."""
        self.ensure_one()
        template = self.program_id.communication_plan_ids.filtered(
            lambda c: c.trigger == trigger
        ).mail_template_id[:1]
        return template or self.env.ref(DEFAULT_TEMPLATES[trigger], raise_if_not_found=False)

    def _club_send_mail(self, trigger):
        """Queue one mail per card with the club's template for ``trigger`` (batched)."""
        if not self or self.env.context.get("loyalty_no_mail"):
            return
        # the members with an address, in one query (a review mails up to every member)
        addressed = (
            self.sudo()
            .with_context(active_test=False)
            .search_fetch(
                [("id", "in", self.ids), ("partner_id.email", "!=", False)],
                ["program_id"],
                order="id",
            )
        )
        by_program = defaultdict(list)
        for card in addressed:
            by_program[card.program_id].append(card.id)
        by_template = defaultdict(list)
        for card_ids in by_program.values():
            template = self.browse(card_ids[0])._club_get_mail_template(trigger)
            if template:
                by_template[template].extend(card_ids)
        for template, card_ids in by_template.items():
            template.sudo().send_mail_batch(
                card_ids, email_layout_xmlid="mail.mail_notification_light"
            )

    # ------------------------------------------------------------------
    # Ledger
    # ------------------------------------------------------------------
    def _club_lock(self):
        """Lock the cards for this transaction, or fail at once if another holds them."""
        if not self:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM loyalty_card WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                        list(self.ids),
                    )
                )
        except psycopg2.errors.LockNotAvailable:
            raise UserError(
                _(
                    "The points of %(cards)s are being changed by another operation. "
                    "Please try again in a moment.",
                    cards=", ".join(self.mapped("code")),
                )
            ) from None

    def _club_ledger_balance(self):
        """``{card_id: points}`` open in the ledger (sum of remaining points)."""
        batches = self.env["loyalty.history"]._club_open_batches(self.ids)
        return {card.id: sum(r for _id, r in batches.get(card.id, [])) for card in self}

    def _club_ledger_totals(self):
        """``{card_id: (issued - used, open points)}`` of the cards' ledgers, one query."""
        History = self.env["loyalty.history"]
        History.flush_model(["card_id", "issued", "used", "remaining_points"])
        self.env.cr.execute(
            SQL(
                """
                SELECT card_id,
                       ROUND(SUM(COALESCE(issued, 0) - COALESCE(used, 0))::numeric, 2),
                       ROUND(SUM(COALESCE(remaining_points, 0))::numeric, 2)
                  FROM loyalty_history
                 WHERE card_id = ANY(%s)
                 GROUP BY card_id
                """,
                list(self.ids),
            )
        )
        totals = {
            card_id: (float(net), float(open_)) for card_id, net, open_ in self.env.cr.fetchall()
        }
        return {card.id: totals.get(card.id, (0.0, 0.0)) for card in self}

    def _club_sync_points(self):
        """The one code path that moves the balance of club cards: to their ledger.

        Every ledger operation ends here. The balance is written with the ORM, so
        ``write`` overrides (tracking, milestone mails, other modules) see every
        change, and checked by :meth:`_club_check_ledger` like any other write; one
        write per distinct new balance.

        :raise UserError: the ledger's lines and its open batches disagree
        """
        cards = self.filtered("is_club")
        if not cards:
            return
        totals = cards._club_ledger_totals()
        by_value = defaultdict(list)
        for card in cards:
            net, open_points = totals[card.id]
            if float_compare(net, open_points, precision_digits=2):
                raise UserError(
                    _(
                        "The points ledger of card %(card)s is inconsistent: its lines add "
                        "up to %(net)s points, its open batches to %(open)s.",
                        card=card.code,
                        net=net,
                        open=open_points,
                    )
                )
            if float_compare(card.points, net, precision_digits=2):
                by_value[net].append(card.id)
        for value, card_ids in by_value.items():
            self.browse(card_ids).write({"points": value})

    def _club_check_ledger(self, points):
        """Club balances equal their ledger: a balance moves only through it.

        :param points: the balance about to be written on the cards
        """
        cards = self.filtered("is_club")
        if not cards:
            return
        if float_compare(points or 0.0, 0.0, precision_digits=2) < 0:
            raise ValidationError(
                _(
                    "The balance of club card %(card)s cannot go below zero.",
                    card=cards[0].code,
                )
            )
        totals = cards._club_ledger_totals()
        for card in cards:
            net = totals[card.id][0]
            if float_compare(points or 0.0, net, precision_digits=2):
                raise ValidationError(
                    _(
                        "The balance of club card %(card)s (%(points)s) must equal its "
                        "points ledger (%(ledger)s): club points change only through the "
                        "club (orders, credit notes, the balance wizard, expiry).",
                        card=card.code,
                        points=points,
                        ledger=net,
                    )
                )

    def _club_spend(self, points, description):
        """Spend points of one club card: lock, consume batches, lower the balance.

        :raise UserError: another operation holds the card, or not enough points
        """
        self.ensure_one()
        if float_compare(points, 0, precision_digits=2) <= 0:
            raise UserError(_("Points to spend must be positive."))
        self._club_lock()
        available = self._club_ledger_balance()[self.id]
        if float_compare(points, available, precision_digits=2) > 0:
            raise UserError(
                _(
                    "Card %(card)s holds only %(available)s points, %(needed)s are needed.",
                    card=self.code,
                    available=round(available, 2),
                    needed=round(points, 2),
                )
            )
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                {
                    "card_id": self.id,
                    "description": description,
                    "used": points,
                    "move_type": "spend",
                }
            )
        )

    def _club_issue(self, points, description, expiry_date=None):
        """Issue a batch of qualifying points on each card (points earned elsewhere
        than sale orders: an import, another sales channel, the demo data).
        Privileged helper: callers check the user's rights.
        """
        if float_compare(points, 0, precision_digits=2) <= 0:
            raise ValidationError(_("Points to issue must be positive."))
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                [
                    {
                        "card_id": card.id,
                        "description": description,
                        "issued": points,
                        "move_type": "issue",
                        "expiry_date": expiry_date or False,
                    }
                    for card in self
                ]
            )
        )

    def _club_adjust_balance(self, new_balance, description, expiry_date=None):
        """Bring the balance to ``new_balance`` with one adjustment line (balance wizard).

        A rise opens a batch (expiring on ``expiry_date``, else after the club's
        validity); a fall consumes batches, soonest expiry first. Privileged helper:
        callers check the user's rights.
        """
        self.ensure_one()
        if float_compare(new_balance, 0, precision_digits=2) < 0:
            raise ValidationError(_("The points of a club card cannot be negative."))
        self._club_lock()
        difference = round(new_balance - self._club_ledger_balance()[self.id], 2)
        if float_is_zero(difference, precision_digits=2):
            return self.env["loyalty.history"]
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                {
                    "card_id": self.id,
                    "description": description,
                    "issued": max(difference, 0.0),
                    "used": max(-difference, 0.0),
                    "move_type": "adjust",
                    "expiry_date": expiry_date or False,
                }
            )
        )

    @api.model
    def _club_commit_if_cron(self):
        """Commit a finished cron batch, so a long run keeps its progress (never in tests)."""
        if not modules.module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _cron_club_points_expiry(self, batch_size=500):
        """Mail members whose points expire soon, then expire batches past their date."""
        self._club_notify_expiring()
        today = fields.Date.context_today(self)
        History = self.env["loyalty.history"]
        History.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT card_id FROM loyalty_history
                 WHERE is_club AND remaining_points > 0 AND expiry_date < %s
                 ORDER BY card_id
                """,
                today,
            )
        )
        card_ids = [row[0] for row in self.env.cr.fetchall()]
        done = 0
        for batch in split_every(batch_size, card_ids):
            self.browse(batch)._club_expire_points(today)
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(card_ids) - done)
            self._club_commit_if_cron()

    def _club_expire_points(self, today):
        """Expire the batches of these cards past their date: a constant number of queries."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT h.id, h.card_id, h.remaining_points
                  FROM loyalty_history h
                  JOIN loyalty_card c ON c.id = h.card_id
                 WHERE h.card_id = ANY(%(ids)s) AND h.remaining_points > 0
                   AND h.expiry_date < %(today)s
                   FOR UPDATE OF c SKIP LOCKED
                """,
                ids=list(self.ids),
                today=today,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return
        History = self.env["loyalty.history"].sudo().with_context(loyalty_club_no_ledger=True)
        description = self.env._("Points expired")
        History._club_set_remaining(dict.fromkeys([row[0] for row in rows], 0.0))
        History.create(
            [
                {
                    "card_id": card_id,
                    "description": description,
                    "used": remaining,
                    "move_type": "expire",
                    "origin_id": line_id,
                }
                for line_id, card_id, remaining in rows
            ]
        )
        self.browse({card_id for _id, card_id, _r in rows})._club_sync_points()

    @api.model
    def _club_notify_expiring(self):
        """Mail each member once about batches expiring within the club's notice days."""
        today = fields.Date.context_today(self)
        History = self.env["loyalty.history"]
        History.flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT h.id, h.card_id
                  FROM loyalty_history h
                  JOIN loyalty_card c ON c.id = h.card_id
                  JOIN loyalty_program p ON p.id = c.program_id
                 WHERE h.is_club AND h.remaining_points > 0
                   AND NOT COALESCE(h.expiry_notified, FALSE)
                   AND h.expiry_date >= %(today)s
                   AND h.expiry_date <= %(today)s + COALESCE(p.club_expiry_notice_days, 0)
                   AND c.partner_id IS NOT NULL
                """,
                today=today,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            return
        self.browse({card_id for _id, card_id in rows})._club_send_mail("club_points_expiring")
        History.browse([line_id for line_id, _card in rows]).with_context(
            loyalty_club_no_ledger=True
        ).write({"expiry_notified": True})
