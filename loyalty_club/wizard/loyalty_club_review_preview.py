from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare

from ..models.res_company import CIVILFORMD_CRITERIA, CIVILFORMD_WEIGHT_FIELDS

CLASS_RANK = {"A": 3, "B": 2, "C": 1}


class LoyaltyClubReviewPreview(models.TransientModel):
    """What a review would do under proposed thresholds or weights; writes nothing."""

    _name = "loyalty.club.review.preview"
    _description = "Club Review Preview"

    program_id = fields.Many2one(
        "loyalty.program",
        string="Club",
        required=True,
        domain=[("is_club", "=", True)],
        default=lambda self: self._default_program_id(),
    )
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    date = fields.Date(string="Review Date", required=True, default=fields.Date.context_today)
    mode = fields.Selection(
        [("thresholds", "Tier thresholds"), ("weights", "Value score weights")],
        required=True,
        default="thresholds",
    )
    tier_line_ids = fields.One2many(
        "loyalty.club.review.preview.tier",
        "wizard_id",
        string="Proposed Thresholds",
        compute="_compute_tier_line_ids",
        store=True,
        readonly=False,
    )
    # proposed CIVILFORMD weights and class cut-offs
    club_weight_cooperation = fields.Float(string="Cooperation")
    club_weight_impression = fields.Float(string="Impression")
    club_weight_viral = fields.Float(string="Viral")
    club_weight_income = fields.Float(string="Income")
    club_weight_length = fields.Float(string="Length")
    club_weight_frequency = fields.Float(string="Frequency")
    club_weight_opportunity = fields.Float(string="Opportunity")
    club_weight_recency = fields.Float(string="Recency")
    club_weight_money = fields.Float(string="Money")
    club_weight_debt = fields.Float(string="Debt")
    club_class_a_min = fields.Float(string="Class A from")
    club_class_b_min = fields.Float(string="Class B from")
    weights_total = fields.Float(string="Total (%)", compute="_compute_weights_total")
    # results
    count_up = fields.Integer(string="Would Move Up", compute="_compute_preview")
    count_down = fields.Integer(string="Would Move Down", compute="_compute_preview")
    count_same = fields.Integer(string="Would Stay", compute="_compute_preview")
    count_warned = fields.Integer(
        string="Would Be Warned",
        compute="_compute_preview",
        help="Members who no longer qualify and would be warned of a downgrade after "
        "the club's grace days.",
    )
    preview_html = fields.Html(string="Breakdown", compute="_compute_preview", sanitize=False)
    warning = fields.Char(compute="_compute_preview")

    @api.model
    def _default_program_id(self):
        if self.env.context.get("active_model") == "loyalty.program":
            return self.env.context.get("active_id")
        # opened from the menu: the company's only club, if it has just one
        clubs = self.env["loyalty.program"].search(
            [("is_club", "=", True), ("company_id", "in", (False, self.env.company.id))], limit=2
        )
        return clubs.id if len(clubs) == 1 else False

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        company = self.env.company
        if values.get("program_id"):
            company = self.env["loyalty.program"].browse(values["program_id"]).company_id or company
        for fname in (*CIVILFORMD_WEIGHT_FIELDS, "club_class_a_min", "club_class_b_min"):
            if fname in fields_list:
                values[fname] = company[fname]
        return values

    @api.depends("program_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.program_id.company_id or self.env.company

    @api.depends("program_id")
    def _compute_tier_line_ids(self):
        for wizard in self:
            tiers = wizard.program_id._club_sorted_tiers() if wizard.program_id else []
            wizard.tier_line_ids = [fields.Command.clear()] + [
                fields.Command.create(
                    {"tier_id": tier.id, "current_threshold": threshold, "threshold": threshold}
                )
                for tier, threshold in tiers
            ]

    @api.depends(*CIVILFORMD_WEIGHT_FIELDS)
    def _compute_weights_total(self):
        for wizard in self:
            wizard.weights_total = sum(wizard[fname] for fname in CIVILFORMD_WEIGHT_FIELDS)

    @api.depends(
        "program_id",
        "date",
        "mode",
        "tier_line_ids.threshold",
        *CIVILFORMD_WEIGHT_FIELDS,
        "club_class_a_min",
        "club_class_b_min",
    )
    def _compute_preview(self):
        for wizard in self:
            wizard.count_warned = 0
            wizard.warning = wizard._preview_warning()
            if not wizard.program_id:
                breakdown = {}
            elif wizard.mode == "thresholds":
                breakdown = wizard._preview_tier_moves()
            else:
                breakdown = wizard._preview_class_moves()
            counts = {"up": 0, "down": 0, "same": 0}
            for (_before, _after, move), count in breakdown.items():
                counts[move] += count
            wizard.count_up = counts["up"]
            wizard.count_down = counts["down"]
            wizard.count_same = counts["same"]
            wizard.preview_html = wizard._preview_table(breakdown)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_apply(self):
        """Save the proposed thresholds or weights (after the preview)."""
        self.ensure_one()
        if self.warning:
            raise UserError(self.warning)
        if self.mode == "thresholds":
            self.env["loyalty.club.tier"].check_access("write")
            self.program_id.club_tier_ids.check_access("write")
            self.program_id._club_set_thresholds(
                {line.tier_id.id: line.threshold for line in self.tier_line_ids if line.tier_id}
            )
        else:
            self.company_id.check_access("write")
            self.company_id.write(
                {
                    fname: self[fname]
                    for fname in (*CIVILFORMD_WEIGHT_FIELDS, "club_class_a_min", "club_class_b_min")
                }
            )
            self.env["loyalty.club.score"]._compute_club_scores(companies=self.company_id)
        return {"type": "ir.actions.act_window_close"}

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    def _preview_warning(self):
        self.ensure_one()
        if self.mode == "weights":
            if any(self[fname] < 0 for fname in CIVILFORMD_WEIGHT_FIELDS):
                return _("Weights cannot be negative.")
            if float_compare(self.weights_total, 100.0, precision_digits=2):
                return _(
                    "The weights sum to %(total)s %%, not 100 %%.",
                    total=round(self.weights_total, 2),
                )
            if not 0 <= self.club_class_b_min <= self.club_class_a_min <= 100:
                return _("Class cut-offs must satisfy 0 <= class B <= class A <= 100.")
        else:
            if not self.program_id:
                return False
            try:
                # the same rule as saving them (see loyalty.program._club_set_thresholds)
                self.program_id._club_check_thresholds(
                    {line.tier_id.id: line.threshold for line in self.tier_line_ids if line.tier_id}
                )
            except ValidationError as error:
                return error.args[0]
        return False

    def _preview_tier_moves(self):
        """``{(tier before, tier after, move): count}`` under the proposed thresholds.

        Runs the review's own decision (:meth:`loyalty.program._club_decide_tier_moves`:
        downgrade policy, grace days, warnings) on the proposed thresholds.
        """
        self.ensure_one()
        program = self.program_id
        proposed = {line.tier_id.id: line.threshold for line in self.tier_line_ids if line.tier_id}
        decisions = program._club_decide_tier_moves(thresholds=proposed, date=self.date)
        names = {tier.id: tier.name for tier in program.club_tier_ids}
        breakdown = {}
        for decision in decisions.values():
            key = (
                names.get(decision["before"], _("No tier")),
                names.get(decision["final"], _("No tier")),
                decision["move"],
            )
            breakdown[key] = breakdown.get(key, 0) + 1
        self.count_warned = sum(1 for d in decisions.values() if d["warn"])
        return breakdown

    def _preview_class_moves(self):
        """``{(class before, class after, move): count}`` for the club's members.

        Recomputes the CIVILFORMD score from the stored 0-100 criteria with the
        proposed weights and cut-offs, in one read-only query.
        """
        self.ensure_one()
        self.env["loyalty.club.score"].flush_model()
        self.env["loyalty.card"].flush_model(["program_id", "partner_id", "active"])
        weighted = SQL(" + ").join(
            SQL("%s / 100.0 * s.%s", self[f"club_weight_{key}"], SQL.identifier(f"civ_{key}"))
            for key, _label in CIVILFORMD_CRITERIA
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT before, after, COUNT(*)
                  FROM (
                    SELECT s.value_class AS before,
                           CASE WHEN ROUND((%(weighted)s)::numeric, 4) >= %(a)s THEN 'A'
                                WHEN ROUND((%(weighted)s)::numeric, 4) >= %(b)s THEN 'B'
                                ELSE 'C' END AS after
                      FROM loyalty_club_score s
                     WHERE s.company_id = %(company)s
                       AND s.partner_id IN (
                           SELECT COALESCE(rp.commercial_partner_id, rp.id)
                             FROM loyalty_card card
                             JOIN res_partner rp ON rp.id = card.partner_id
                            WHERE card.program_id = %(program)s AND card.active)
                  ) moves
                 GROUP BY before, after
                """,
                weighted=weighted,
                a=self.club_class_a_min,
                b=self.club_class_b_min,
                company=self.company_id.id,
                program=self.program_id.id,
            )
        )
        breakdown = {}
        for before, after, count in self.env.cr.fetchall():
            before_rank, after_rank = CLASS_RANK.get(before, 0), CLASS_RANK[after]
            kind = (
                "up" if after_rank > before_rank else "down" if after_rank < before_rank else "same"
            )
            breakdown[(before or _("None"), after, kind)] = count
        return breakdown

    def _preview_table(self, breakdown):
        if not breakdown:
            return Markup("<p class='text-muted'>%s</p>") % _("No member to review.")
        labels = {"up": _("Up"), "down": _("Down"), "same": _("Same")}
        rows = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td class='text-end'>%s</td></tr>")
            % (escape(before), escape(after), labels[move], count)
            for (before, after, move), count in sorted(breakdown.items(), key=lambda item: -item[1])
        )
        return Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th class='text-end'>%s</th></tr></thead><tbody>%s</tbody></table>"
        ) % (_("Now"), _("Would be"), _("Move"), _("Members"), rows)


class LoyaltyClubReviewPreviewTier(models.TransientModel):
    _name = "loyalty.club.review.preview.tier"
    _description = "Club Review Preview: Proposed Threshold"
    _order = "id"

    wizard_id = fields.Many2one("loyalty.club.review.preview", required=True, ondelete="cascade")
    tier_id = fields.Many2one("loyalty.club.tier", required=True, ondelete="cascade")
    current_threshold = fields.Float()
    threshold = fields.Float(string="Proposed Threshold")
