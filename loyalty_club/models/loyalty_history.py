from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero

MOVE_TYPES = [
    ("issue", "Issued"),
    ("spend", "Spent"),
    ("expire", "Expired"),
    ("reversal", "Reversal"),
    ("adjust", "Adjustment"),
]
PRECISION = 2


class LoyaltyHistory(models.Model):
    """Club cards keep an exact points ledger on Odoo's loyalty history.

    Every line with ``issued`` points is a batch with an ``expiry_date`` and the
    ``remaining_points`` not yet spent, expired or taken back; lines with ``used``
    points consume the soonest-expiring batches first. For a club card, the sum of
    ``remaining_points`` equals ``issued - used`` summed over the ledger and the
    card's ``points`` (see ``loyalty.card._club_sync_points``).

    Every reversal names the line it reverses (``origin_id``): a line with ``used``
    points takes back (or expires) points its origin issued, a line with ``issued``
    points gives back points its origin spent. What a line's reversals add up to is
    kept on it (``reversed_issued``, ``reversed_used``) and the database refuses more
    than the line itself holds, so nothing can be reversed twice.

    Club lines are written only by the club's own operations (orders, credit notes,
    the balance wizard, expiry, opening a club); they check the caller's rights and
    then write as superuser. A user writing club lines directly gets an AccessError.
    """

    _inherit = "loyalty.history"

    is_club = fields.Boolean(compute="_compute_is_club", store=True, index=True)
    move_type = fields.Selection(MOVE_TYPES, string="Ledger Move", index=True)
    expiry_date = fields.Date(index=True, help="Date the remaining points of this batch expire.")
    remaining_points = fields.Float(
        string="Remaining", help="Points of this batch not yet spent or expired."
    )
    expiry_notified = fields.Boolean(help="The member was mailed about this batch expiring.")
    origin_id = fields.Many2one(
        "loyalty.history",
        string="Reversed Line",
        ondelete="cascade",
        index="btree_not_null",
        help="The line this line reverses: the batch whose points it takes back or "
        "expires, or the spend whose points it gives back.",
    )
    reversal_ids = fields.One2many("loyalty.history", "origin_id", string="Reversals")
    reversed_issued = fields.Float(
        string="Issued Points Reversed",
        compute="_compute_reversed",
        store=True,
        help="Points of this line's issue already taken back or expired.",
    )
    reversed_used = fields.Float(
        string="Used Points Given Back",
        compute="_compute_reversed",
        store=True,
        help="Points of this line's spend already given back.",
    )

    _sql_constraints = [
        (
            "club_points_not_negative",
            "CHECK(NOT COALESCE(is_club, FALSE) "
            "OR (COALESCE(issued, 0) >= 0 AND COALESCE(used, 0) >= 0))",
            "Club ledger lines cannot issue or use negative points.",
        ),
        (
            "club_remaining_within_issued",
            "CHECK(COALESCE(remaining_points, 0) >= 0 AND COALESCE(remaining_points, 0) "
            "+ COALESCE(reversed_issued, 0) <= COALESCE(issued, 0) + 0.005)",
            "A batch cannot hold more points than it issued, nor fewer than zero.",
        ),
        (
            "club_reversal_within_line",
            "CHECK(COALESCE(reversed_issued, 0) <= COALESCE(issued, 0) + 0.005 "
            "AND COALESCE(reversed_used, 0) <= COALESCE(used, 0) + 0.005)",
            "A ledger line cannot be reversed for more points than it holds.",
        ),
    ]

    @api.depends("card_id.program_id.is_club")
    def _compute_is_club(self):
        for line in self:
            line.is_club = line.card_id.program_id.is_club

    @api.depends("reversal_ids.issued", "reversal_ids.used")
    def _compute_reversed(self):
        for line in self:
            reversals = line.reversal_ids
            line.reversed_issued = round(sum(reversals.mapped("used")), PRECISION)
            line.reversed_used = round(sum(reversals.mapped("issued")), PRECISION)

    @api.constrains("issued", "used")
    def _check_club_points_positive(self):
        for line in self.filtered("is_club"):
            if (line.issued or 0) < 0 or (line.used or 0) < 0:
                raise ValidationError(
                    _(
                        "Club ledger lines cannot issue or use negative points "
                        "(card %(card)s: %(issued)s issued, %(used)s used).",
                        card=line.card_id.code,
                        issued=line.issued,
                        used=line.used,
                    )
                )

    # ------------------------------------------------------------------
    # CRUD: every club line goes through the ledger
    # ------------------------------------------------------------------
    @api.model
    def _club_check_ledger_access(self, card_ids):
        """Refuse direct writes of club ledger lines: only the club's operations
        (which check the caller's rights first) write them, as superuser."""
        if self.env.su or not card_ids:
            return
        cards = self.env["loyalty.card"].sudo().browse(card_ids).exists()
        if any(cards.mapped("program_id.is_club")):
            raise AccessError(
                _(
                    "Club points are recorded by the club itself (orders, credit notes, "
                    "the balance wizard, expiry): ledger lines cannot be written by hand."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._club_check_ledger_access(
            {vals["card_id"] for vals in vals_list if vals.get("card_id")}
        )
        for vals in vals_list:
            if (vals.get("issued") or 0) < 0 or (vals.get("used") or 0) < 0:
                # refused by a constraint on club lines; say it clearly before writing
                cards = self.env["loyalty.card"].sudo().browse(vals.get("card_id"))
                if cards.program_id.is_club:
                    raise ValidationError(
                        _("Club ledger lines cannot issue or use negative points.")
                    )
        move_type = self.env.context.get("loyalty_club_move_type")
        for vals in vals_list:
            if move_type and not vals.get("move_type"):
                vals["move_type"] = move_type
        lines = super().create(vals_list)
        club_lines = lines.filtered("is_club")
        if club_lines and not self.env.context.get("loyalty_club_no_ledger"):
            club_lines._club_post()
        return lines

    def write(self, vals):
        self._club_check_ledger_access(self.card_id.ids)
        if "card_id" in vals:
            self._club_check_ledger_access([vals["card_id"]])
        if self.env.context.get("loyalty_club_no_ledger") or not ({"issued", "used"} & set(vals)):
            return super().write(vals)
        club_lines = self.filtered("is_club")
        before = {line.id: (line.issued, line.used) for line in club_lines}
        res = super().write(vals)
        deltas = {
            line: (line.issued - before[line.id][0], line.used - before[line.id][1])
            for line in club_lines
        }
        if deltas:
            self._club_apply_deltas(deltas)
        return res

    def unlink(self):
        if self.env.context.get("loyalty_club_keep_ledger"):
            # sale order cancellation: club lines are reversed, not deleted
            return super(LoyaltyHistory, self - self.filtered("is_club")).unlink()
        return super().unlink()

    @api.ondelete(at_uninstall=False)
    def _unlink_except_club_ledger(self):
        club_lines = self.filtered("is_club")
        if club_lines:
            self._club_check_ledger_access(club_lines.card_id.ids)
            raise UserError(
                _(
                    "Club ledger lines are never deleted: the club reverses them "
                    "(cancel the order, post a credit note or update the balance)."
                )
            )

    # ------------------------------------------------------------------
    # Ledger
    # ------------------------------------------------------------------
    def _club_default_move_type(self):
        self.ensure_one()
        if self.order_model and self.order_id:
            return "issue" if self.issued else "spend"
        return "adjust"

    def _club_post(self):
        """Open batches for issued points and consume batches for used points."""
        self.card_id._club_lock()
        today = fields.Date.context_today(self)
        by_type = defaultdict(lambda: self.browse())
        for line in self:
            if not line.move_type:
                by_type[line._club_default_move_type()] |= line
        for move_type, lines in by_type.items():
            lines.with_context(loyalty_club_no_ledger=True).write({"move_type": move_type})
        batches = self.filtered(lambda h: h.issued > 0 and h.move_type != "expire")
        by_expiry = defaultdict(lambda: self.browse())
        for line in batches:
            months = line.card_id.program_id.club_points_validity_months
            expiry = line.expiry_date or (months and today + relativedelta(months=months))
            by_expiry[expiry or False] |= line
        # remaining points differ per line: one UPDATE for all of them
        self._club_set_remaining({line.id: line.issued for line in batches})
        for expiry, lines in by_expiry.items():
            lines.with_context(loyalty_club_no_ledger=True).write({"expiry_date": expiry})
        spend = defaultdict(float)
        for line in self.filtered(lambda h: h.used > 0 and h.move_type != "expire"):
            spend[line.card_id.id] += line.used
        if spend:
            self._club_consume(spend)
        self.card_id._club_sync_points()
        self.card_id._club_check_tier_upgrade()

    def _club_apply_deltas(self, deltas):
        """Follow later changes of issued/used points on club lines."""
        self.card_id._club_lock()
        spend = defaultdict(float)
        add = {}
        for line, (d_issued, d_used) in deltas.items():
            gain = d_issued - d_used
            if float_compare(gain, 0, precision_digits=PRECISION) > 0:
                add[line.id] = line.remaining_points + gain
            elif float_compare(gain, 0, precision_digits=PRECISION) < 0:
                spend[line.card_id.id] += -gain
        if add:
            self._club_set_remaining(add)
            today = fields.Date.context_today(self)
            for line in self.browse(list(add)).filtered(lambda h: not h.expiry_date):
                months = line.card_id.program_id.club_points_validity_months
                if months:
                    line.with_context(loyalty_club_no_ledger=True).expiry_date = (
                        today + relativedelta(months=months)
                    )
        if spend:
            self._club_consume(spend)
        self.card_id._club_sync_points()

    @api.model
    def _club_set_remaining(self, remaining_by_line):
        """Write ``remaining_points`` of many lines with one query."""
        if not remaining_by_line:
            return
        self.flush_model(["remaining_points"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE loyalty_history h
                   SET remaining_points = d.remaining
                  FROM unnest(%(ids)s::int[], %(values)s::float8[]) AS d(id, remaining)
                 WHERE h.id = d.id
                """,
                ids=list(remaining_by_line),
                values=[round(v, PRECISION) for v in remaining_by_line.values()],
            )
        )
        self.invalidate_model(["remaining_points"])

    @api.model
    def _club_open_batches(self, card_ids):
        """Open batches of the cards, soonest expiry first: ``{card_id: [(id, remaining)]}``."""
        self.flush_model(["remaining_points", "expiry_date", "card_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT card_id, id, remaining_points
                  FROM loyalty_history
                 WHERE card_id = ANY(%(cards)s) AND remaining_points > 0
                 ORDER BY card_id, expiry_date NULLS LAST, id
                """,
                cards=list(card_ids),
            )
        )
        batches = defaultdict(list)
        for card_id, line_id, remaining in self.env.cr.fetchall():
            batches[card_id].append((line_id, remaining))
        return batches

    @api.model
    def _club_consume(self, amount_by_card, prefer=None):
        """Consume points from open batches, soonest expiry first.

        :param amount_by_card: ``{card_id: points}``
        :param prefer: optional ``{card_id: history_id}`` batch to consume before the others
        :raise UserError: when a card does not hold enough points
        """
        prefer = prefer or {}
        batches = self._club_open_batches(amount_by_card)
        new_remaining = {}
        for card_id, amount in amount_by_card.items():
            card_batches = sorted(
                batches.get(card_id, []), key=lambda b: b[0] != prefer.get(card_id)
            )
            available = sum(remaining for _id, remaining in card_batches)
            if float_compare(amount, available, precision_digits=PRECISION) > 0:
                card = self.env["loyalty.card"].browse(card_id)
                raise UserError(
                    _(
                        "Card %(card)s holds only %(available)s points, %(needed)s are needed.",
                        card=card.code,
                        available=round(available, PRECISION),
                        needed=round(amount, PRECISION),
                    )
                )
            for line_id, remaining in card_batches:
                if float_is_zero(amount, precision_digits=PRECISION):
                    break
                take = min(amount, remaining)
                new_remaining[line_id] = remaining - take
                amount -= take
        self._club_set_remaining(new_remaining)

    @api.model
    def _club_take_back(self, amount_by_line, description, order=None):
        """Take back points issued by ledger lines, never below a zero balance.

        Each take-back line names the line it reverses (``origin_id``) and never takes
        more than what is left of it (issued minus what was already taken back or
        expired). Points still in the line's own batch go first, then the card's
        other batches, soonest expiry first (the batch may have been spent already).

        :param amount_by_line: ``{history line: points}``, lines in the order to reverse
        :param order: the document the lines point to (order or credit note)
        :return: the take-back lines created
        """
        History = self.sudo()
        lines = History.browse([line.id for line in amount_by_line])
        cards = lines.card_id
        cards._club_lock()
        lines.fetch(["issued", "reversed_issued", "card_id"])
        balances = cards._club_ledger_balance()
        take = {}
        for line, amount in amount_by_line.items():
            line = History.browse(line.id)
            left = line.issued - line.reversed_issued
            amount = min(amount, left, balances[line.card_id.id])
            if float_compare(amount, 0, precision_digits=PRECISION) > 0:
                amount = round(amount, PRECISION)
                balances[line.card_id.id] -= amount
                take[line] = amount
        for line, amount in take.items():
            History._club_consume({line.card_id.id: amount}, prefer={line.card_id.id: line.id})
        taken = History.with_context(loyalty_club_no_ledger=True).create(
            [
                {
                    "card_id": line.card_id.id,
                    "description": description,
                    "issued": 0.0,
                    "used": amount,
                    "move_type": "reversal",
                    "origin_id": line.id,
                    "order_model": order and order._name,
                    "order_id": order and order.id,
                }
                for line, amount in take.items()
            ]
        )
        cards._club_sync_points()
        return taken

    @api.model
    def _club_give_back(self, lines, description, order=None):
        """Give back the points spent by ledger lines that were not given back yet.

        Each give-back line names the spend it reverses and opens a new batch.

        :return: the give-back lines created
        """
        lines = self.sudo().browse(lines.ids)
        lines.fetch(["used", "reversed_used", "card_id"])
        vals_list = []
        for line in lines.sorted("id"):
            amount = round(line.used - line.reversed_used, PRECISION)
            if float_compare(amount, 0, precision_digits=PRECISION) > 0:
                vals_list.append(
                    {
                        "card_id": line.card_id.id,
                        "description": description,
                        "issued": amount,
                        "move_type": "reversal",
                        "origin_id": line.id,
                        "order_model": order and order._name,
                        "order_id": order and order.id,
                    }
                )
        return self.sudo().create(vals_list)
