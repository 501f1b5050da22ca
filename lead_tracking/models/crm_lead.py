import logging
from datetime import timedelta

from odoo import _, api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import split_every

from .utm_source import CHANNELS

_logger = logging.getLogger(__name__)

# latest touch field (Odoo's utm.mixin) -> first-touch field written once
FIRST_TOUCH_FIELDS = {
    "source_id": "first_touch_source_id",
    "medium_id": "first_touch_medium_id",
    "campaign_id": "first_touch_campaign_id",
}
# context key letting merge and source cleansing rewrite a first touch
FORCE_FIRST_TOUCH = "lead_tracking_force_first_touch"


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "touch.plan.mixin"]

    # Attribution: first touch, written once (latest touch is source_id & co)
    first_touch_source_id = fields.Many2one(
        "utm.source",
        string="First-Touch Source",
        compute="_compute_first_touch",
        store=True,
        readonly=False,
        copy=False,
        index="btree_not_null",
        help="Where the lead came from the first time; never overwritten by "
        "later visits. The Source field keeps the latest touch.",
    )
    first_touch_medium_id = fields.Many2one(
        "utm.medium",
        string="First-Touch Medium",
        compute="_compute_first_touch",
        store=True,
        readonly=False,
        copy=False,
    )
    first_touch_campaign_id = fields.Many2one(
        "utm.campaign",
        string="First-Touch Campaign",
        compute="_compute_first_touch",
        store=True,
        readonly=False,
        copy=False,
    )
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        index=True,
        help="Channel of the first-touch source (or of the source when the "
        "first touch is unknown).",
    )
    # Referrals
    referred_by_id = fields.Many2one(
        "res.partner",
        string="Referrer",
        index="btree_not_null",
        tracking=True,
        help="The contact who referred this lead. Credited when the lead is won.",
    )
    referral_touch_id = fields.Many2one(
        "touch.plan.touch",
        string="Last Touch Before Referral",
        readonly=True,
        copy=False,
        groups="touch_plan.touch_plan_group_user",
        help="The referrer's last done touch before this lead arrived: the touch "
        "credited with the referral.",
    )
    referrer_referral_count = fields.Integer(
        string="Referrer's Referrals",
        compute="_compute_referrer_referral_count",
        help="How many leads the referrer has sent us.",
    )
    # Consent (purchased lists)
    consent = fields.Boolean(
        string="Email Consent",
        default=True,
        copy=False,
        tracking=True,
        help="Without consent nothing is emailed to this lead. Leads imported "
        "from a list start without consent.",
    )
    # Speed to lead
    first_response_date = fields.Datetime(
        readonly=True,
        copy=False,
        help="First customer-visible message, or done call or email activity, by an internal user.",
    )
    response_time = fields.Float(
        string="Response Time (min)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Minutes between the creation of the lead and its first response.",
    )
    response_working_time = fields.Float(
        string="Response Time (working min)",
        readonly=True,
        copy=False,
        aggregator="avg",
        help="Same as the response time, counted in the working hours of the "
        "team's (or company's) working schedule only.",
    )
    response_deadline = fields.Datetime(
        compute="_compute_response_deadline",
        store=True,
        copy=False,
        help="When the first answer is due, from the response target of the "
        "lead's channel and the team's working hours.",
    )
    is_late = fields.Boolean(
        string="Late Response",
        readonly=True,
        copy=False,
        index=True,
        help="Nobody answered before the response deadline.",
    )

    # ------------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------------

    @api.depends("source_id", "medium_id", "campaign_id")
    def _compute_first_touch(self):
        for lead in self:
            if (
                lead.first_touch_source_id
                or lead.first_touch_medium_id
                or lead.first_touch_campaign_id
            ):
                continue
            lead.first_touch_source_id = lead.source_id
            lead.first_touch_medium_id = lead.medium_id
            lead.first_touch_campaign_id = lead.campaign_id

    @api.depends("first_touch_source_id.channel", "source_id.channel")
    def _compute_channel(self):
        for lead in self:
            source = lead.first_touch_source_id or lead.source_id
            lead.channel = source.channel if source else False

    @api.depends("referred_by_id")
    def _compute_referrer_referral_count(self):
        referrers = self.referred_by_id
        counts = {}
        if referrers:
            counts = dict(
                self.env["crm.lead"]
                .sudo()
                .with_context(active_test=False)
                ._read_group(
                    [("referred_by_id", "in", referrers.ids)],
                    ["referred_by_id"],
                    ["__count"],
                )
            )
        for lead in self:
            lead.referrer_referral_count = counts.get(lead.referred_by_id, 0)

    @api.depends("create_date", "channel", "team_id", "company_id")
    def _compute_response_deadline(self):
        targets = self.env["lead.tracking.response.target"]._get_targets(
            self.company_id | self.env.company
        )
        for lead in self:
            company = lead.company_id or self.env.company
            minutes = targets.get((company.id, lead.channel or "other"))
            if not minutes or not lead.create_date:
                lead.response_deadline = False
                continue
            calendar = lead._lead_tracking_calendar()
            deadline = False
            if calendar:
                deadline = calendar.plan_hours(
                    minutes / 60.0, lead.create_date, compute_leaves=True
                )
            lead.response_deadline = deadline or lead.create_date + timedelta(minutes=minutes)

    # ------------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get("import_file"):
            self._lead_tracking_prepare_import(vals_list)
        leads = super().create(vals_list)
        leads.filtered("referred_by_id")._lead_tracking_record_referral_touch()
        return leads

    def _lead_tracking_prepare_import(self, vals_list):
        """Imported rows are a purchased list only when the importer says so:
        the whole file (context ``lead_tracking_purchased_list``, the import
        option) or the row's source column (a source of the purchased-list
        channel). Those rows start without consent; other imports are leads
        like any other."""
        whole_list = self.env.context.get("lead_tracking_purchased_list")
        purchased_sources = set(
            self.env["utm.source"].sudo().search([("channel", "=", "purchased_list")]).ids
        )
        default_source = self.env.ref(
            "lead_tracking.utm_source_purchased_list", raise_if_not_found=False
        )
        for vals in vals_list:
            if whole_list:
                vals.setdefault("consent", False)
                if default_source and not vals.get("source_id"):
                    vals["source_id"] = default_source.id
            elif vals.get("source_id") in purchased_sources:
                vals.setdefault("consent", False)

    def write(self, vals):
        first_touch_keys = set(FIRST_TOUCH_FIELDS.values()) & set(vals)
        if first_touch_keys and not self.env.context.get(FORCE_FIRST_TOUCH):
            locked = self.filtered(
                lambda lead: (
                    lead.first_touch_source_id
                    or lead.first_touch_medium_id
                    or lead.first_touch_campaign_id
                )
            )
            if locked and locked != self:
                return (self - locked).write(vals) and locked.write(vals)
            if locked:
                # a first touch is written once: later values are ignored
                vals = {key: value for key, value in vals.items() if key not in first_touch_keys}
                if not vals:
                    return True
        was_won = self.filtered(lambda lead: lead.active and lead.stage_id.is_won)
        res = super().write(vals)
        if vals.get("referred_by_id"):
            self._lead_tracking_record_referral_touch()
        if "stage_id" in vals or "active" in vals:
            newly_won = self.filtered(lambda lead: lead.active and lead.stage_id.is_won) - was_won
            if newly_won:
                newly_won._lead_tracking_on_won()
            if "active" in vals and not vals["active"]:
                self._lead_tracking_on_lost()
        return res

    # ------------------------------------------------------------------
    # MERGE
    # ------------------------------------------------------------------

    def _merge_get_fields_specific(self):
        specific = super()._merge_get_fields_specific()

        def earliest(fname):
            def pick(_fname, leads):
                dated = leads.filtered(lambda lead: lead[fname]).sorted(
                    lambda lead: (lead.create_date or fields.Datetime.now(), lead.id)
                )
                return dated[:1][fname].id if dated else False

            return pick

        for fname in (*FIRST_TOUCH_FIELDS.values(), "referred_by_id"):
            specific[fname] = earliest(fname)
        specific["consent"] = lambda _fname, leads: all(leads.mapped("consent"))
        return specific

    def _merge_dependences(self, opportunities):
        """The merged leads' nurture enrollments follow the surviving lead."""
        res = super()._merge_dependences(opportunities)
        opportunities.sudo()._touch_plan_merge_into(self.sudo())
        return res

    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        """The earliest lead's first touch survives the merge."""
        head = super(CrmLead, self.with_context(**{FORCE_FIRST_TOUCH: True}))._merge_opportunity(
            user_id=user_id, team_id=team_id, auto_unlink=auto_unlink, max_length=max_length
        )
        return head.with_context(**{FORCE_FIRST_TOUCH: False})

    # ------------------------------------------------------------------
    # MAIL: speed to lead and consent
    # ------------------------------------------------------------------

    def _message_post_after_hook(self, message, msg_vals):
        res = super()._message_post_after_hook(message, msg_vals)
        if self and self._lead_tracking_is_response(message):
            self._lead_tracking_register_response(message.date or fields.Datetime.now())
        elif self and self._lead_tracking_is_customer_reply(message):
            self._lead_tracking_on_reply()
        return res

    def _message_get_default_recipients(self):
        res = super()._message_get_default_recipients()
        for lead in self.filtered(lambda lead: not lead.consent):
            res[lead.id] = {"partner_ids": [], "email_to": False, "email_cc": False}
        return res

    def _message_get_suggested_recipients(self):
        if not self.consent:
            return []
        return super()._message_get_suggested_recipients()

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if self and not self.consent:
            # external contacts (the lead itself) get nothing without consent
            recipients = [rdata for rdata in recipients if not rdata.get("share")]
        return recipients

    # ------------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------------

    def action_lead_tracking_give_consent(self):
        self.write({"consent": True})
        return True

    def action_lead_tracking_start_nurture(self):
        """Enroll the leads in the nurture plans of their company."""
        leads = self.filtered(lambda lead: lead.active and not lead.stage_id.is_won)
        if not leads:
            raise UserError(_("Only open leads can be nurtured."))
        plans = self.env["touch.plan"].sudo().search(self._lead_tracking_nurture_plan_domain())
        if not plans:
            raise UserError(_("There is no active lead nurture plan: create one in Touch Plans."))
        enrollments = leads._lead_tracking_enroll(plans)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s lead(s) enrolled in %(plans)s.",
                    count=len(enrollments.mapped("res_id")),
                    plans=", ".join(plans.mapped("name")),
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------------

    def _lead_tracking_calendar(self):
        self.ensure_one()
        company = self.company_id or self.env.company
        return self.team_id.resource_calendar_id or company.resource_calendar_id

    def _lead_tracking_is_response(self, message):
        """A response is a customer-visible message, or a done call or email
        activity, whose author is an internal user."""
        author_users = message.sudo().author_id.user_ids
        if not author_users or all(user.share for user in author_users):
            return False
        if message.mail_activity_type_id:
            return message.mail_activity_type_id.lead_tracking_is_response
        return (
            message.message_type in ("email", "comment", "email_outgoing")
            and bool(message.subtype_id)
            and not message.subtype_id.internal
        )

    def _lead_tracking_is_customer_reply(self, message):
        if message.message_type != "email" or not message.author_id:
            return False
        return message.author_id in self.partner_id or (
            message.author_id.email_normalized
            and message.author_id.email_normalized in self.mapped("email_normalized")
        )

    def _lead_tracking_register_response(self, when):
        """Stamp the first response. Written as superuser: the answer may come
        from a user who can post on the lead but not edit it (activity done)."""
        for lead in self.sudo().filtered(lambda lead: not lead.first_response_date):
            start = lead.create_date or when
            vals = {
                "first_response_date": when,
                "response_time": max((when - start).total_seconds() / 60.0, 0.0),
                "response_working_time": lead._lead_tracking_working_minutes(start, when),
            }
            if lead.response_deadline and when > lead.response_deadline:
                vals["is_late"] = True
            lead.write(vals)

    def _lead_tracking_working_minutes(self, start, end):
        self.ensure_one()
        calendar = self._lead_tracking_calendar()
        if not calendar or end <= start:
            return max((end - start).total_seconds() / 60.0, 0.0)
        hours = calendar.get_work_duration_data(start, end, compute_leaves=True)["hours"]
        return round(hours * 60.0, 2)

    def _lead_tracking_nurture_plan_domain(self):
        companies = self.company_id | self.env.company
        return [
            ("kind", "=", "nurture"),
            ("res_model", "=", "crm.lead"),
            ("company_id", "in", companies.ids),
        ]

    def _lead_tracking_enroll(self, plans):
        """Enroll in touch plans as superuser: a salesman starts the nurture of
        his lead without being a touch plan user."""
        return self.sudo()._touch_plan_enroll(plans.sudo())

    def _lead_tracking_on_won(self):
        self._lead_tracking_stamp_acquisition()
        self.sudo()._touch_plan_stop(_("Lead won"))
        self._lead_tracking_credit_referrers()
        self._lead_tracking_enroll_customers()

    def _lead_tracking_on_lost(self):
        self.sudo()._touch_plan_stop(_("Lead lost"))

    def _lead_tracking_on_reply(self):
        self.sudo()._touch_plan_stop(_("The lead replied"))

    def _lead_tracking_credit_referrers(self):
        """The won lead's customer becomes the referrer's referral: touch_plan
        credits the referrer (last touch, Lifetime -> Advocates). As superuser:
        the salesman may not edit contacts."""
        for referrer, leads in self.filtered("referred_by_id").grouped("referred_by_id").items():
            partners = leads.partner_id.sudo().filtered(
                lambda partner, referrer=referrer: (
                    not partner.referred_by_id and partner != referrer
                )
            )
            if partners:
                partners.write({"referred_by_id": referrer.id})

    def _lead_tracking_enroll_customers(self):
        """A new customer joins the Lifetime plan, unless already in a
        lifetime or advocate plan (as superuser, like the referral credit)."""
        lifetime = self.env.ref("touch_plan.touch_plan_lifetime", raise_if_not_found=False)
        lifetime = lifetime and lifetime.sudo()
        if not lifetime or not lifetime.active:
            return
        partners = self.partner_id.sudo()
        if not partners:
            return
        running = partners._touch_plan_get_running_enrollments().filtered(
            lambda enrollment: enrollment.plan_id.kind in ("lifetime", "advocate")
        )
        partners = partners.filtered(lambda partner: partner.id not in running.mapped("res_id"))
        if partners:
            partners._touch_plan_enroll(lifetime)

    def _lead_tracking_record_referral_touch(self):
        """Remember the referrer's last done touch before each lead arrived."""
        leads = self.sudo().filtered("referred_by_id")
        if not leads:
            return
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", leads.referred_by_id.ids), ("state", "=", "done")],
                ["partner_id", "done_date"],
                order="done_date desc, id desc",
            )
        )
        for lead in leads:
            arrived = (lead.create_date or fields.Datetime.now()).date()
            lead.referral_touch_id = next(
                (
                    touch
                    for touch in touches
                    if touch.partner_id == lead.referred_by_id
                    and touch.done_date
                    and touch.done_date <= arrived
                ),
                False,
            )

    def _lead_tracking_acquisition_values(self):
        self.ensure_one()
        return {
            "acquisition_source_id": (self.first_touch_source_id or self.source_id).id,
            "acquisition_medium_id": (self.first_touch_medium_id or self.medium_id).id,
            "acquisition_campaign_id": (self.first_touch_campaign_id or self.campaign_id).id,
            "acquisition_channel": self.channel or "other",
            "acquisition_date": (self.date_closed or fields.Datetime.now()).date(),
            "acquisition_lead_id": self.id,
        }

    def _lead_tracking_stamp_acquisition(self):
        """Stamp the customer's acquisition from its first won lead. As
        superuser: the salesman winning the deal may not edit contacts."""
        done = set()
        for lead in self.sorted(lambda lead: (lead.create_date, lead.id)):
            partner = lead.partner_id.commercial_partner_id.sudo()
            if not partner or partner.id in done or partner.acquisition_date:
                continue
            done.add(partner.id)
            partner.write(lead._lead_tracking_acquisition_values())

    @api.model
    def _cron_lead_tracking_flag_late(self, batch_size=500):
        """Flag leads nobody answered before their deadline and give the team
        leader an escalation activity."""
        leads = self.search(
            [
                ("first_response_date", "=", False),
                ("is_late", "=", False),
                ("response_deadline", "<", fields.Datetime.now()),
            ]
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id("crm.lead")
        testing = modules.module.current_test
        done = 0
        for batch_ids in split_every(batch_size, leads.ids):
            batch = self.browse(batch_ids)
            batch.write({"is_late": True})
            vals_list = [
                {
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "user_id": lead.team_id.user_id.id,
                    "summary": _("Late lead: no answer yet"),
                    "note": _(
                        "%(lead)s was due an answer by %(deadline)s and nobody replied.",
                        lead=lead.name,
                        deadline=fields.Datetime.to_string(lead.response_deadline),
                    ),
                    "date_deadline": fields.Date.context_today(self),
                }
                for lead in batch
                if lead.team_id.user_id
            ]
            if vals_list:
                # the leader sees them in the activity menu: no email per lead
                self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
                    vals_list
                )
            done += len(batch)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(leads) - done)
            if not testing:
                self.env.cr.commit()  # pylint: disable=invalid-commit
        return True
