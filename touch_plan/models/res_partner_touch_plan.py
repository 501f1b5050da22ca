from odoo import _, api, fields, models

from .touch_plan_step import PREFERRED_CHANNELS


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "touch.plan.mixin"]

    touch_plan_email_opt_out = fields.Boolean(
        string="No Touch Plan Emails",
        help="The contact asked not to receive the emails of touch plans; "
        "their email touches are skipped.",
    )
    touch_plan_sms_opt_out = fields.Boolean(
        string="No Touch Plan SMS",
        help="The contact asked not to receive the text messages of touch plans; "
        "their SMS touches are skipped.",
    )
    touch_plan_preferred_channel = fields.Selection(
        PREFERRED_CHANNELS,
        string="Preferred Channel",
        tracking=True,
        help="How the client likes to be contacted: the steps of touch plans set to "
        "'Client's Preferred Channel' use it. Set by hand, it is kept; otherwise the "
        "preferred channel rules set it from the client's age and profile.",
    )
    touch_plan_channel_rule_id = fields.Many2one(
        "touch.plan.channel.rule",
        string="Preferred Channel Set by Rule",
        readonly=True,
        copy=False,
        ondelete="set null",
        index="btree_not_null",
        help="The rule that chose the preferred channel. Empty with a preferred "
        "channel: it was set by hand and no rule changes it.",
    )
    # referrals
    referred_by_id = fields.Many2one(
        "res.partner",
        string="Referred By",
        index="btree_not_null",
        tracking=True,
        help="Client who referred this contact to you.",
    )
    referral_ids = fields.One2many("res.partner", "referred_by_id", string="Referrals")
    referral_count = fields.Integer(compute="_compute_referral_count", string="Referral Count")
    referral_date = fields.Date(readonly=True, copy=False)
    referral_touch_id = fields.Many2one(
        "touch.plan.touch",
        string="Last Touch Before Referral",
        readonly=True,
        copy=False,
        groups="touch_plan.touch_plan_group_user",
        help="The referrer's last done touch before this contact was referred.",
    )
    # touches this year
    touch_ids = fields.One2many(
        "touch.plan.touch",
        "partner_id",
        string="Touches",
        groups="touch_plan.touch_plan_group_user",
    )
    touch_year_done_count = fields.Integer(
        compute="_compute_touch_year_counts",
        string="Touches Done This Year",
        groups="touch_plan.touch_plan_group_user",
    )
    touch_year_planned_count = fields.Integer(
        compute="_compute_touch_year_counts",
        string="Touches Planned This Year",
        groups="touch_plan.touch_plan_group_user",
    )
    touch_year_target = fields.Integer(
        compute="_compute_touch_year_counts",
        string="Yearly Touch Target",
        groups="touch_plan.touch_plan_group_user",
    )

    @api.depends("referral_ids")
    def _compute_referral_count(self):
        counts = dict(
            self.with_context(active_test=False)._read_group(
                [("referred_by_id", "in", self.ids)], ["referred_by_id"], ["__count"]
            )
        )
        for partner in self:
            partner.referral_count = counts.get(partner, 0)

    def _compute_touch_year_counts(self):
        """The touches of the running enrollments' current cycles: the same
        figures as the enrollments show, summed; the target is the highest."""
        enrollments = (
            self.env["touch.plan.enrollment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", self.ids),
                    ("state", "in", ("active", "paused")),
                ]
            )
            ._filtered_access("read")
        )
        by_partner = enrollments.grouped("res_id")
        for partner in self:
            running = by_partner.get(partner.id, enrollments.browse())
            partner.touch_year_done_count = sum(running.mapped("touch_done_count"))
            partner.touch_year_planned_count = sum(running.mapped("touch_planned_count"))
            partner.touch_year_target = max(running.sudo().plan_id.mapped("yearly_target") or [0])

    def _touch_plan_get_partner(self):
        self.ensure_one()
        return self

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners.filtered("referred_by_id")._touch_plan_credit_referrals()
        return partners

    def write(self, vals):
        if "touch_plan_preferred_channel" in vals and "touch_plan_channel_rule_id" not in vals:
            # a preferred channel written by anyone but the rules is set by hand
            vals = dict(vals, touch_plan_channel_rule_id=False)
        preference_changed = (
            self.filtered(
                lambda p: p.touch_plan_preferred_channel != vals["touch_plan_preferred_channel"]
            )
            if "touch_plan_preferred_channel" in vals
            else self.browse()
        )
        # only a new referrer is a new referral (not a write of the same value)
        changed = (
            self.filtered(lambda p: p.referred_by_id.id != vals["referred_by_id"])
            if vals.get("referred_by_id")
            else self.browse()
        )
        res = super().write(vals)
        if changed:
            changed._touch_plan_credit_referrals()
        if preference_changed:
            self.env["touch.plan.touch"]._apply_preferred_channel(preference_changed)
        if vals.get("active") is False:
            self._touch_plan_stop(_("Contact archived"), state="cancelled")
        return res

    def action_view_touch_plan_touches(self):
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("touch_plan.touch_plan_touch_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"search_default_filter_this_year": 1}
        return action

    def action_touch_plan_enroll(self):
        action = self.env["ir.actions.actions"]._for_xml_id(
            "touch_plan.touch_plan_enroll_wizard_action"
        )
        action["context"] = {"default_partner_ids": self.ids}
        return action

    def action_view_referrals(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Referrals of %(partner)s", partner=self.display_name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("referred_by_id", "=", self.id)],
            "context": {"default_referred_by_id": self.id},
        }

    # ------------------------------------------------------------------
    # Referrals
    # ------------------------------------------------------------------

    def _touch_plan_credit_referrals(self):
        """Credit the referrers of ``self`` (referred contacts).

        Records the referrer's last done touch before the referral, moves a
        referrer whose plan says so (Lifetime -> Advocates on the first
        referral, history kept) and schedules the plans' thank-you touches.
        Privileged: a rep recording a referral may not see the referrer's
        touches, so the reading and enrolling run as superuser.
        """
        referred = self.sudo().filtered("referred_by_id")
        if not referred:
            return
        referrers = referred.referred_by_id
        touches = (
            self.env["touch.plan.touch"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", referrers.ids), ("state", "=", "done")],
                ["partner_id", "done_date"],
                order="done_date desc, id desc",
            )
        )
        last_touch = {}
        for touch in touches:
            last_touch.setdefault(touch.partner_id.id, touch)
        today = fields.Date.context_today(self)
        for partner in referred:
            partner.referral_touch_id = last_touch.get(partner.referred_by_id.id, False)
            partner.referral_date = today
        counts = {
            referrer.id: len(partners)
            for referrer, partners in referred.grouped("referred_by_id").items()
        }
        referrers._touch_plan_on_referral(counts)

    def _touch_plan_on_referral(self, count=1):
        """Move referrers to their plan's referral plan and thank them.

        :param count: thank-yous per referrer, or ``{referrer_id: new referrals}``
        """
        enrollments = self.sudo()._touch_plan_get_running_enrollments()
        moving = enrollments.filtered(
            lambda e: e.plan_id.referral_plan_id and e.plan_id.referral_plan_id.active
        )
        for enrollment in moving:
            target = enrollment.plan_id.referral_plan_id
            enrollment._end("done", _("Moved to %(plan)s after a first referral", plan=target.name))
            enrollments |= (
                self.browse(enrollment.res_id)
                .sudo()
                ._touch_plan_enroll(
                    target,
                    previous_enrollment_id=enrollment.id,
                    # the client stays with their rep, not with whoever records the referral
                    user_id=enrollment.user_id.id,
                )
            )
        running = enrollments.filtered(lambda e: e.state == "active")
        running._touch_plan_thank(count)
