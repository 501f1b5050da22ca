from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.safe_eval import safe_eval


class TouchPlan(models.Model):
    _name = "touch.plan"
    _description = "Touch Plan"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [
            ("lifetime", "Lifetime Clients"),
            ("advocate", "Advocates"),
            ("nurture", "Lead Nurture"),
            ("custom", "Custom"),
        ],
        required=True,
        default="custom",
        tracking=True,
    )
    yearly_target = fields.Integer(
        string="Touches per Year",
        default=33,
        help="How many touches each enrolled client should receive per cycle.",
    )
    description = fields.Html(
        translate=True,
        help="What of value this plan gives its clients (market reports, advice, ...).",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    # steps and enrolments
    step_ids = fields.One2many("touch.plan.step", "plan_id", string="Steps", copy=True)
    step_count = fields.Integer(compute="_compute_step_count", string="Planned per Cycle")
    enrollment_ids = fields.One2many("touch.plan.enrollment", "plan_id", string="Enrollments")
    enrollment_count = fields.Integer(compute="_compute_enrollment_count", string="Enrolled")
    res_model = fields.Char(
        string="Enrolls",
        required=True,
        default="res.partner",
        help="Technical name of the model whose records this plan enrolls "
        "(contacts, or leads for nurture plans).",
    )
    auto_enroll = fields.Boolean(
        string="Auto-Enroll",
        help="Every day, enroll the records matching the domain below.",
    )
    auto_enroll_domain = fields.Char(
        string="Auto-Enroll Domain",
        default="[]",
        help="Records matching this domain are enrolled by the daily job.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Default Responsible",
        domain="[('share', '=', False)]",
        help="Responsible of enrollments whose contact has no salesperson.",
    )
    activity_days_ahead = fields.Integer(
        string="Activity Lead Time (days)",
        default=3,
        help="Manual touches (calls, cards, gifts, letters) are put in the "
        "responsible's activities this many days before they are due.",
    )
    referral_plan_id = fields.Many2one(
        "touch.plan",
        string="On First Referral, Move To",
        domain="[('id', '!=', id), ('company_id', '=', company_id)]",
        help="When a client of this plan refers someone for the first time, "
        "their enrollment here ends and they are enrolled in this plan.",
    )

    @api.depends("step_ids.count", "step_ids.timing", "step_ids.active")
    def _compute_step_count(self):
        for plan in self:
            plan.step_count = sum(
                step.count for step in plan.step_ids if step.timing != "referral" and step.active
            )

    def _compute_enrollment_count(self):
        counts = dict(
            self.env["touch.plan.enrollment"]._read_group(
                [("plan_id", "in", self.ids), ("state", "in", ("active", "paused"))],
                ["plan_id"],
                ["__count"],
            )
        )
        for plan in self:
            plan.enrollment_count = counts.get(plan, 0)

    @api.constrains("yearly_target", "activity_days_ahead")
    def _check_numbers(self):
        for plan in self:
            if plan.yearly_target < 1:
                raise ValidationError(
                    _("Plan %(plan)s needs a yearly target of at least one touch.", plan=plan.name)
                )
            if not 0 <= plan.activity_days_ahead <= 60:
                raise ValidationError(
                    _(
                        "The activity lead time of plan %(plan)s must be between 0 and 60 days.",
                        plan=plan.name,
                    )
                )

    @api.constrains("res_model", "auto_enroll_domain")
    def _check_res_model(self):
        for plan in self:
            model = self.env.get(plan.res_model)
            if model is None or "touch_plan_enrollment_ids" not in model._fields:
                raise ValidationError(
                    _(
                        "Plan %(plan)s cannot enroll %(model)s records: the model does not "
                        "use touch plans.",
                        plan=plan.name,
                        model=plan.res_model,
                    )
                )
            plan._get_auto_enroll_domain()

    @api.constrains("step_ids")
    def _check_step_ids(self):
        running = self.filtered(lambda p: p.enrollment_count and not p.step_ids)
        if running:
            raise ValidationError(
                _(
                    "Plan %(plan)s has enrolled clients: it needs at least one step.",
                    plan=running[0].name,
                )
            )

    def write(self, vals):
        res = super().write(vals)
        if vals.get("active") is False:
            self.enrollment_ids.filtered(lambda e: e.state in ("active", "paused"))._end(
                "cancelled", _("Plan archived")
            )
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_enrolled(self):
        enrolled = self.filtered("enrollment_ids")
        if enrolled:
            raise UserError(
                _(
                    "Plan %(plan)s has enrolled clients and cannot be deleted: archive it instead.",
                    plan=enrolled[0].name,
                )
            )

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "touch_plan.touch_plan_enrollment_action"
        )
        action["domain"] = [("plan_id", "=", self.id)]
        action["context"] = {"default_plan_id": self.id}
        return action

    def _get_auto_enroll_domain(self):
        """Return the auto-enrolment domain as a list, raising a clear error if broken."""
        self.ensure_one()
        try:
            domain = safe_eval(self.auto_enroll_domain or "[]")
            if not isinstance(domain, list | tuple):
                raise ValueError(domain)
            self.env[self.res_model]._where_calc(domain)
        except Exception as error:
            raise ValidationError(
                _(
                    "The auto-enroll domain of plan %(plan)s is not valid: %(error)s",
                    plan=self.name,
                    error=error,
                )
            ) from error
        return list(domain)

    def _check_enrollable(self):
        """Refuse to enroll anyone in a plan that has nothing to do."""
        for plan in self:
            if not plan.step_ids.filtered("active"):
                raise UserError(
                    _(
                        "Plan %(plan)s has no steps: add at least one step before "
                        "enrolling clients.",
                        plan=plan.name,
                    )
                )

    def _auto_enroll(self, limit=None):
        """Enroll the records matching each plan's domain (one search per plan).

        :param limit: at most this many new records per plan (the daily job
            enrolls in bounded batches and calls again)
        :return: the new enrollments
        """
        enrollments = self.env["touch.plan.enrollment"]
        for plan in self.filtered(lambda p: p.auto_enroll and p.step_ids):
            domain = plan._get_auto_enroll_domain()
            model = self.env[plan.res_model]
            enrolled = self.env["touch.plan.enrollment"]._read_group(
                [
                    ("plan_id", "=", plan.id),
                    ("state", "in", ("active", "paused")),
                ],
                aggregates=["res_id:array_agg"],
            )[0][0]
            if "company_id" in model._fields:
                domain = [*domain, ("company_id", "in", (False, plan.company_id.id))]
            records = model.search([*domain, ("id", "not in", enrolled or [])], limit=limit)
            enrollments |= records._touch_plan_enroll(plan)
        return enrollments
