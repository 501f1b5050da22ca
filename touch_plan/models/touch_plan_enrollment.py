from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models, modules
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every


class TouchPlanEnrollment(models.Model):
    _name = "touch.plan.enrollment"
    _description = "Touch Plan Enrollment"
    _inherit = ["mail.thread"]
    _order = "date_start desc, id desc"

    name = fields.Char(compute="_compute_name")
    plan_id = fields.Many2one(
        "touch.plan", required=True, ondelete="cascade", index=True, tracking=True
    )
    plan_kind = fields.Selection(related="plan_id.kind", store=True)
    res_model = fields.Char(
        string="Enrolled Model",
        compute="_compute_res_reference",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
    )
    res_id = fields.Many2oneReference(
        string="Enrolled Record",
        model_field="res_model",
        compute="_compute_res_reference",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner", string="Client", ondelete="cascade", index=True, tracking=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        index=True,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    state = fields.Selection(
        [
            ("active", "Running"),
            ("paused", "Paused"),
            ("done", "Done"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="active",
        tracking=True,
    )
    date_start = fields.Date(string="Enrolled On", required=True, default=fields.Date.context_today)
    cycle_start = fields.Date(compute="_compute_cycle", store=True, readonly=False)
    cycle_end = fields.Date(compute="_compute_cycle", store=True, readonly=False)
    touches_generated = fields.Boolean(
        copy=False, help="Technical: the touches of the current cycle exist."
    )
    date_end = fields.Date(string="Ended On", readonly=True, copy=False)
    end_reason = fields.Char(readonly=True, copy=False, tracking=True)
    previous_enrollment_id = fields.Many2one(
        "touch.plan.enrollment",
        string="Moved From",
        readonly=True,
        help="Enrollment this one replaced (e.g. Lifetime before Advocates).",
    )
    touch_ids = fields.One2many("touch.plan.touch", "enrollment_id", string="Touches")
    touch_done_count = fields.Integer(compute="_compute_touch_counts", string="Done")
    touch_planned_count = fields.Integer(compute="_compute_touch_counts", string="Planned")

    def init(self):
        # one running enrollment per record and plan; history rows are free
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS touch_plan_enrollment_running_uniq
                   ON touch_plan_enrollment (plan_id, res_model, res_id)
                   WHERE state IN ('active', 'paused')"""
            )
        )

    @api.depends("plan_id", "res_model", "res_id")
    def _compute_name(self):
        records = {}
        for model, enrollments in self.grouped("res_model").items():
            if model in self.env:
                records[model] = self.env[model].browse(enrollments.mapped("res_id")).exists()
        for enrollment in self:
            record = records.get(enrollment.res_model, self.env["res.partner"]).filtered(
                lambda r, e=enrollment: r.id == e.res_id
            )
            enrollment.name = f"{enrollment.plan_id.name} - {record.display_name or ''}"

    @api.depends("partner_id")
    def _compute_res_reference(self):
        """A contact enrolled from the form is the enrolled record itself."""
        for enrollment in self:
            if enrollment.partner_id and enrollment.res_model in (False, "res.partner"):
                enrollment.res_model = "res.partner"
                enrollment.res_id = enrollment.partner_id.id

    @api.constrains("res_model", "res_id")
    def _check_res_reference(self):
        for enrollment in self:
            if not enrollment.res_model or not enrollment.res_id:
                raise ValidationError(
                    _("An enrollment needs a client (or another record) to enroll.")
                )

    @api.depends("date_start")
    def _compute_cycle(self):
        for enrollment in self:
            start = enrollment.date_start or fields.Date.context_today(self)
            enrollment.cycle_start = start
            enrollment.cycle_end = start + relativedelta(years=1, days=-1)

    def _compute_touch_counts(self):
        counts = {
            (enrollment, state): count
            for enrollment, state, count in self.env["touch.plan.touch"]._read_group(
                [("enrollment_id", "in", self.ids)], ["enrollment_id", "state"], ["__count"]
            )
        }
        for enrollment in self:
            enrollment.touch_done_count = counts.get((enrollment, "done"), 0)
            enrollment.touch_planned_count = counts.get((enrollment, "planned"), 0) + counts.get(
                (enrollment, "scheduled"), 0
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("partner_id") and not vals.get("res_model"):
                vals.setdefault("res_model", "res.partner")
                vals.setdefault("res_id", vals["partner_id"])
        plans = self.env["touch.plan"].browse(
            [vals["plan_id"] for vals in vals_list if vals.get("plan_id")]
        )
        plans._check_enrollable()
        self._check_running_unique(vals_list)
        return super().create(vals_list)

    def _check_running_unique(self, vals_list):
        """Refuse a second running enrollment of a record in a plan, with a clear message."""
        keys = [
            (vals.get("plan_id"), vals.get("res_model"), vals.get("res_id"))
            for vals in vals_list
            if vals.get("state", "active") in ("active", "paused")
        ]
        if not keys:
            return
        existing = self.sudo().search_fetch(
            [
                ("plan_id", "in", [key[0] for key in keys]),
                ("res_id", "in", [key[2] for key in keys]),
                ("state", "in", ("active", "paused")),
            ],
            ["plan_id", "res_model", "res_id"],
        )
        taken = {(e.plan_id.id, e.res_model, e.res_id): e for e in existing}
        if len(set(keys)) < len(keys):
            raise UserError(_("The same record cannot be enrolled twice in one plan."))
        for key in keys:
            if key in taken:
                raise UserError(
                    _(
                        "%(record)s is already enrolled in plan %(plan)s.",
                        record=taken[key].name,
                        plan=taken[key].plan_id.name,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_pause(self):
        self.filtered(lambda e: e.state == "active").write({"state": "paused"})

    def action_resume(self):
        paused = self.filtered(lambda e: e.state == "paused")
        paused.write({"state": "active"})
        today = fields.Date.context_today(self)
        paused.touch_ids.filtered(
            lambda t: t.state == "planned" and t.scheduled_date < today
        ).write({"state": "skipped", "skip_reason": _("Due while the enrollment was paused")})

    def action_cancel(self):
        self.filtered(lambda e: e.state in ("active", "paused"))._end(
            "cancelled", _("Cancelled by %(user)s", user=self.env.user.name)
        )

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def action_view_touches(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("touch_plan.touch_plan_touch_action")
        action["domain"] = [("enrollment_id", "=", self.id)]
        action["context"] = {"search_default_group_state": 0}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    def _end(self, state, reason):
        """End the enrollments: open touches are cancelled, their activities removed."""
        if not self:
            return
        self.write(
            {
                "state": state,
                "end_reason": reason,
                "date_end": fields.Date.context_today(self),
            }
        )
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search([("enrollment_id", "in", self.ids), ("state", "in", ("planned", "scheduled"))])
        )
        activities = touches.activity_id
        touches.write({"state": "cancelled", "skip_reason": reason})
        activities.sudo().unlink()

    def _prepare_touch_values(self, step, day, occurrence):
        """Values of a touch of ``step`` on ``day``, complete.

        The related and computed columns are filled in too (with the values
        their computation gives) so that touches created in bulk are written
        by their INSERT alone, without being computed and updated after it.
        """
        self.ensure_one()
        return {
            "enrollment_id": self.id,
            "plan_id": self.plan_id.id,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "user_id": (step.user_id or self.user_id).id,
            "state": "planned",
            "step_id": step.id,
            "name": step.name,
            "kind": step.kind,
            "channel": step.channel,
            "scheduled_date": day,
            "cycle_start": self.cycle_start,
            "occurrence": occurrence,
            "referral_ask": step.referral_ask,
        }

    def _generate_touches(self, steps=None, date_from=None):
        """Create the missing touches of the current cycle of the enrollments.

        Idempotent: a touch is identified by enrollment, step, cycle and
        occurrence, so running it again creates nothing. The number of queries
        depends on the number of plans and steps, not of enrollments.

        :param steps: only these steps (plan edition); all active steps if None
        :param date_from: only touches on or after this date (plan edition)
        """
        enrollments = self.sudo().filtered(lambda e: e.state in ("active", "paused"))
        if not enrollments:
            return self.env["touch.plan.touch"]
        Touch = self.env["touch.plan.touch"].sudo()
        Touch.flush_model()
        existing = {
            tuple(row)
            for row in self.env.execute_query(
                SQL(
                    """SELECT enrollment_id, step_id, cycle_start, occurrence
                         FROM touch_plan_touch WHERE enrollment_id = ANY(%s)""",
                    enrollments.ids,
                )
            )
        }
        vals_list = []
        for plan, plan_enrollments in enrollments.grouped("plan_id").items():
            plan_steps = plan.step_ids.filtered("active")
            if steps is not None:
                plan_steps &= steps
            for step in plan_steps:
                dates = step._get_dates(plan_enrollments)
                for enrollment in plan_enrollments:
                    for occurrence, day in enumerate(dates[enrollment.id], 1):
                        key = (enrollment.id, step.id, enrollment.cycle_start, occurrence)
                        if key in existing or (date_from and day < date_from):
                            continue
                        vals_list.append(enrollment._prepare_touch_values(step, day, occurrence))
        touches = Touch._create_planned(vals_list)
        if steps is None:
            enrollments.filtered(lambda e: not e.touches_generated).touches_generated = True
        return touches

    def _touch_plan_thank(self, count=1):
        """Plan the 'when the client refers someone' touches (thank-you), ``count`` times.

        Capped at each step's count per cycle.
        """
        steps = self.plan_id.step_ids.filtered(lambda s: s.active and s.timing == "referral")
        if not steps:
            return self.env["touch.plan.touch"]
        Touch = self.env["touch.plan.touch"].sudo()
        counts = {
            (enrollment.id, step.id, cycle_start): number
            for enrollment, step, cycle_start, number in Touch._read_group(
                [("enrollment_id", "in", self.ids), ("step_id", "in", steps.ids)],
                ["enrollment_id", "step_id", "cycle_start:day"],
                ["__count"],
            )
        }
        today = fields.Date.context_today(self)
        vals_list = []
        for enrollment in self:
            for step in steps.filtered(lambda s, e=enrollment: s.plan_id == e.plan_id):
                done = counts.get((enrollment.id, step.id, enrollment.cycle_start), 0)
                for occurrence in range(done + 1, min(done + count, step.count) + 1):
                    vals_list.append(
                        enrollment._prepare_touch_values(
                            step, today + relativedelta(days=step.offset_days), occurrence
                        )
                    )
        return Touch.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)

    @api.model
    def _renew_cycles(self):
        """Start the next yearly cycle of running enrollments whose cycle ended."""
        self.flush_model()
        today = fields.Date.context_today(self)
        renewed = set()
        for _year in range(10):  # catch up at most ten missed years
            rows = self.env.execute_query(
                SQL(
                    """UPDATE touch_plan_enrollment
                          SET cycle_start = cycle_end + 1,
                              cycle_end = (cycle_end + interval '1 year')::date,
                              touches_generated = FALSE,
                              write_date = now() AT TIME ZONE 'UTC'
                        WHERE state = 'active' AND cycle_end < %s
                    RETURNING id""",
                    today,
                )
            )
            if not rows:
                break
            renewed.update(row[0] for row in rows)
        self.invalidate_model(["cycle_start", "cycle_end", "touches_generated"])
        return self.browse(sorted(renewed))

    @api.model
    def _cron_generate(self, batch_size=200):
        """Daily job: enroll, renew cycles, create touches, turn due touches into work.

        Work is done in batches committed one by one (outside tests), so a
        crash only loses the batch it happened in; every step is idempotent,
        so the next run resumes where it stopped.
        """
        self.env["touch.plan"].search([("auto_enroll", "=", True)])._auto_enroll()
        self._renew_cycles()
        self._touch_plan_commit()
        to_generate = self.search([("state", "=", "active"), ("touches_generated", "=", False)])
        Touch = self.env["touch.plan.touch"]
        total = len(to_generate)
        done = 0
        for batch in split_every(batch_size, to_generate.ids, self.browse):
            batch._generate_touches()
            done += len(batch)
            self._touch_plan_commit(done=done, remaining=total - done)
        due = Touch.search(Touch._get_due_domain())
        total, done = len(due), 0
        for batch in split_every(batch_size, due.ids, Touch.browse):
            batch._process_due()
            done += len(batch)
            self._touch_plan_commit(done=done, remaining=total - done)
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return True

    def _touch_plan_commit(self, done=0, remaining=0):
        """Record the progress of the cron and commit the batch (never in tests)."""
        if done or remaining:
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if not modules.module.current_test:
            self.env.cr.commit()  # pylint: disable=invalid-commit
