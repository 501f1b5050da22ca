from odoo import api, fields, models

from odoo.addons.touch_plan.tools import can_insert, insert_rows

MOVES = [("up", "Up"), ("down", "Down"), ("same", "Same")]


class LoyaltyClubReview(models.Model):
    _name = "loyalty.club.review"
    _description = "Club Review"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    program_id = fields.Many2one(
        "loyalty.program",
        string="Club",
        required=True,
        ondelete="cascade",
        domain=[("is_club", "=", True)],
        index=True,
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done")], default="draft", required=True, tracking=True
    )
    line_ids = fields.One2many("loyalty.club.review.line", "review_id", string="Members")
    count_up = fields.Integer(string="Moved Up", compute="_compute_counts", store=True)
    count_down = fields.Integer(string="Moved Down", compute="_compute_counts", store=True)
    count_same = fields.Integer(string="Unchanged", compute="_compute_counts", store=True)
    count_warned = fields.Integer(string="Warned", compute="_compute_counts", store=True)

    @api.depends("program_id.name", "date")
    def _compute_name(self):
        for review in self:
            review.name = f"{review.program_id.name or ''} {review.date or ''}".strip()

    @api.depends("line_ids.move", "line_ids.warned")
    def _compute_counts(self):
        data = {
            (review.id, move): count
            for review, move, count in self.env["loyalty.club.review.line"]._read_group(
                [("review_id", "in", self.ids)], ["review_id", "move"], ["__count"]
            )
        }
        warned = dict(
            self.env["loyalty.club.review.line"]._read_group(
                [("review_id", "in", self.ids), ("warned", "=", True)], ["review_id"], ["__count"]
            )
        )
        for review in self:
            review.count_up = data.get((review.id, "up"), 0)
            review.count_down = data.get((review.id, "down"), 0)
            review.count_same = data.get((review.id, "same"), 0)
            review.count_warned = warned.get(review, 0)

    @api.model
    def _prepare_review_lines_values(self, cards, decisions):
        """Values of the review lines of ``cards`` (without ``review_id``), in one batch.

        Calls :meth:`_prepare_review_line_values` for each card after reading the
        cards' fields it uses at once. Override this batch hook to add values that
        are best read for all members together (one query), or the per-member hook
        for simple values.

        :param cards: the members' ``loyalty.card`` records
        :param decisions: ``{card_id: move_info}`` (see :meth:`_prepare_review_line_values`)
        :return: list of values, one per card
        """
        cards.fetch(["partner_id", "program_id"])
        return [self._prepare_review_line_values(card, decisions[card.id]) for card in cards]

    @api.model
    def _prepare_review_line_values(self, card, move_info):
        """Values of one review line (without ``review_id``).

        :param card: the member's ``loyalty.card``
        :param move_info: dict with ``before``, ``after`` (tier ids), ``qualifying`` and,
            for a real review, ``final``, ``move`` and ``warn``
        Override to snapshot more about the member (scores...). The lines of a review
        are inserted in bulk (see :meth:`_club_insert_lines`): values of plain stored
        fields keep it fast.
        """
        final = move_info.get("final", move_info["after"])
        move = move_info.get("move")
        if not move:
            rank = card.program_id._club_tier_rank()
            before = rank.get(move_info["before"], -1)
            after = rank.get(final, -1)
            move = "up" if after > before else "down" if after < before else "same"
        return {
            "card_id": card.id,
            "partner_id": card.partner_id.id,
            "tier_before_id": move_info["before"],
            "tier_after_id": final,
            "qualifying_value": move_info["qualifying"],
            "move": move,
            "warned": bool(move_info.get("warn")),
        }

    def _club_insert_lines(self, vals_list):
        """Add lines to this review, with one ``INSERT`` for all of them.

        The stored related fields of the lines are filled from the review. Values of
        fields that cannot be inserted in bulk (x2many, translated...) fall back to
        ``create()``.

        :param vals_list: line values without ``review_id``
        :return: the new ``loyalty.club.review.line`` records
        """
        self.ensure_one()
        Line = self.env["loyalty.club.review.line"]
        fnames = {fname for vals in vals_list for fname in vals}
        if not all(can_insert(Line._fields[fname]) for fname in fnames):
            return Line.create([dict(vals, review_id=self.id) for vals in vals_list])
        review_values = {
            "review_id": self.id,
            "company_id": self.company_id.id,
            "program_id": self.program_id.id,
            "date": self.date,
        }
        return insert_rows(Line, [dict(vals, **review_values) for vals in vals_list])


class LoyaltyClubReviewLine(models.Model):
    _name = "loyalty.club.review.line"
    _description = "Club Review Line"
    _order = "review_id, move, id"

    review_id = fields.Many2one(
        "loyalty.club.review", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="review_id.company_id", store=True)
    program_id = fields.Many2one(related="review_id.program_id", store=True, string="Club")
    date = fields.Date(related="review_id.date", store=True)
    card_id = fields.Many2one(
        "loyalty.card", string="Member Card", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Member")
    tier_before_id = fields.Many2one("loyalty.club.tier", string="Tier Before", ondelete="set null")
    tier_after_id = fields.Many2one("loyalty.club.tier", string="Tier After", ondelete="set null")
    qualifying_value = fields.Float(string="Qualifying Value")
    move = fields.Selection(MOVES, required=True, default="same")
    warned = fields.Boolean(help="The member was warned of a coming downgrade.")
