import datetime
from collections import defaultdict

import pytz
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..tools import insert_rows
from .touch_plan_step import CHANNEL_OUTCOMES, CHANNELS, MANUAL_CHANNELS, OUTCOMES, TOUCH_KINDS

ACTIVITY_TYPES = {
    "call": "touch_plan.mail_activity_type_touch_call",
    "card": "touch_plan.mail_activity_type_touch_card",
    "letter": "touch_plan.mail_activity_type_touch_letter",
    "gift": "touch_plan.mail_activity_type_touch_gift",
}


class TouchPlanTouch(models.Model):
    _name = "touch.plan.touch"
    _description = "Planned Touch"
    _inherit = ["mail.thread"]
    _order = "scheduled_date, id"

    name = fields.Char(required=True)
    enrollment_id = fields.Many2one(
        "touch.plan.enrollment", required=True, ondelete="cascade", index=True
    )
    plan_id = fields.Many2one(related="enrollment_id.plan_id", store=True, index=True)
    step_id = fields.Many2one("touch.plan.step", ondelete="set null", index=True)
    partner_id = fields.Many2one(
        related="enrollment_id.partner_id", store=True, index=True, string="Client"
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        index=True,
    )
    company_id = fields.Many2one(related="enrollment_id.company_id", store=True, index=True)
    kind = fields.Selection(TOUCH_KINDS, required=True, default="custom")
    channel = fields.Selection(CHANNELS, required=True, default="email")
    cycle_start = fields.Date(required=True)
    occurrence = fields.Integer(required=True, default=1)
    scheduled_date = fields.Date(required=True, index=True)
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("scheduled", "In Activities"),
            ("done", "Done"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        required=True,
        default="planned",
        index=True,
        tracking=True,
    )
    activity_id = fields.Many2one(
        "mail.activity",
        ondelete="set null",
        readonly=True,
        help="The responsible's activity on the client carrying out this touch.",
    )
    activity_date_deadline = fields.Date(related="activity_id.date_deadline", string="Activity Due")
    partner_phone = fields.Char(related="partner_id.phone", string="Phone")
    partner_mobile = fields.Char(related="partner_id.mobile", string="Mobile")
    partner_email = fields.Char(related="partner_id.email", string="Email Address")
    mail_id = fields.Many2one("mail.mail", string="Email", ondelete="set null", readonly=True)
    message_sent_id = fields.Many2one(
        "mail.message", string="Sent Message", ondelete="set null", readonly=True
    )
    outcome = fields.Selection(OUTCOMES, tracking=True)
    skip_reason = fields.Char(tracking=True)
    done_date = fields.Date(index=True)
    referral_ask = fields.Boolean(default=True)
    trigger_touch_id = fields.Many2one(
        "touch.plan.touch", string="Triggered By", ondelete="set null", readonly=True
    )
    color = fields.Integer(compute="_compute_color")

    _sql_constraints = [
        (
            "occurrence_uniq",
            "unique (enrollment_id, step_id, cycle_start, occurrence)",
            "A touch of this step already exists for this occurrence of the cycle.",
        ),
    ]

    @api.constrains("outcome", "channel")
    def _check_outcome(self):
        for touch in self.filtered("outcome"):
            if touch.outcome not in CHANNEL_OUTCOMES.get(touch.channel, {touch.outcome}):
                raise ValidationError(
                    _(
                        "Touch %(touch)s by %(channel)s cannot have the outcome %(outcome)s.",
                        touch=touch.name,
                        channel=dict(self._fields["channel"]._description_selection(self.env))[
                            touch.channel
                        ],
                        outcome=dict(self._fields["outcome"]._description_selection(self.env))[
                            touch.outcome
                        ],
                    )
                )

    @api.depends("enrollment_id.user_id", "step_id.user_id")
    def _compute_user_id(self):
        for touch in self:
            touch.user_id = touch.step_id.user_id or touch.enrollment_id.user_id

    @api.depends("state")
    def _compute_color(self):
        colors = {"planned": 0, "scheduled": 4, "done": 10, "skipped": 2, "cancelled": 1}
        for touch in self:
            touch.color = colors.get(touch.state, 0)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_done_reached(self):
        self._action_done_with("reached")

    def action_done_no_answer(self):
        self._action_done_with("no_answer")

    def action_done_voicemail(self):
        self._action_done_with("voicemail")

    def action_done(self):
        self._action_done_with(False)

    def action_skip(self):
        open_touches = self.filtered(lambda t: t.state in ("planned", "scheduled"))
        activities = open_touches.activity_id
        open_touches.write(
            {"state": "skipped", "skip_reason": _("Skipped by %(user)s", user=self.env.user.name)}
        )
        activities.unlink()

    def _action_done_with(self, outcome):
        touches = self.filtered(lambda t: t.state in ("planned", "scheduled"))
        with_activity = touches.filtered("activity_id")
        if with_activity:
            with_activity.activity_id.with_context(touch_plan_outcome=outcome).action_feedback()
        (touches - with_activity)._mark_done(outcome)

    # ------------------------------------------------------------------
    # Bulk creation
    # ------------------------------------------------------------------

    @api.model
    def _create_planned(self, vals_list):
        """Create the engine's planned touches in bulk (see :func:`insert_rows`).

        The engine creates the touches of a whole cycle at once (about 30 per
        client, hundreds of thousands a night for a large book), where the ORM's
        ``create`` costs several times the INSERT itself. ``vals_list`` holds
        complete values, computed and related columns included (see
        ``touch.plan.enrollment._prepare_touch_values``); as for the engine's
        creates before: no chatter message, no follower and no tracking.
        Touches have no Python constraint on creation values, and no stored
        field of another model depends on them.

        Privileged: reps cannot create touches, the engine does it for them.
        The caller checks the user's right on the enrollments
        (``touch.plan.enrollment._generate_touches``).
        """
        return insert_rows(self.sudo(), vals_list)

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    @api.model
    def _get_due_domain(self):
        """Touches to turn into work today: emails due, manual touches within lead time.

        Enrollments that failed today are left for tomorrow (their error is in
        their chatter), so that one bad record never keeps the job running.
        """
        today = fields.Date.context_today(self)
        plans = self.env["touch.plan"].with_context(active_test=False).search([])
        manual = expression.OR(
            [
                [
                    ("plan_id", "=", plan.id),
                    (
                        "scheduled_date",
                        "<=",
                        today + datetime.timedelta(days=plan.activity_days_ahead),
                    ),
                ]
                for plan in plans
            ]
            or [[("id", "=", 0)]]
        )
        return expression.AND(
            [
                [
                    ("state", "=", "planned"),
                    ("enrollment_id.state", "=", "active"),
                    ("enrollment_id.error_date", "!=", today),
                ],
                expression.OR(
                    [
                        [("channel", "=", "email"), ("scheduled_date", "<=", today)],
                        expression.AND([[("channel", "!=", "email")], manual]),
                    ]
                ),
            ]
        )

    def _filter_due(self):
        """The touches of ``self`` due now (emails on their day, manual ones
        within their plan's lead time), read from memory."""
        today = fields.Date.context_today(self)
        return self.filtered(
            lambda t: (
                t.state == "planned"
                and t.enrollment_id.state == "active"
                and t.scheduled_date
                <= (
                    today
                    if t.channel == "email"
                    else today + datetime.timedelta(days=t.plan_id.activity_days_ahead)
                )
            )
        )

    def _process_due(self):
        """Send the due email touches and give the manual ones to the reps.

        Touches whose enrolled record no longer exists end their enrollment.
        """
        # bulk job: no tracking message per touch (the client's chatter logs the emails)
        touches = (
            self.sudo()
            .with_context(tracking_disable=True)
            .filtered(lambda t: t.state == "planned" and t.enrollment_id.state == "active")
        )
        orphans = touches.enrollment_id._end_orphans()
        touches = touches.filtered(lambda t: t.enrollment_id not in orphans)
        emails = touches.filtered(lambda t: t.channel == "email")
        fallback = emails._send_emails()
        (touches - emails | fallback)._schedule_activities()

    def _get_records(self):
        """Return ``{touch_id: record}`` of the enrolled records, read per model.

        Touches whose record was deleted (or whose model is gone) are left out.
        """
        records = {}
        for model, touches in self.grouped(lambda t: t.enrollment_id.res_model).items():
            if model not in self.env:
                continue
            browsed = self.env[model].browse(touches.enrollment_id.mapped("res_id")).exists()
            by_id = {record.id: record for record in browsed}
            for touch in touches:
                record = by_id.get(touch.enrollment_id.res_id)
                if record:
                    records[touch.id] = record
        return records

    def _get_email_block_reason(self, record):
        """Why ``record`` must get no email (consent first), or False."""
        if "is_blacklisted" in record._fields and record.is_blacklisted:
            return _("The client's email address is blacklisted (unsubscribed).")
        partner = self.partner_id
        if partner.touch_plan_email_opt_out or partner.is_blacklisted:
            return _("The client opted out of emails.")
        if "active" in record._fields and not record.active:
            return _("The client is archived.")
        return False

    def _send_emails(self):
        """Send the email touches with their step's template, in batches per template.

        Touches of clients who opted out are skipped with the reason; those of
        clients without an email address switch to the step's fallback channel
        (returned, to be scheduled as activities) or are skipped.
        """
        records = self._get_records()
        to_send = defaultdict(lambda: self.browse())
        skipped = defaultdict(lambda: self.browse())
        fallback = defaultdict(lambda: self.browse())
        for touch in self:
            record = records[touch.id]
            reason = touch._get_email_block_reason(record)
            email = record[getattr(type(record), "_primary_email", "email")]
            template = touch.step_id.mail_template_id
            if reason:
                skipped[reason] |= touch
            elif not email:
                if touch.step_id.fallback_channel:
                    fallback[touch.step_id.fallback_channel] |= touch
                else:
                    skipped[
                        _("The client has no email address and the step has no fallback channel.")
                    ] |= touch
            elif not template:
                skipped[_("The step has no email template.")] |= touch
            else:
                to_send[template, touch.referral_ask] |= touch
        for reason, touches in skipped.items():
            touches.write({"state": "skipped", "skip_reason": reason})
        for channel, touches in fallback.items():
            touches.write({"channel": channel})
        for (template, referral_ask), touches in to_send.items():
            # one mail per record and template per call: a record twice due gets two calls
            while touches:
                batch = self.browse()
                seen = set()
                for touch in touches:
                    if records[touch.id].id not in seen:
                        seen.add(records[touch.id].id)
                        batch |= touch
                touches -= batch
                # Odoo's send_mail_batch mails, each template field compiled once
                mails = template.with_context(
                    touch_plan_no_referral_ask=not referral_ask
                )._touch_plan_send_mail_batch([records[touch.id].id for touch in batch])
                batch._link_sent_mails(mails)
                # the same path as activities and buttons: follow-ups are planned
                batch._mark_done("sent")
        return self.browse().union(*fallback.values())

    def _link_sent_mails(self, mails):
        """Link each touch to its mail (same order), in one UPDATE."""
        self.flush_recordset(["mail_id", "message_sent_id"])
        self.env.execute_query(
            SQL(
                """UPDATE touch_plan_touch AS touch
                      SET mail_id = link.mail_id, message_sent_id = link.message_id
                     FROM unnest(%s::int[], %s::int[], %s::int[])
                          AS link(touch_id, mail_id, message_id)
                    WHERE touch.id = link.touch_id""",
                self.ids,
                mails.ids,
                [mail.mail_message_id.id for mail in mails],
            )
        )
        self.invalidate_recordset(["mail_id", "message_sent_id"])

    def _get_work_days(self, company, date_from, date_to):
        """Working days of the company's calendar (weekends and public holidays off)."""
        calendar = company.resource_calendar_id
        if not calendar:
            return {
                date_from + datetime.timedelta(days=n)
                for n in range((date_to - date_from).days + 1)
                if (date_from + datetime.timedelta(days=n)).weekday() < 5
            }
        tz = pytz.timezone(calendar.tz or "UTC")
        start = tz.localize(datetime.datetime.combine(date_from, datetime.time.min))
        end = tz.localize(datetime.datetime.combine(date_to, datetime.time.max))
        intervals = calendar._work_intervals_batch(
            start,
            end,
            domain=[("time_type", "=", "leave"), ("company_id", "in", (False, company.id))],
        )[False]
        return {interval[0].date() for interval in intervals}

    def _get_deadlines(self):
        """Activity deadline of each touch: its date moved to a working day.

        A date on a weekend or public holiday moves to the previous working
        day (a card arrives in time), but never before today in the
        responsible's time zone; then to the next working day.
        """
        deadlines = {}
        for company, touches in self.grouped("company_id").items():
            first = min(touches.mapped("scheduled_date")) - datetime.timedelta(days=15)
            last = max(touches.mapped("scheduled_date")) + datetime.timedelta(days=400)
            work_days = self._get_work_days(company, first, last)
            for user, user_touches in touches.grouped("user_id").items():
                user_today = fields.Date.context_today(
                    self.with_context(tz=user.tz or self.env.context.get("tz"))
                )
                for touch in user_touches:
                    day = touch.scheduled_date
                    while day not in work_days and day > first:
                        day -= datetime.timedelta(days=1)
                    if day not in work_days or day < user_today:
                        day = max(touch.scheduled_date, user_today)
                        while day not in work_days and day < last:
                            day += datetime.timedelta(days=1)
                    deadlines[touch.id] = day
        return deadlines

    def _get_activity_texts(self):
        """Summary and note of the touch's activity, in the language of ``self.env``.

        The note is HTML: the step's instructions (``Markup``) followed by the
        referral ask, the text escaped into its paragraph, never the tags.
        """
        self.ensure_one()
        step = self.step_id
        note = Markup(step.note or "")
        if self.referral_ask:
            note += Markup("<p>%s</p>") % _(
                "Referral ask: remind the client that you welcome the names of friends "
                "or colleagues who could use your help, and how to reach you."
            )
        summary = _(
            "%(touch)s: %(client)s",
            touch=step.name or self.name,
            client=self.partner_id.display_name or self.enrollment_id.name,
        )
        return summary, note

    def _prepare_activity_values(self, deadline, record, activity_types):
        """Values of the activity of the touch, on the enrolled ``record``, in the
        responsible's language."""
        self.ensure_one()
        user = self.user_id or self.env.user
        activity_type = self.step_id.activity_type_id or activity_types.get(self.channel)
        summary, note = self.with_context(lang=user.lang or self.env.lang)._get_activity_texts()
        return {
            "res_model_id": self.env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "touch_plan_touch_id": self.id,
            "activity_type_id": activity_type.id if activity_type else False,
            "summary": summary,
            "note": note,
            "date_deadline": deadline,
            "user_id": user.id,
        }

    def _schedule_activities(self):
        """Create the reps' activities of manual touches on the clients, in one batch."""
        touches = self.filtered(lambda t: t.state == "planned" and t.channel in MANUAL_CHANNELS)
        records = touches._get_records()
        touches = touches.filtered(lambda t: t.id in records)
        if not touches:
            return self.env["mail.activity"]
        deadlines = touches._get_deadlines()
        activity_types = {
            channel: self.env.ref(xmlid, raise_if_not_found=False)
            for channel, xmlid in ACTIVITY_TYPES.items()
        }
        vals_list = [
            touch._prepare_activity_values(deadlines[touch.id], records[touch.id], activity_types)
            for touch in touches
        ]
        # the notes are the steps' texts: sanitized once per distinct note, not per activity
        notes = [vals.pop("note") for vals in vals_list]
        # the activities' document names, read for the batch at once, not once per activity
        for model, model_touches in touches.grouped(lambda t: records[t.id]._name).items():
            self.env[model].browse([records[t.id].id for t in model_touches]).mapped("display_name")
        activities = (
            self.env["mail.activity"]
            .sudo()
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )
        activities._touch_plan_set_notes(notes)
        touches.write({"state": "scheduled"})
        # link each touch to its activity in one UPDATE, not one write per touch
        touches.flush_recordset(["activity_id"])
        self.env.execute_query(
            SQL(
                """UPDATE touch_plan_touch AS touch
                      SET activity_id = link.activity_id
                     FROM unnest(%s::int[], %s::int[]) AS link(touch_id, activity_id)
                    WHERE touch.id = link.touch_id""",
                touches.ids,
                activities.ids,
            )
        )
        touches.invalidate_recordset(["activity_id"])
        return activities

    def _mark_done(self, outcome=False, outcomes=None):
        """Mark touches done and plan what follows them: the one path of every "done".

        Activities marked done (chatter, activity views, systray), the touch's
        buttons and the emails sent all come here, so that "after another
        step" steps follow any done touch whatever its channel.

        :param outcome: outcome for every touch (default: reached for calls, sent otherwise)
        :param outcomes: ``{touch_id: outcome}`` overriding ``outcome`` per touch
        """
        touches = self.sudo().filtered(lambda t: t.state in ("planned", "scheduled"))
        if not touches:
            return
        outcomes = outcomes or {}
        today = fields.Date.context_today(self)
        by_outcome = defaultdict(lambda: self.browse())
        for touch in touches:
            value = outcomes.get(touch.id) or outcome
            value = value or ("reached" if touch.channel == "call" else "sent")
            by_outcome[value] |= touch
        for value, group in by_outcome.items():
            group.write({"state": "done", "done_date": today, "outcome": value})
        followups = touches._create_followups()
        # a follow-up due at once (no delay, or within the lead time) is work now
        followups._filter_due()._process_due()

    def _create_followups(self):
        """Create the touches of 'after step' steps triggered by the done touches."""
        steps = (
            self.env["touch.plan.step"]
            .sudo()
            .search(
                [
                    ("timing", "=", "after_step"),
                    ("trigger_step_id", "in", self.step_id.ids),
                ]
            )
        )
        if not steps:
            return self.browse()
        counts = defaultdict(
            int,
            {
                (enrollment.id, step.id, cycle_start): count
                for enrollment, step, cycle_start, count in self._read_group(
                    [("step_id", "in", steps.ids), ("enrollment_id", "in", self.enrollment_id.ids)],
                    ["enrollment_id", "step_id", "cycle_start:day"],
                    ["__count"],
                )
            },
        )
        vals_list = []
        for step in steps:
            triggering = self.filtered(
                lambda t, s=step: (
                    t.step_id == s.trigger_step_id
                    and (not s.trigger_outcome or t.outcome == s.trigger_outcome)
                    and t.enrollment_id.state == "active"
                )
            )
            for touch in triggering:
                enrollment = touch.enrollment_id
                key = (enrollment.id, step.id, enrollment.cycle_start)
                if counts[key] >= step.count:
                    continue
                counts[key] += 1
                vals = enrollment._prepare_touch_values(
                    step,
                    (touch.done_date or fields.Date.context_today(self))
                    + datetime.timedelta(days=step.offset_days),
                    counts[key],
                )
                vals["trigger_touch_id"] = touch.id
                vals_list.append(vals)
        return self.with_context(mail_create_nolog=True, tracking_disable=True).create(vals_list)
