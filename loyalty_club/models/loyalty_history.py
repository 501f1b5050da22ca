from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
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
    ``remaining_points`` not yet spent or expired; lines with ``used`` points
    consume the soonest-expiring batches first. For a club card, the sum of
    ``remaining_points`` always equals ``issued - used`` summed over the ledger
    and the card's ``points``.
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
        string="Reversed Batch",
        ondelete="set null",
        index="btree_not_null",
        help="The batch whose points this line takes back or expires.",
    )

    @api.depends("card_id.program_id.is_club")
    def _compute_is_club(self):
        for line in self:
            line.is_club = line.card_id.program_id.is_club

    # ------------------------------------------------------------------
    # CRUD: every club line goes through the ledger
    # ------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
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

    def _club_take_back(self, amount_by_batch, description, move_type="reversal", order=None):
        """Take points of issued batches back, never below a zero balance.

        Points still in the batch go first, then the card's other batches (the batch
        itself may have been spent already).

        :param amount_by_batch: ``{history line: points}``
        :return: the reversal lines created
        """
        cards = self.env["loyalty.card"].browse({line.card_id.id for line in amount_by_batch})
        cards._club_lock()
        balances = cards._club_ledger_balance()
        take = {}
        for batch, amount in amount_by_batch.items():
            card_id = batch.card_id.id
            taken = min(amount, balances[card_id])
            balances[card_id] -= taken
            if float_compare(taken, 0, precision_digits=PRECISION) > 0:
                take[batch] = taken
        vals_list = [
            {
                "card_id": batch.card_id.id,
                "description": description,
                "issued": 0.0,
                "used": amount,
                "move_type": move_type,
                "origin_id": batch.id,
                "order_model": order and order._name,
                "order_id": order and order.id,
            }
            for batch, amount in take.items()
        ]
        for batch, amount in take.items():
            self._club_consume({batch.card_id.id: amount}, prefer={batch.card_id.id: batch.id})
        lines = self.with_context(loyalty_club_no_ledger=True).create(vals_list)
        points = defaultdict(float)
        for batch, amount in take.items():
            points[batch.card_id.id] -= amount
        cards._club_add_points(points)
        return lines
