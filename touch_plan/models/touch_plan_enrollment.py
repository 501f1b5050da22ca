import logging

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

_logger = logging.getLogger(__name__)

# due touches sent or scheduled per batch when a large set is enrolled at once
START_BATCH_SIZE = 1000


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
    cycle_start = fields.Date(compute="_compute_cycle", store=True, readonly=False, precompute=True)
    cycle_end = fields.Date(compute="_compute_cycle", store=True, readonly=False, precompute=True)
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
    error_date = fields.Date(
        string="Failed On",
        readonly=True,
        copy=False,
        help="The daily job failed on this enrollment that day (the error is in the "
        "chatter); it tries again the next day.",
    )
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
        names = {}
        for model, enrollments in self.grouped("res_model").items():
            if model in self.env:
                records = self.env[model].browse(set(enrollments.mapped("res_id"))).exists()
                names.update(((model, record.id), record.display_name) for record in records)
        for enrollment in self:
            name = names.get((enrollment.res_model, enrollment.res_id), "")
            enrollment.name = f"{enrollment.plan_id.name} - {name}"

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
            enrollment.cycle_start, enrollment.cycle_end = self._get_first_cycle(
                enrollment.date_start
            )

    @api.model
    def _get_first_cycle(self, date_start):
        """``(first day, last day)`` of the first yearly cycle of an enrollment."""
        start = fields.Date.to_date(date_start) or fields.Date.context_today(self)
        return start, start + relativedelta(years=1, days=-1)

    def _compute_touch_counts(self):
        """Touches of the current cycle (the figures the client's form shows)."""
        counts = {
            (enrollment, state): count
            for enrollment, state, cycle_start, count in self.env["touch.plan.touch"]._read_group(
                [("enrollment_id", "in", self.ids)],
                ["enrollment_id", "state", "cycle_start:day"],
                ["__count"],
            )
            if cycle_start == enrollment.cycle_start
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
            # the cycle in the INSERT, not computed and written after it
            if vals.get("date_start") and not ("cycle_start" in vals or "cycle_end" in vals):
                vals["cycle_start"], vals["cycle_end"] = self._get_first_cycle(vals["date_start"])
        plans = self.env["touch.plan"].browse(
            {vals["plan_id"] for vals in vals_list if vals.get("plan_id")}
        )
        plans._check_enrollable()
        self._check_running_unique(vals_list)
        if self.env.context.get("tracking_disable"):
            enrollments = super().create(vals_list)
        else:
            # mail.thread's create follows and notifies the responsible of each new
            # enrollment one at a time (queries per enrollment): done once per
            # responsible instead, without an "assigned to you" email per enrollment
            # (their touches reach the rep as activities)
            bulk = self.with_context(tracking_disable=True)
            enrollments = super(TouchPlanEnrollment, bulk).create(vals_list).with_env(self.env)
            enrollments._message_start()
        enrollments._start()
        return enrollments

    def _message_start(self):
        """The chatter of new enrollments, in bulk: the creator and each responsible
        follow them, and their creation is logged (as ``mail.thread.create``)."""
        if not self:
            return
        context = self.env.context
        if not context.get("mail_create_nosubscribe") and self.env.user.active:
            self._message_subscribe(partner_ids=self.env.user.partner_id.ids)
        for user, enrollments in self.grouped("user_id").items():
            if user and user.active:
                enrollments._message_subscribe(partner_ids=user.partner_id.ids)
        if not context.get("mail_create_nolog"):
            message = self[:1]._creation_message()
            self._message_log_batch(bodies=dict.fromkeys(self.ids, message))

    def _start(self):
        """Plan the cycle's touches of new enrollments and turn those already
        due (within the plan's lead time) into work at once: whatever the way
        of enrolling (form, wizard, auto-enrolment, move to another plan).

        Enrollments created with ``touches_generated`` set bring their touches
        themselves (e.g. an import of last year's history).
        """
        running = self.filtered(lambda e: e.state == "active" and not e.touches_generated)
        # a large enrolment works in bounded batches and drops the caches between
        # them, so that its memory does not grow with the number of clients
        batches = list(split_every(START_BATCH_SIZE, running.ids, running.browse))
        for batch in batches:
            batch._plan_touches()[1]._process_due()
            if len(batches) > 1:
                self.env.invalidate_all()

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

    def _prepare_touch_values(self, step, day, occurrence, cache=None):
        """Values of a touch of ``step`` on ``day``, complete.

        The stored computed columns are filled in too (with the values their
        computation gives) so that touches created in bulk are written by their
        INSERT alone, without being computed and updated after it.
        The touch is named after its step in the responsible's language.

        :param cache: optional dict for bulk callers, kept across calls: the
            values of each enrollment and step are computed once, only the day
            and the occurrence change from one touch to the next (an override
            adding values must not make them depend on the day either)
        """
        self.ensure_one()
        cache = {} if cache is None else cache
        key = (self.id, step.id)
        if key not in cache:
            # what depends on the enrollment, then on the step for such an enrollment
            enrollment_key = ("enrollment", self.id)
            if enrollment_key not in cache:
                cache[enrollment_key] = (
                    self.user_id,
                    self.partner_id.touch_plan_preferred_channel,
                    self.cycle_start,
                )
            responsible, preferred, cycle_start = cache[enrollment_key]
            step_key = ("step", step.id, responsible.id, preferred)
            if step_key not in cache:
                user = step.user_id or responsible
                lang = user.lang or self.env.lang or "en_US"
                cache[step_key] = {
                    "user_id": user.id,
                    "state": "planned",
                    "step_id": step.id,
                    "name": step.with_context(lang=lang).name,
                    "kind": step.kind,
                    "channel": step._get_channel_for(preferred),
                    "referral_ask": step.referral_ask,
                }
            cache[key] = dict(cache[step_key], enrollment_id=self.id, cycle_start=cycle_start)
        return dict(cache[key], scheduled_date=day, occurrence=occurrence)

    def _generate_touches(self, steps=None, date_from=None):
        """Create the missing touches of the current cycle of the enrollments.

        Idempotent: a touch is identified by enrollment, step, cycle and
        occurrence, so running it again creates nothing. The number of queries
        depends on the number of plans and steps, not of enrollments.

        :param steps: only these steps (plan edition); all active steps if None
        :param date_from: only touches on or after this date (plan edition)
        :return: the new touches
        """
        return self._plan_touches(steps, date_from)[0]

    def _plan_touches(self, steps=None, date_from=None):
        """:meth:`_generate_touches`, and which of the new touches are due now
        (sorted out from their values, see ``touch.plan.touch._get_due_limits``).

        :return: ``(new touches, those due)``
        """
        Touch = self.env["touch.plan.touch"].sudo()
        enrollments = self.filtered(lambda e: e.state in ("active", "paused"))
        if not enrollments:
            return Touch.browse(), Touch.browse()
        # the user's right on the enrollments; creating their touches is the engine's work
        enrollments.check_access("write")
        enrollments = enrollments.sudo()
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
        # touches of "preferred channel" steps take the channel the rules give each client
        preferring = enrollments.filtered(
            lambda e: any(step.channel == "preferred" for step in e.plan_id.step_ids)
        )
        if preferring:
            self.env["touch.plan.channel.rule"]._apply_rules(preferring.partner_id)
        limits = Touch._get_due_limits(enrollments.plan_id)
        vals_list = []
        due = []
        cache = {}
        for plan, plan_enrollments in enrollments.grouped("plan_id").items():
            plan_steps = plan.step_ids.filtered("active")
            if steps is not None:
                plan_steps &= steps
            running = {e.id: (e.cycle_start, e.state == "active") for e in plan_enrollments}
            for step in plan_steps:
                dates = step._get_dates(plan_enrollments)
                for enrollment in plan_enrollments:
                    cycle_start, active = running[enrollment.id]
                    for occurrence, day in enumerate(dates[enrollment.id], 1):
                        key = (enrollment.id, step.id, cycle_start, occurrence)
                        if key in existing or (date_from and day < date_from):
                            continue
                        vals = enrollment._prepare_touch_values(step, day, occurrence, cache)
                        due.append(active and Touch._is_due(limits, plan.id, vals["channel"], day))
                        vals_list.append(vals)
        touches = Touch._create_planned(vals_list)
        if steps is None:
            enrollments.filtered(lambda e: not e.touches_generated).touches_generated = True
        due_ids = [id_ for id_, is_due in zip(touches.ids, due, strict=True) if is_due]
        return touches, touches.browse(due_ids)

    def _touch_plan_thank(self, count=1):
        """Plan the 'when the client refers someone' touches (thank-you).

        Capped at each step's count per cycle.

        :param count: thank-yous per enrollment, or ``{res_id: count}`` (one per
            new referral of each enrolled record)
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
            number = count.get(enrollment.res_id, 0) if isinstance(count, dict) else count
            for step in steps.filtered(lambda s, e=enrollment: s.plan_id == e.plan_id):
                done = counts.get((enrollment.id, step.id, enrollment.cycle_start), 0)
                for occurrence in range(done + 1, min(done + number, step.count) + 1):
                    vals_list.append(
                        enrollment._prepare_touch_values(
                            step, today + relativedelta(days=step.offset_days), occurrence
                        )
                    )
        touches = Touch._create_planned(vals_list)
        touches._filter_due()._process_due()
        return touches

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

    def _end_orphans(self):
        """End the running enrollments of ``self`` whose enrolled record no
        longer exists (one query per enrolled model). Returns them."""
        orphans = self.browse()
        running = self.filtered(lambda e: e.state in ("active", "paused"))
        for model, enrollments in running.grouped("res_model").items():
            if model not in self.env:
                orphans |= enrollments
                continue
            existing = set(self.env[model].browse(set(enrollments.mapped("res_id"))).exists().ids)
            orphans |= enrollments.filtered(lambda e, ids=existing: e.res_id not in ids)
        orphans._end("cancelled", _("The enrolled record was deleted."))
        return orphans

    @api.model
    def _search_orphans(self):
        """All running enrollments whose record is gone, by one anti-join per model."""
        self.flush_model(["res_model", "res_id", "state"])
        models_rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT res_model FROM touch_plan_enrollment
                    WHERE state IN ('active', 'paused')"""
            )
        )
        ids = []
        for (model,) in models_rows:
            if model not in self.env or self.env[model]._abstract or not self.env[model]._auto:
                query = SQL(
                    """SELECT id FROM touch_plan_enrollment
                        WHERE state IN ('active', 'paused') AND res_model = %s""",
                    model,
                )
            else:
                self.env[model].flush_model()
                query = SQL(
                    """SELECT enrollment.id
                         FROM touch_plan_enrollment AS enrollment
                    LEFT JOIN %s AS record ON record.id = enrollment.res_id
                        WHERE enrollment.state IN ('active', 'paused')
                          AND enrollment.res_model = %s
                          AND record.id IS NULL""",
                    SQL.identifier(self.env[model]._table),
                    model,
                )
            ids.extend(row[0] for row in self.env.execute_query(query))
        return self.browse(ids)

    def _get_to_generate_domain(self):
        return [
            ("state", "=", "active"),
            ("touches_generated", "=", False),
            ("error_date", "!=", fields.Date.context_today(self)),
        ]

    @api.model
    def _cron_generate(self, batch_size=500):
        """Daily job: enroll, renew cycles, create touches, turn due touches into work.

        Each call does a bounded amount of work (at most ``batch_size``
        enrollments to plan and ``batch_size`` due touches), reports its
        progress and returns: ``ir.cron`` calls it again while work remains,
        so a large book never runs into the server's cron time limit. Every
        step is idempotent, so a crash only loses the current call's work.
        """
        done, remaining = self._cron_generate_batch(batch_size)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _cron_generate_batch(self, batch_size=500):
        """One bounded call of the daily job; returns ``(done, remaining)``."""
        Touch = self.env["touch.plan.touch"]
        self._search_orphans()._end_orphans()
        enrolled = (
            self.env["touch.plan"]
            .search([("auto_enroll", "=", True)])
            ._auto_enroll(limit=batch_size)
        )
        self._renew_cycles()
        # A/B tests whose window is over: their winner takes the planned touches
        self.env["touch.plan.step"]._cron_select_ab_winners()
        to_generate = self.search(self._get_to_generate_domain(), limit=batch_size)
        to_generate._run_isolated(lambda enrollments: enrollments._generate_touches())
        due = Touch.search(Touch._get_due_domain(), limit=batch_size)
        due.enrollment_id._run_isolated(
            lambda enrollments: due.filtered(
                lambda t: t.enrollment_id in enrollments
            )._process_due()
        )
        # a due touch nothing could carry out (e.g. a channel without a way) is an error too
        today = fields.Date.context_today(self)
        stuck = due.filtered(
            lambda t: (
                t.state == "planned"
                and t.enrollment_id.state == "active"
                and t.enrollment_id.error_date != today
            )
        )
        stuck.enrollment_id._log_failure(
            {
                touch.enrollment_id.id: _(
                    "Touch %(touch)s could not be carried out (channel %(channel)s).",
                    touch=touch.name,
                    channel=touch.channel,
                )
                for touch in stuck
            }
        )
        # successful enrollments of earlier failures are clean again
        (to_generate | due.enrollment_id).filtered(
            lambda e: e.error_date and e.error_date != today
        ).write({"error_date": False})
        # what is left, counted up to a few batches: enough for ir.cron to call
        # again, where an exact count would read the whole backlog on every call
        cap = 10 * batch_size
        remaining = self.search_count(self._get_to_generate_domain(), limit=cap)
        remaining += Touch.search_count(Touch._get_due_domain(), limit=cap)
        # a full auto-enrolment batch may leave records to enroll: call again
        remaining += int(len(enrolled) >= batch_size)
        done = len(enrolled) + len(to_generate) + len(due)
        # the batch is written: drop the caches, so the job's memory stays flat
        self.env.invalidate_all()
        return done, remaining

    def _run_isolated(self, function):
        """Run ``function(enrollments)`` on ``self`` at once; if it fails, again
        per enrollment in a savepoint each, so that one failing record is
        logged on its enrollment and skipped, never stopping the others."""
        if not self:
            return
        try:
            with self.env.cr.savepoint():
                function(self)
            return
        except Exception:
            self.env.invalidate_all()
        failed = self.browse()
        errors = {}
        for enrollment in self:
            try:
                with self.env.cr.savepoint():
                    function(enrollment)
            except Exception as error:
                self.env.invalidate_all()
                _logger.warning(
                    "Touch plan job: enrollment %s failed and is skipped until tomorrow",
                    enrollment.id,
                    exc_info=True,
                )
                failed |= enrollment
                errors[enrollment.id] = error
        failed._log_failure(errors)

    def _log_failure(self, errors):
        """Log on each enrollment why the daily job skipped it, and leave it for tomorrow.

        :param errors: ``{enrollment_id: error or message}``
        """
        if not self:
            return
        self.write({"error_date": fields.Date.context_today(self)})
        for enrollment in self:
            enrollment.message_post(
                body=Markup("<p>%s</p><pre>%s</pre>")
                % (
                    _("The daily touch plan job failed on this enrollment and skipped it:"),
                    str(errors.get(enrollment.id, "")),
                ),
            )
