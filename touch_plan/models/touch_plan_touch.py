import datetime
from collections import defaultdict

import lxml.html
import pytz
from markupsafe import Markup

from odoo import Command, _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels
from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from ..tools import insert_rows
from .mailing_trace import FAILED_STATUSES
from .touch_plan_step import (
    CHANNEL_OUTCOMES,
    CHANNELS,
    MANUAL_CHANNELS,
    OUTCOMES,
    SENT_CHANNELS,
    TOUCH_KINDS,
)

ACTIVITY_TYPES = {
    "call": "touch_plan.mail_activity_type_touch_call",
    "card": "touch_plan.mail_activity_type_touch_card",
    "letter": "touch_plan.mail_activity_type_touch_letter",
    "gift": "touch_plan.mail_activity_type_touch_gift",
}
# trace statuses of emails that did not leave (yet)
SENT_NOT = ("outgoing", "process", "error", "cancel")


class TouchPlanTouch(models.Model):
    _name = "touch.plan.touch"
    _description = "Planned Touch"
    _inherit = ["mail.thread"]
    _order = "scheduled_date, id"

    name = fields.Char(required=True)
    # no index of its own: the unique key (enrollment, step, cycle, occurrence)
    # starts with it, and every index costs each of the cycle's inserted touches
    enrollment_id = fields.Many2one("touch.plan.enrollment", required=True, ondelete="cascade")
    # the plan, client and company are the enrollment's, read (searched, grouped)
    # through it: not copied into the millions of touches of a large book, where
    # each stored many2one costs every inserted touch a foreign-key check
    plan_id = fields.Many2one(related="enrollment_id.plan_id")
    step_id = fields.Many2one("touch.plan.step", ondelete="set null", index=True)
    partner_id = fields.Many2one(related="enrollment_id.partner_id", string="Client")
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        index=True,
    )
    company_id = fields.Many2one(related="enrollment_id.company_id")
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
    sms_id = fields.Many2one(
        "sms.sms",
        string="SMS",
        ondelete="set null",
        readonly=True,
        help="The text message of an SMS touch (Odoo deletes sent SMS after a while; "
        "the message in the client's chatter stays).",
    )
    sms_state = fields.Selection(related="sms_id.state", string="SMS Status")
    outcome = fields.Selection(OUTCOMES, tracking=True)
    skip_reason = fields.Char(tracking=True)
    done_date = fields.Date(index="btree_not_null")
    referral_ask = fields.Boolean(default=True)
    trigger_touch_id = fields.Many2one(
        "touch.plan.touch", string="Triggered By", ondelete="set null", readonly=True
    )
    color = fields.Integer(compute="_compute_color")
    variant_id = fields.Many2one(
        "touch.plan.step.variant",
        string="Variant",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        help="The version of the step (A/B test) this client gets.",
    )
    # what the email did (mass_mailing's trace, kept current by it)
    mailing_trace_ids = fields.One2many(
        "mailing.trace", "touch_plan_touch_id", string="Email Traces", readonly=True
    )
    mailing_trace_id = fields.Many2one(
        "mailing.trace",
        string="Email Trace",
        compute="_compute_mailing_trace_id",
        store=True,
        index="btree_not_null",
    )
    mailing_id = fields.Many2one(
        related="mailing_trace_id.mass_mailing_id", string="Mailing", store=True
    )
    trace_status = fields.Selection(
        related="mailing_trace_id.trace_status", string="Email Status", store=True
    )
    email_sent_datetime = fields.Datetime(
        related="mailing_trace_id.sent_datetime", string="Email Sent On", store=True
    )
    email_open_datetime = fields.Datetime(
        related="mailing_trace_id.open_datetime", string="Email Opened On", store=True
    )
    email_click_datetime = fields.Datetime(
        related="mailing_trace_id.links_click_datetime", string="Email Clicked On", store=True
    )
    email_reply_datetime = fields.Datetime(
        related="mailing_trace_id.reply_datetime", string="Email Replied On", store=True
    )
    email_failure_reason = fields.Text(
        related="mailing_trace_id.failure_reason", string="Email Failure"
    )
    is_email_sent = fields.Boolean(
        string="Email Sent", compute="_compute_email_flags", store=True, readonly=True
    )
    is_email_opened = fields.Boolean(
        string="Email Opened", compute="_compute_email_flags", store=True, readonly=True
    )
    is_email_clicked = fields.Boolean(
        string="Email Clicked", compute="_compute_email_flags", store=True, readonly=True
    )
    is_email_replied = fields.Boolean(
        string="Email Replied", compute="_compute_email_flags", store=True, readonly=True
    )
    is_email_bounced = fields.Boolean(
        string="Email Bounced",
        compute="_compute_email_flags",
        store=True,
        readonly=True,
        help="The email bounced or could not be sent.",
    )

    _sql_constraints = [
        (
            "occurrence_uniq",
            "unique (enrollment_id, step_id, cycle_start, occurrence)",
            "A touch of this step already exists for this occurrence of the cycle.",
        ),
    ]

    def init(self):
        # the daily job takes the planned touches due by now, oldest first, a
        # batch at a time: a few among millions, read in the job's order from
        # this index alone (the state has a handful of values and needs no
        # index of its own)
        self.env.cr.execute(
            SQL(
                """CREATE INDEX IF NOT EXISTS touch_plan_touch_planned_date_index
                   ON touch_plan_touch (scheduled_date, id) WHERE state = 'planned'"""
            )
        )

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

    @api.depends("mailing_trace_ids")
    def _compute_mailing_trace_id(self):
        for touch in self:
            touch.mailing_trace_id = touch.mailing_trace_ids.sorted("id")[-1:]

    @api.depends(
        "mailing_trace_id.trace_status",
        "mailing_trace_id.open_datetime",
        "mailing_trace_id.links_click_datetime",
        "mailing_trace_id.reply_datetime",
    )
    def _compute_email_flags(self):
        for touch in self:
            trace = touch.mailing_trace_id
            status = trace.trace_status
            touch.is_email_sent = bool(trace) and status not in SENT_NOT
            touch.is_email_bounced = status in FAILED_STATUSES
            touch.is_email_clicked = bool(trace.links_click_datetime)
            touch.is_email_replied = status == "reply" or bool(trace.reply_datetime)
            touch.is_email_opened = (
                status in ("open", "reply")
                or bool(trace.open_datetime)
                or touch.is_email_clicked
                or touch.is_email_replied
            )

    @api.depends("name", "step_id.name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        """A touch is shown under its step's name in the reader's language: a
        rep or manager who switches to Arabic reads the touches planned while
        they worked in English in Arabic too (``name`` keeps the name given at
        planning, for search and sorting)."""
        for touch in self:
            touch.display_name = touch.step_id.name or touch.name

    @api.depends("state")
    def _compute_color(self):
        colors = {"planned": 0, "scheduled": 4, "done": 10, "skipped": 2, "cancelled": 1}
        for touch in self:
            touch.color = colors.get(touch.state, 0)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._set_variants(vals_list)
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_open_mailing(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": self.mailing_id.id,
            "view_mode": "form",
        }

    def action_open_trace(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.trace",
            "res_id": self.mailing_trace_id.id,
            "view_mode": "form",
        }

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
        client, millions for a large book), and the follow-ups and thank-yous
        of the touches done, where the ORM's ``create`` costs several times the
        INSERT itself. ``vals_list`` holds complete values, stored computed
        columns included (see ``touch.plan.enrollment._prepare_touch_values``);
        as for the engine's creates before: no chatter message, no follower and
        no tracking.
        Touches have no Python constraint on creation values, and no stored
        field of another model depends on them.

        Privileged: reps cannot create touches, the engine does it for them.
        The caller checks the user's right on the enrollments
        (``touch.plan.enrollment._generate_touches``).
        """
        self._set_variants(vals_list)
        return insert_rows(self.sudo(), vals_list)

    @api.model
    def _set_variants(self, vals_list):
        """Give new touches of steps under A/B test their client's variant."""
        pairs = {
            (vals["step_id"], vals["enrollment_id"])
            for vals in vals_list
            if vals.get("step_id") and vals.get("enrollment_id") and not vals.get("variant_id")
        }
        if not pairs:
            return
        variants = self.env["touch.plan.step"]._get_variant_assignments(pairs)
        for vals in vals_list:
            key = (vals.get("step_id"), vals.get("enrollment_id"))
            if key in variants and not vals.get("variant_id"):
                vals["variant_id"] = variants[key]

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    @api.model
    def _get_due_limits(self, plans):
        """When touches of ``plans`` are due: the rule of the daily job, of a new
        enrollment and of a follow-up alike.

        A planned touch of a running enrollment is due when its date is reached:
        emails and SMS on their day, manual touches (calls, cards, gifts) within
        their plan's lead time, so that the rep has them as activities in time.

        :return: ``{plan_id: (last date of sent touches, last date of manual touches)}``
        """
        today = fields.Date.context_today(self)
        return {
            plan.id: (today, today + datetime.timedelta(days=plan.activity_days_ahead))
            for plan in plans
        }

    @api.model
    def _get_due_domain(self):
        """Touches to turn into work today (see :meth:`_get_due_limits`).

        Enrollments that failed today are left for tomorrow (their error is in
        their chatter), so that one bad record never keeps the job running.
        The planned touches up to the furthest limit are read from their own
        index (``touch_plan_touch_planned_date_index``), however large the book.
        """
        today = fields.Date.context_today(self)
        plans = self.env["touch.plan"].with_context(active_test=False).search([])
        limits = self._get_due_limits(plans)
        last = max([today, *(manual_limit for _sent_limit, manual_limit in limits.values())])
        manual = expression.OR(
            [
                [("plan_id", "=", plan_id), ("scheduled_date", "<=", manual_limit)]
                for plan_id, (_sent_limit, manual_limit) in limits.items()
            ]
            or [[("id", "=", 0)]]
        )
        return expression.AND(
            [
                [
                    ("state", "=", "planned"),
                    ("scheduled_date", "<=", last),
                    ("enrollment_id.state", "=", "active"),
                    ("enrollment_id.error_date", "!=", today),
                ],
                expression.OR(
                    [
                        [("channel", "in", SENT_CHANNELS), ("scheduled_date", "<=", today)],
                        expression.AND([[("channel", "not in", SENT_CHANNELS)], manual]),
                    ]
                ),
            ]
        )

    @api.model
    def _is_due(self, limits, plan_id, channel, scheduled_date):
        """Whether a planned touch of a running enrollment is due, from its values
        (``limits`` from :meth:`_get_due_limits`): new touches are sorted out
        without reading them back."""
        return scheduled_date <= limits[plan_id][channel not in SENT_CHANNELS]

    def _filter_due(self):
        """The touches of ``self`` due now (see :meth:`_get_due_limits`), in their order."""
        touches = self.filtered(
            lambda t: t.state == "planned" and t.enrollment_id.state == "active"
        )
        limits = self._get_due_limits(touches.plan_id)
        return touches.filtered(
            lambda t: self._is_due(limits, t.plan_id.id, t.channel, t.scheduled_date)
        )

    def _process_due(self):
        """Send the due email and SMS touches and give the manual ones to the reps.

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
        # SMS touches, and email touches falling back to SMS
        texts = touches.filtered(lambda t: t.channel == "sms") | fallback.filtered(
            lambda t: t.channel == "sms"
        )
        fallback |= texts._send_sms()
        ((touches - emails - texts) | fallback)._schedule_activities()

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
            template = touch._get_mail_template()
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

    # ------------------------------------------------------------------
    # SMS
    # ------------------------------------------------------------------

    def _get_sms_block_reason(self, record):
        """Why ``record`` must get no SMS (consent first), or False."""
        partner = self.partner_id
        if partner.touch_plan_sms_opt_out:
            return _("The client opted out of SMS.")
        if (
            "phone_sanitized_blacklisted" in record._fields and record.phone_sanitized_blacklisted
        ) or partner.phone_sanitized_blacklisted:
            return _("The client's mobile number is blacklisted (opted out of SMS).")
        if "active" in record._fields and not record.active:
            return _("The client is archived.")
        return False

    def _get_sms_number(self, record):
        """``(number, sanitized)``: the mobile number of the enrolled ``record``, or of
        its client when the record has none (a lead without mobile), formatted for SMS
        (sanitized is False when the number cannot be used)."""
        self.ensure_one()
        for holder in (record, self.partner_id):
            if holder and "mobile" in holder._fields and holder.mobile:
                return holder.mobile, holder._phone_format(fname="mobile")
        return False, False

    def _send_sms(self):
        """Send the SMS touches with their step's SMS template, in batches per template.

        Consent first: touches of clients who opted out or whose number is
        blacklisted are skipped with the reason; those of clients without a
        usable mobile number switch to the step's fallback channel or are
        skipped. Each SMS is logged in the client's chatter as an SMS note,
        as Odoo's SMS composer does, with its delivery status; a failed SMS
        leaves the touch not done (see :meth:`_on_sms_failed`).

        :return: the touches that fell back to a manual channel (to be scheduled)
        """
        records = self._get_records()
        to_send = defaultdict(lambda: self.browse())
        skipped = defaultdict(lambda: self.browse())
        fallback = defaultdict(lambda: self.browse())
        numbers = {}
        for touch in self:
            record = records[touch.id]
            reason = touch._get_sms_block_reason(record)
            template = touch.step_id.sms_template_id
            number, sanitized = touch._get_sms_number(record)
            if reason:
                skipped[reason] |= touch
            elif not sanitized:
                channel = touch.step_id.fallback_channel
                if channel and channel != "sms":
                    fallback[channel] |= touch
                elif number:
                    skipped[
                        _(
                            "The client's mobile number %(number)s cannot receive SMS and the "
                            "step has no fallback channel.",
                            number=number,
                        )
                    ] |= touch
                else:
                    skipped[
                        _("The client has no mobile number and the step has no fallback channel.")
                    ] |= touch
            elif not template:
                skipped[_("The step has no SMS template.")] |= touch
            elif template.model != record._name:
                skipped[_("The step's SMS template is not made for the enrolled records.")] |= touch
            else:
                numbers[touch.id] = sanitized
                to_send[template] |= touch
        for reason, touches in skipped.items():
            touches.write({"state": "skipped", "skip_reason": reason})
        for channel, touches in fallback.items():
            touches.write({"channel": channel})
        for template, touches in to_send.items():
            # one SMS per record and template per call: a record twice due gets two calls
            while touches:
                batch = self.browse()
                seen = set()
                for touch in touches:
                    if records[touch.id].id not in seen:
                        seen.add(records[touch.id].id)
                        batch |= touch
                touches -= batch
                batch._send_sms_batch(template, records, numbers)
                # failures were handled by the SMS trackers while sending
                batch.filtered(lambda t: t.state == "planned" and t.channel == "sms")._mark_done(
                    "sent"
                )
        # fallbacks: no usable number, or the SMS failed (see _on_sms_failed)
        return self.filtered(lambda t: t.state == "planned" and t.channel in MANUAL_CHANNELS)

    def _send_sms_batch(self, template, records, numbers):
        """Render, log and send the SMS of ``self`` (one touch per record).

        What ``mail.thread._message_sms`` does for one record, for a batch: one
        SMS note per record in its chatter, its ``sms.sms`` and its SMS
        notification with a tracker (the chatter shows the delivery status and
        delivery reports update it), then the SMS are sent at once.
        """
        record_ids = [records[touch.id].id for touch in self]
        targets = self.env[template.model].browse(record_ids)
        bodies = template._render_field("body", record_ids, compute_lang=True)
        messages = targets._message_log_batch(
            bodies={rid: sms_content_to_rendered_html(bodies[rid]) for rid in record_ids},
            message_type="sms",
        )
        sms_all = (
            self.env["sms.sms"]
            .sudo()
            .create(
                [
                    {
                        "body": bodies[records[touch.id].id],
                        "number": numbers[touch.id],
                        "partner_id": touch.partner_id.id,
                        "mail_message_id": message.id,
                        "state": "outgoing",
                    }
                    for touch, message in zip(self, messages, strict=True)
                ]
            )
        )
        self.env["mail.notification"].sudo().create(
            [
                {
                    "author_id": message.author_id.id,
                    "mail_message_id": message.id,
                    "res_partner_id": sms.partner_id.id,
                    "sms_number": sms.number,
                    "notification_type": "sms",
                    "sms_id_int": sms.id,
                    "sms_tracker_ids": [Command.create({"sms_uuid": sms.uuid})],
                    "is_read": True,
                    "notification_status": "ready",
                }
                for message, sms in zip(messages, sms_all, strict=True)
            ]
        )
        self.flush_recordset(["sms_id", "message_sent_id"])
        self.env.execute_query(
            SQL(
                """UPDATE touch_plan_touch AS touch
                      SET sms_id = link.sms_id, message_sent_id = link.message_id
                     FROM unnest(%s::int[], %s::int[], %s::int[])
                          AS link(touch_id, sms_id, message_id)
                    WHERE touch.id = link.touch_id""",
                self.ids,
                sms_all.ids,
                messages.ids,
            )
        )
        self.invalidate_recordset(["sms_id", "message_sent_id"])
        sms_all.send(auto_commit=False, raise_exception=False)

    @api.model
    def _on_sms_failed(self, messages, failure_type=False, failure_reason=False):
        """The SMS of ``messages`` failed (at sending or by a delivery report):
        their touches are not done; they take their step's fallback channel (to
        be scheduled) or are skipped, with the reason."""
        touches = self.sudo().search(
            [
                ("message_sent_id", "in", messages.ids),
                ("channel", "=", "sms"),
                ("state", "in", ("planned", "done")),
            ]
        )
        if not touches:
            return touches
        labels = dict(
            self.env["mail.notification"]._fields["failure_type"]._description_selection(self.env)
        )
        reason = _(
            "The SMS could not be delivered: %(reason)s",
            reason=labels.get(failure_type) or failure_reason or failure_type or _("unknown"),
        )
        cleared = {"outcome": False, "done_date": False, "skip_reason": reason}
        fallback = touches.filtered(
            lambda t: t.step_id.fallback_channel and t.step_id.fallback_channel != "sms"
        )
        for channel, group in fallback.grouped(lambda t: t.step_id.fallback_channel).items():
            group.write({"state": "planned", "channel": channel, **cleared})
        (touches - fallback).write({"state": "skipped", **cleared})
        return touches

    @api.model
    def _apply_preferred_channel(self, partners):
        """Give the planned touches of 'preferred channel' steps of ``partners``
        the channel their (new) preference asks for."""
        touches = self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("state", "=", "planned"),
                ("step_id.channel", "=", "preferred"),
            ]
        )
        by_channel = defaultdict(lambda: self.browse())
        for touch in touches:
            channel = touch.step_id._get_channel_for(touch.partner_id.touch_plan_preferred_channel)
            if channel != touch.channel:
                by_channel[channel] |= touch
        for channel, group in by_channel.items():
            group.write({"channel": channel})

    def _get_mail_template(self):
        """The template the touch sends: its variant's, or its step's."""
        self.ensure_one()
        return self.variant_id.mail_template_id or self.step_id.mail_template_id

    def _link_sent_mails(self, mails):
        """Link each touch to its mail (same order), in one UPDATE, and track them."""
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
        self._track_mails(mails)

    def _get_mailing_key(self):
        """Which touch plan mailing gathers the touch's email: one per step
        (one newsletter edition for every plan), template and month."""
        self.ensure_one()
        return (
            0 if self.kind == "newsletter" else self.step_id.id,
            self._get_mail_template().id,
            self.scheduled_date.replace(day=1),
        )

    def _prepare_trace_values(self, mail, mailing):
        self.ensure_one()
        return {
            "trace_type": "mail",
            "mail_mail_id": mail.id,
            "message_id": mail.message_id,
            "email": tools.email_normalize(mail.email_to or "", strict=False)
            or self.partner_id.email_normalized
            or "",
            "model": mail.model or self.enrollment_id.res_model,
            "res_id": mail.res_id or self.enrollment_id.res_id,
            "mass_mailing_id": mailing.id,
            "touch_plan_touch_id": self.id,
        }

    def _track_mails(self, mails):
        """Give each sent mail (same order as ``self``) a mass_mailing trace in
        its touch plan mailing, so that opens (tracking pixel), clicks, replies
        and bounces are recorded by mass_mailing and appear on the touch.

        One search and at most one create of mailings, one create of traces,
        one write of ``mailing_id`` per mailing: the same whatever the batch.
        Privileged: the engine sends for the reps.
        """
        if not self:
            return
        keys = [touch._get_mailing_key() for touch in self]
        mailings = self.env["mailing.mailing"]._touch_plan_get_mailings(set(keys))
        mails = mails.sudo()
        self.env["mailing.trace"].sudo().create(
            [
                touch._prepare_trace_values(mail, mailings[key])
                for touch, mail, key in zip(self, mails, keys, strict=True)
            ]
        )
        by_mailing = defaultdict(list)
        for mail, key in zip(mails, keys, strict=True):
            by_mailing[mailings[key]].append(mail.id)
        for mailing, mail_ids in by_mailing.items():
            mails.browse(mail_ids).write({"mailing_id": mailing.id})
            self._shorten_mail_links(mails.browse(mail_ids), mailing)

    @api.model
    def _shorten_mail_links(self, mails, mailing):
        """Turn the links of the mails of ``mailing`` into tracked short links
        (``/r/``, as a mailing's links), so that mass_mailing records the
        clicks on the mails' traces. One ``search_or_create`` of link trackers
        for the whole batch and one UPDATE of the bodies; mails without links
        are left as they are.
        """
        base_url = mailing.get_base_url()
        vals = {"mass_mailing_id": mailing.id}
        for name in ("campaign_id", "source_id", "medium_id"):
            if mailing[name]:
                vals[name] = mailing[name].id
        parsed = []
        vals_list = []
        for mail in mails:
            if not mail.body_html or tools.is_html_empty(mail.body_html):
                continue
            root = lxml.html.fromstring(mail.body_html)
            nodes, urls_and_labels = find_links_with_urls_and_labels(
                root,
                base_url,
                skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
                skip_prefix=base_url + "/r/",
                skip_list=["/unsubscribe_from_list", "/view", "/cards/"],
            )
            if nodes:
                parsed.append((mail, root, nodes))
                vals_list.extend(dict(vals, **url_and_label) for url_and_label in urls_and_labels)
        if not parsed:
            return
        trackers = iter(self.env["link.tracker"].sudo().search_or_create(vals_list))
        bodies = {}
        for mail, root, nodes in parsed:
            for node in nodes:
                node.set("href", next(trackers).short_url)
            bodies[mail.id] = lxml.html.tostring(root, encoding="unicode", method="xml")
        mails.flush_recordset(["body_html"])
        self.env.execute_query(
            SQL(
                """UPDATE mail_mail AS mail SET body_html = link.body
                     FROM unnest(%s::int[], %s::text[]) AS link(mail_id, body)
                    WHERE mail.id = link.mail_id""",
                list(bodies),
                list(bodies.values()),
            )
        )
        mails.invalidate_recordset(["body_html"])

    # ------------------------------------------------------------------
    # What the email did
    # ------------------------------------------------------------------

    def _on_email_failed(self):
        """The emails of the touches bounced or failed: the touches are not
        done. Each tries its step's fallback channel (carried out at once, as
        any due touch of that channel) or is skipped with the reason; the
        follow-ups the email had planned are withdrawn.
        """
        touches = self.sudo().filtered(lambda t: t.channel == "email" and t.state == "done")
        if not touches:
            return
        self.search([("trigger_touch_id", "in", touches.ids), ("state", "=", "planned")]).unlink()
        groups = defaultdict(lambda: self.browse())
        for touch in touches:
            trace = touch.mailing_trace_ids.filtered(lambda t: t.trace_status in FAILED_STATUSES)
            failure = dict(trace._fields["failure_type"]._description_selection(self.env)).get(
                trace[:1].failure_type
            ) or _("unknown error")
            fallback = (
                touch.step_id.fallback_channel if touch.enrollment_id.state == "active" else False
            )
            if fallback:
                reason = _(
                    "The email could not be delivered (%(failure)s): tried by %(channel)s instead.",
                    failure=failure,
                    channel=dict(self._fields["channel"]._description_selection(self.env))[
                        fallback
                    ],
                )
            else:
                reason = _("The email could not be delivered (%(failure)s).", failure=failure)
            groups[fallback, reason] |= touch
        retried = self.browse()
        for (fallback, reason), group in groups.items():
            vals = {"outcome": False, "done_date": False, "skip_reason": reason}
            if fallback:
                vals.update(state="planned", channel=fallback)
                retried |= group
            else:
                vals["state"] = "skipped"
            group.write(vals)
        retried._process_due()

    def _on_email_replied(self):
        """The client answered the email: a nurture sequence has done its work."""
        enrollments = self.sudo().enrollment_id.filtered(
            lambda e: e.state == "active" and e.plan_kind == "nurture"
        )
        enrollments._end("done", _("The client replied to an email of the plan."))

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

    def _get_activity_texts(self, cache=None):
        """Summary and note of the touch's activity, in the language of ``self.env``.

        The note is HTML: the step's instructions (``Markup``) followed by the
        referral ask, the text escaped into its paragraph, never the tags.

        :param cache: optional dict for bulk callers, kept across calls: the
            note of a step in a language (for a channel, reason and referral
            ask) is built once, only the client's name changes
        """
        self.ensure_one()
        cache = {} if cache is None else cache
        step = self.step_id
        key = (step.id, self.env.lang, self.channel, self.skip_reason, self.referral_ask)
        if key not in cache:
            note = Markup(step.note or "")
            by_hand = step.channel not in (self.channel, "preferred")
            if by_hand and step.fallback_channel == self.channel:
                # an email or SMS step carried out by hand: the rep reads why first
                channels = dict(self._fields["channel"]._description_selection(self.env))
                why = self.skip_reason or _(
                    "The client cannot be reached by %(channel)s: %(fallback)s instead.",
                    channel=channels.get(step.channel, step.channel),
                    fallback=channels.get(self.channel, self.channel),
                )
                note = Markup("<p><strong>%s</strong></p>") % why + note
            if self.referral_ask:
                note += Markup("<p>%s</p>") % _(
                    "Referral ask: remind the client that you welcome the names of friends "
                    "or colleagues who could use your help, and how to reach you."
                )
            cache[key] = (note, step.name)
        note, step_name = cache[key]
        summary = _(
            "%(touch)s: %(client)s",
            touch=step_name or self.name,
            client=self.partner_id.display_name or self.enrollment_id.name,
        )
        return summary, note

    def _prepare_activity_values(self, deadline, record, activity_types, cache=None):
        """Values of the activity of the touch, on the enrolled ``record``, in the
        responsible's language.

        :param cache: optional dict for bulk callers (see :meth:`_get_activity_texts`)
        """
        self.ensure_one()
        cache = {} if cache is None else cache
        user = self.user_id or self.env.user
        lang = user.lang or self.env.lang
        if ("env", lang) not in cache:
            cache["env", lang] = self.with_context(lang=lang).env
        activity_type = self.step_id.activity_type_id or activity_types.get(self.channel)
        summary, note = self.with_env(cache["env", lang])._get_activity_texts(cache)
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
        cache = {}
        vals_list = [
            touch._prepare_activity_values(
                deadlines[touch.id], records[touch.id], activity_types, cache
            )
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
        return self._create_planned(vals_list)
