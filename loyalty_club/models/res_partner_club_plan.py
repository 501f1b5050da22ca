from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

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
