from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .loyalty_club_score import VALUE_CLASSES

RATING_FIELDS = ("club_cooperation", "club_impression", "club_opportunity")


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Ratings given by the account manager (CIVILFORMD C, I and O), 0-5
    club_cooperation = fields.Integer(
        string="Cooperation",
        tracking=True,
        help="0-5: how much the customer takes part (surveys, events, feedback).",
    )
    club_impression = fields.Integer(
        string="Impression",
        tracking=True,
        help="0-5: how the managers feel about the customer.",
    )
    club_opportunity = fields.Integer(
        string="Opportunity",
        tracking=True,
        help="0-5: the customer's future potential.",
    )
    club_score_ids = fields.One2many(
        "loyalty.club.score",
        "partner_id",
        string="Value Scores",
        groups="sales_team.group_sale_salesman",
    )
    # Scores of the commercial entity in the current company (stored on
    # loyalty.club.score, one row per customer and company)
    club_score_id = fields.Many2one(
        "loyalty.club.score", string="Value Score", compute="_compute_club_score_id"
    )
    club_rfm_score = fields.Float(string="RFM Score", compute="_compute_club_score_id")
    club_segment_id = fields.Many2one(
        "loyalty.club.segment", string="RFM Segment", compute="_compute_club_score_id"
    )
    club_civilformd_score = fields.Float(
        string="CIVILFORMD Score", compute="_compute_club_score_id"
    )
    club_value_class = fields.Selection(
        VALUE_CLASSES, compute="_compute_club_score_id", string="Value Class"
    )
    club_clv_display = fields.Char(string="Lifetime Value", compute="_compute_club_score_id")
    # The last move by a plan rule (loyalty.club.plan.rule)
    club_plan_enrollment_id = fields.Many2one(
        "touch.plan.enrollment",
        string="Last Moved by Rule",
        compute="_compute_club_plan_enrollment_id",
        help="The latest enrollment a customer club plan rule made for this client.",
    )
    club_plan_rule_id = fields.Many2one(
        "loyalty.club.plan.rule", string="Plan Rule", compute="_compute_club_plan_enrollment_id"
    )
    club_plan_rule_date = fields.Date(string="Moved On", compute="_compute_club_plan_enrollment_id")
    club_plan_rule_plan_id = fields.Many2one(
        "touch.plan", string="Moved To", compute="_compute_club_plan_enrollment_id"
    )

    @api.depends_context("company")
    @api.depends("commercial_partner_id")
    def _compute_club_score_id(self):
        if not self.env["loyalty.club.score"].has_access("read"):
            scores = self.env["loyalty.club.score"]
        else:
            scores = self.env["loyalty.club.score"].search(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ]
            )
        by_partner = {score.partner_id.id: score for score in scores}
        for partner in self:
            score = by_partner.get(partner.commercial_partner_id.id, scores.browse())
            partner.club_score_id = score
            partner.club_rfm_score = score.rfm_score
            partner.club_segment_id = score.segment_id
            partner.club_civilformd_score = score.civilformd_score
            partner.club_value_class = score.value_class
            partner.club_clv_display = score.clv_display if score else False

    @api.constrains(*RATING_FIELDS)
    def _check_club_ratings(self):
        for partner in self:
            for fname in RATING_FIELDS:
                if not 0 <= partner[fname] <= 5:
                    raise ValidationError(
                        _(
                            "%(field)s of %(partner)s must be rated from 0 to 5.",
                            field=self._fields[fname].get_description(self.env)["string"],
                            partner=partner.display_name,
                        )
                    )

    def action_club_compute_score(self):
        self.ensure_one()
        self.env["loyalty.club.score"].check_access("write")
        self.env["loyalty.club.score"]._compute_club_scores(
            partners=self, companies=self.env.company
        )
        return self.action_club_open_score()

    def action_club_open_score(self):
        self.ensure_one()
        score = self.commercial_partner_id.club_score_id
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_club.loyalty_club_score_action"
        )
        if score:
            action.update({"res_id": score.id, "view_mode": "form", "views": [(False, "form")]})
        else:
            action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    @api.depends("commercial_partner_id")
    def _compute_club_plan_enrollment_id(self):
        """One read of the rule-made enrollments of the whole set. Privileged:
        a salesperson sees which rule moved a client without touch plan rights
        (the plan and rule names only)."""
        enrollments = (
            self.env["touch.plan.enrollment"]
            .sudo()
            .search_fetch(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", [pid for pid in self._origin.ids if pid]),
                    ("club_rule_id", "!=", False),
                ],
                ["res_id", "club_rule_id", "date_start", "plan_id"],
                order="date_start desc, id desc",
            )
        )
        latest = {}
        for enrollment in enrollments:
            latest.setdefault(enrollment.res_id, enrollment)
        for partner in self:
            enrollment = latest.get(partner._origin.id, enrollments.browse())
            partner.club_plan_enrollment_id = enrollment.with_env(self.env)
            partner.club_plan_rule_id = enrollment.club_rule_id.with_env(self.env)
            partner.club_plan_rule_date = enrollment.date_start
            partner.club_plan_rule_plan_id = enrollment.plan_id.with_env(self.env)
