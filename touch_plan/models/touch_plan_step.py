import calendar
import datetime

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

TOUCH_KINDS = [
    ("newsletter", "Newsletter"),
    ("holiday_card", "Holiday Card"),
    ("call", "Phone Call"),
    ("followup", "Follow-up Note"),
    ("occasion_card", "Personal Occasion Card"),
    ("gift", "Practical Gift"),
    ("custom", "Custom"),
]
CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("call", "Phone Call"),
    ("card", "Card by Post"),
    ("letter", "Letter"),
    ("gift", "Gift"),
]
MANUAL_CHANNELS = ("call", "card", "letter", "gift")
# channels sent by the daily job on the touch's day (the others become activities)
SENT_CHANNELS = ("email", "sms")
# a step may leave the channel to each client (see res.partner.touch_plan_preferred_channel)
STEP_CHANNELS = [*CHANNELS, ("preferred", "Client's Preferred Channel")]
PREFERRED_CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("phone", "Phone"),
    ("post", "Post"),
]
OUTCOMES = [
    ("reached", "Reached the Client"),
    ("voicemail", "Left a Voicemail"),
    ("no_answer", "No Answer"),
    ("wrong_number", "Wrong Number"),
    ("sent", "Sent"),
    ("delivered", "Handed Over"),
]
CALL_OUTCOMES = [
    o for o in OUTCOMES if o[0] in ("reached", "voicemail", "no_answer", "wrong_number")
]
DELIVERY_OUTCOMES = [o for o in OUTCOMES if o[0] in ("sent", "delivered")]
# outcomes a touch of each channel can have (a call is never "sent")
CHANNEL_OUTCOMES = {
    "email": {"sent"},
    "sms": {"sent"},
    "call": {o[0] for o in CALL_OUTCOMES},
    "card": {o[0] for o in DELIVERY_OUTCOMES},
    "letter": {o[0] for o in DELIVERY_OUTCOMES},
    "gift": {o[0] for o in DELIVERY_OUTCOMES},
}
# fields whose change means the planned touches of a step must be recomputed
REGENERATE_FIELDS = {
    "kind",
    "count",
    "timing",
    "day_of_month",
    "months",
    "occasion_ids",
    "key_date_type_ids",
    "offset_days",
    "channel",
    "preferred_default_channel",
    "active",
    "user_id",
}


class TouchPlanStep(models.Model):
    _name = "touch.plan.step"
    _description = "Touch Plan Step"
    _order = "plan_id, sequence, id"

    plan_id = fields.Many2one("touch.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    res_model = fields.Char(related="plan_id.res_model")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    kind = fields.Selection(TOUCH_KINDS, required=True, default="custom")
    count = fields.Integer(
        string="Touches per Cycle",
        required=True,
        default=1,
        help="How many touches of this step a client gets per yearly cycle "
        "(a maximum for occasions, key dates and follow-ups).",
    )
    # timing
    timing = fields.Selection(
        [
            ("monthly", "Every Month on a Day"),
            ("spread", "Spread Evenly over the Cycle"),
            ("months", "In Named Months"),
            ("occasion", "On Holidays and Occasions"),
            ("key_date", "On the Client's Key Dates"),
            ("after_step", "After Another Step Is Done"),
            ("referral", "When the Client Refers Someone"),
        ],
        required=True,
        default="spread",
    )
    day_of_month = fields.Integer(
        default=1,
        help="Day of the month (the last day is used in shorter months).",
    )
    months = fields.Char(
        help="Comma-separated month numbers, e.g. 6,12 for June and December.",
    )
    occasion_ids = fields.Many2many(
        "touch.plan.occasion",
        string="Occasions",
        help="Leave empty to use every occasion kept in the client's country.",
    )
    key_date_type_ids = fields.Many2many(
        "touch.plan.key.date.type",
        string="Key Date Types",
        help="Leave empty to use every key date of the client.",
    )
    offset_days = fields.Integer(
        string="Offset (days)",
        help="Days after the date (negative: before). For 'after another step', "
        "the delay after that step is done.",
    )
    trigger_step_id = fields.Many2one(
        "touch.plan.step",
        string="After Step",
        domain="[('plan_id', '=', plan_id), ('id', '!=', id)]",
        ondelete="set null",
    )
    trigger_outcome = fields.Selection(
        OUTCOMES,
        string="With Outcome",
        help="Only a touch done with this outcome triggers this step (any outcome if empty).",
    )
    # how
    channel = fields.Selection(
        STEP_CHANNELS,
        required=True,
        default="email",
        help="How the touch is made. Client's Preferred Channel: each touch takes the "
        "client's preferred channel when it is planned, and again whenever that "
        "preference changes before the touch is due.",
    )
    preferred_default_channel = fields.Selection(
        CHANNELS,
        string="Channel Without Preference",
        default="email",
        help="Channel of the touches of clients who have no preferred channel.",
    )
    fallback_channel = fields.Selection(
        [c for c in CHANNELS if c[0] != "email"],
        help="Channel used when the client has no email address or the email bounces "
        "(email touches), or no mobile number or the SMS fails (SMS touches). "
        "Leave empty to skip the touch instead.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', res_model)]",
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain="[('model', '=', res_model)]",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Activity Type",
        help="Activity given to the responsible for manual touches.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        help="Who does the touches of this step; the enrollment's responsible if empty.",
    )
    referral_ask = fields.Boolean(
        default=True,
        help="Remind the client how to refer someone (email block, activity note).",
    )
    note = fields.Html(
        string="Instructions",
        translate=True,
        help="What the rep should do or say; copied into the activity.",
    )
    # A/B test
    variant_ids = fields.One2many("touch.plan.step.variant", "step_id", string="Variants")
    ab_test_end = fields.Date(
        string="Test Ends On",
        help="After this day the daily job chooses the winner by the criterion "
        "(unless it is chosen by hand).",
    )
    ab_winner_criterion = fields.Selection(
        [
            ("manual", "By Hand"),
            ("open_rate", "Highest Open Rate"),
            ("click_rate", "Highest Click Rate"),
            ("reply_rate", "Highest Reply Rate"),
            ("referral_rate", "Most Referrals per 100 Touches"),
        ],
        string="Winner Chosen",
        required=True,
        default="manual",
    )
    ab_winner_variant_id = fields.Many2one(
        "touch.plan.step.variant",
        string="Winner",
        readonly=True,
        ondelete="set null",
        domain="[('step_id', '=', id)]",
        help="The variant every client gets since the test ended.",
    )
    ab_winner_date = fields.Date(string="Winner Chosen On", readonly=True)

    @api.constrains("count", "timing", "day_of_month", "months", "offset_days")
    def _check_timing(self):
        for step in self:
            if step.count < 1:
                raise ValidationError(
                    _("Step %(step)s must plan at least one touch per cycle.", step=step.name)
                )
            if step.timing == "monthly" and step.count > 12:
                raise ValidationError(
                    _("Step %(step)s: a monthly step has at most 12 touches.", step=step.name)
                )
            if step.timing == "spread" and step.count > 365:
                raise ValidationError(
                    _("Step %(step)s: at most one touch a day can be spread.", step=step.name)
                )
            if step.timing in ("monthly", "months") and not 1 <= step.day_of_month <= 31:
                raise ValidationError(
                    _("Step %(step)s: the day of the month must be 1 to 31.", step=step.name)
                )
            if step.timing == "months":
                months = step._get_months()
                if step.count > len(months):
                    raise ValidationError(
                        _(
                            "Step %(step)s plans %(count)s touches in %(months)s months: "
                            "name at least one month per touch.",
                            step=step.name,
                            count=step.count,
                            months=len(months),
                        )
                    )
            if abs(step.offset_days) > 364:
                raise ValidationError(
                    _(
                        "Step %(step)s: an offset of %(days)s days leaves the yearly cycle "
                        "(use -364 to 364).",
                        step=step.name,
                        days=step.offset_days,
                    )
                )
            if step.timing == "after_step" and step.offset_days < 0:
                raise ValidationError(
                    _(
                        "Step %(step)s cannot happen before the step it follows.",
                        step=step.name,
                    )
                )

    @api.constrains(
        "timing",
        "trigger_step_id",
        "channel",
        "mail_template_id",
        "sms_template_id",
        "fallback_channel",
        "preferred_default_channel",
    )
    def _check_links(self):
        for step in self:
            if step.timing == "after_step" and step.trigger_step_id == step:
                raise ValidationError(
                    _(
                        "Step %(step)s cannot come after itself: choose another step of the "
                        "plan in After Step.",
                        step=step.name,
                    )
                )
            if step.timing == "after_step" and (
                not step.trigger_step_id or step.trigger_step_id.plan_id != step.plan_id
            ):
                raise ValidationError(
                    _(
                        "Step %(step)s must follow another step of the same plan.",
                        step=step.name,
                    )
                )
            channels = {step.channel, step.fallback_channel}
            if step.channel == "preferred":
                channels.add(step.preferred_default_channel)
            if "email" in channels and not step.mail_template_id:
                raise ValidationError(
                    _("Step %(step)s is sent by email: choose its email template.", step=step.name)
                )
            if "sms" in channels and not step.sms_template_id:
                raise ValidationError(
                    _("Step %(step)s is sent by SMS: choose its SMS template.", step=step.name)
                )
            if step.channel == "sms" and step.fallback_channel == "sms":
                raise ValidationError(
                    _(
                        "Step %(step)s: an SMS step cannot fall back to SMS; choose another "
                        "channel or none.",
                        step=step.name,
                    )
                )

    def _get_channel_for(self, preferred):
        """The channel of a touch of step ``self`` for a client preferring ``preferred``
        (a ``res.partner.touch_plan_preferred_channel`` value, or False)."""
        self.ensure_one()
        if self.channel != "preferred":
            return self.channel
        if preferred == "phone":
            return "call"
        if preferred == "post":
            return "card" if self.kind in ("holiday_card", "occasion_card") else "letter"
        # a preference the step cannot serve (no template for it) takes the default
        if (preferred == "email" and self.mail_template_id) or (
            preferred == "sms" and self.sms_template_id
        ):
            return preferred
        return self.preferred_default_channel or "email"

    @api.constrains("variant_ids")
    def _check_variants(self):
        for step in self.filtered("variant_ids"):
            if len(step.variant_ids) < 2:
                raise ValidationError(
                    _("Step %(step)s: an A/B test needs at least two variants.", step=step.name)
                )
            total = sum(step.variant_ids.mapped("weight"))
            if total != 100:
                raise ValidationError(
                    _(
                        "Step %(step)s: the variants' splits add up to %(total)s%%, "
                        "they must add up to 100%%.",
                        step=step.name,
                        total=total,
                    )
                )

    def _get_months(self):
        self.ensure_one()
        try:
            months = sorted({int(m) for m in (self.months or "").replace(" ", "").split(",") if m})
        except ValueError:
            months = [0]
        if not months or any(not 1 <= m <= 12 for m in months):
            raise ValidationError(
                _(
                    "Step %(step)s: months must be numbers from 1 to 12 separated by commas, "
                    "e.g. 6,12.",
                    step=self.name,
                )
            )
        return months

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps._regenerate_future_touches()
        return steps

    def write(self, vals):
        res = super().write(vals)
        if REGENERATE_FIELDS & set(vals):
            self._regenerate_future_touches()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_last_step_of_running_plan(self):
        for plan in self.plan_id:
            if plan.enrollment_count and not (plan.step_ids - self):
                raise ValidationError(
                    _(
                        "Plan %(plan)s has enrolled clients: it needs at least one step.",
                        plan=plan.name,
                    )
                )

    def unlink(self):
        self.env["touch.plan.touch"].search(
            [("step_id", "in", self.ids), ("state", "=", "planned")]
        ).unlink()
        return super().unlink()

    # ------------------------------------------------------------------
    # A/B test
    # ------------------------------------------------------------------

    def _set_ab_winner(self, variant):
        """``variant`` wins the test of step ``self``: its planned touches take it."""
        self.ensure_one()
        self.sudo().write(
            {
                "ab_winner_variant_id": variant.id,
                "ab_winner_date": fields.Date.context_today(self),
            }
        )
        self.env["touch.plan.touch"].sudo().search(
            [
                ("step_id", "=", self.id),
                ("state", "=", "planned"),
                ("variant_id", "!=", variant.id),
            ]
        ).write({"variant_id": variant.id})

    @api.model
    def _cron_select_ab_winners(self):
        """Choose the winner of the tests whose window is over, by their criterion.

        A test none of whose variants has a touch done yet waits for one.
        """
        today = fields.Date.context_today(self)
        steps = self.sudo().search(
            [
                ("variant_ids", "!=", False),
                ("ab_winner_variant_id", "=", False),
                ("ab_winner_criterion", "!=", "manual"),
                ("ab_test_end", "<", today),
            ]
        )
        for step in steps:
            variants = step.variant_ids
            if not any(variants.mapped("done_count")):
                continue
            criterion = step.ab_winner_criterion
            # the best figure wins; on a tie the first variant of the list
            winner = max(
                variants,
                key=lambda v, c=criterion: (v._get_criterion_value(c), -v.sequence, -v.id),
            )
            step._set_ab_winner(winner)
        return steps

    @api.model
    def _get_variant_assignments(self, pairs):
        """Variant of each ``(step_id, enrollment_id)`` pair, for new touches.

        A client keeps the variant it already has for the step (all its
        touches of the step try the same version); a new client gets the
        variant furthest below its share of the clients so far, so that the
        split is exactly the weights' (10 and 10 of 20 clients at 50/50), the
        same whatever the order the touches are created in batches. Once the
        step has a winner, everyone gets it. Constant number of queries.

        :return: ``{(step_id, enrollment_id): variant_id}`` (steps with variants only)
        """
        step_ids = {step_id for step_id, _enrollment_id in pairs}
        steps = self.sudo().browse(step_ids).filtered("variant_ids")
        if not steps:
            return {}
        Touch = self.env["touch.plan.touch"].sudo()
        enrollment_ids = {e for s, e in pairs if s in steps.ids}
        kept = {
            (step.id, enrollment.id): variant.id
            for step, enrollment, variant in Touch._read_group(
                [
                    ("step_id", "in", steps.ids),
                    ("enrollment_id", "in", list(enrollment_ids)),
                    ("variant_id", "!=", False),
                ],
                ["step_id", "enrollment_id", "variant_id"],
            )
        }
        clients = {
            (step.id, variant.id): count
            for step, variant, count in Touch._read_group(
                [("step_id", "in", steps.ids), ("variant_id", "!=", False)],
                ["step_id", "variant_id"],
                ["enrollment_id:count_distinct"],
            )
        }
        result = {}
        for step in steps:
            variants = step.variant_ids.sorted(lambda v: (v.sequence, v.id))
            counts = {variant.id: clients.get((step.id, variant.id), 0) for variant in variants}
            total = sum(counts.values())
            weights = sum(variants.mapped("weight")) or 1
            for enrollment_id in sorted({e for s, e in pairs if s == step.id}):
                key = (step.id, enrollment_id)
                if step.ab_winner_variant_id:
                    result[key] = step.ab_winner_variant_id.id
                    continue
                if key in kept:
                    result[key] = kept[key]
                    continue
                total += 1
                variant = max(
                    variants,
                    key=lambda v, n=total: v.weight * n / weights - counts[v.id],
                )
                counts[variant.id] += 1
                result[key] = variant.id
        return result

    # ------------------------------------------------------------------
    # Dates
    # ------------------------------------------------------------------

    def _get_dates(self, enrollments):
        """Return when the touches of step ``self`` fall in each enrollment's cycle.

        :return: ``{enrollment_id: [date, ...]}`` sorted, at most ``count`` dates
            each, offset applied, all inside the enrollment's current cycle.
            Occasions and key dates are read with a constant number of queries.
        """
        self.ensure_one()
        offset = datetime.timedelta(days=self.offset_days)
        result = {}
        if self.timing in ("after_step", "referral") or not enrollments:
            return {enrollment.id: [] for enrollment in enrollments}
        date_from = min(enrollments.mapped("cycle_start")) - offset
        date_to = max(enrollments.mapped("cycle_end")) - offset
        occasion_dates = key_dates = None
        if self.timing == "occasion":
            Occasion = self.env["touch.plan.occasion"]
            Occasion._fill_for_enrollments(enrollments)
            occasions = self.occasion_ids or Occasion.search(
                [("company_id", "in", (False, *enrollments.company_id.ids))]
            )
            occasion_dates = occasions._get_greeting_dates(
                {(e.partner_id.country_id or e.company_id.country_id).id for e in enrollments},
                date_from,
                date_to,
            )
        elif self.timing == "key_date":
            key_dates = self.env["touch.plan.key.date"]._get_occurrences(
                enrollments.partner_id, self.key_date_type_ids, date_from, date_to
            )
        # the dates of a cycle are computed once for all the clients who share them;
        # the enrollments' values are read as lists, not record by record
        countries = partner_ids = None
        if occasion_dates is not None:
            countries = [
                (enrollment.partner_id.country_id or enrollment.company_id.country_id).id
                for enrollment in enrollments
            ]
        elif key_dates is not None:
            partner_ids = [enrollment.partner_id.id for enrollment in enrollments]
        cycles = {}
        for index, (enrollment_id, start, end) in enumerate(
            zip(
                enrollments._ids,
                enrollments.mapped("cycle_start"),
                enrollments.mapped("cycle_end"),
                strict=True,
            )
        ):
            if countries is not None:
                country = countries[index]
                cycle_key = (start, end, country)
                dates = occasion_dates[country] if cycle_key not in cycles else None
            elif partner_ids is not None:
                cycle_key = None
                dates = [day for _type, day in key_dates.get(partner_ids[index], [])]
            else:
                cycle_key = (start, end)
                dates = self._get_calendar_dates(start, end) if cycle_key not in cycles else None
            if dates is not None:
                dates = sorted({day + offset for day in dates})
                dates = [day for day in dates if start <= day <= end][: self.count]
                if cycle_key is not None:
                    cycles[cycle_key] = dates
            else:
                dates = cycles[cycle_key]
            result[enrollment_id] = list(dates)
        return result

    def _get_calendar_dates(self, start, end):
        """Dates of the calendar timings (monthly, spread, named months) in a cycle."""
        self.ensure_one()
        if self.timing == "spread":
            length = (end - start).days + 1
            return [
                start + datetime.timedelta(days=int((index + 0.5) * length / self.count))
                for index in range(self.count)
            ]
        months = self._get_months() if self.timing == "months" else list(range(1, 13))
        dates = []
        for index in range(13):
            first = start + relativedelta(months=index, day=1)
            if first.month not in months:
                continue
            last_day = calendar.monthrange(first.year, first.month)[1]
            day = first.replace(day=min(self.day_of_month, last_day))
            if start <= day <= end:
                dates.append(day)
        return dates

    # ------------------------------------------------------------------
    # Plan edition
    # ------------------------------------------------------------------

    def _regenerate_future_touches(self):
        """Replace the planned touches from today on of running enrollments.

        Done, skipped and scheduled touches are never changed.
        """
        steps = self.filtered(lambda s: s.plan_id)
        if not steps:
            return
        today = fields.Date.context_today(self)
        Touch = self.env["touch.plan.touch"].sudo()
        Touch.search(
            [
                ("step_id", "in", steps.ids),
                ("state", "=", "planned"),
                ("scheduled_date", ">=", today),
            ]
        ).unlink()
        enrollments = (
            self.env["touch.plan.enrollment"]
            .sudo()
            .search(
                [
                    ("plan_id", "in", steps.plan_id.ids),
                    ("state", "in", ("active", "paused")),
                    ("touches_generated", "=", True),
                ]
            )
        )
        if enrollments:
            enrollments._generate_touches(steps=steps.filtered("active"), date_from=today)
