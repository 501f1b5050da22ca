import logging

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

RUNNING_STATES = ("active", "paused")


class LoyaltyClubPlanRule(models.Model):
    """Enroll or move clients in touch plans by RFM segment and club tier.

    Applied every day by :meth:`_cron_apply_plan_rules` (after the nightly
    scores) and by managers with "Run Now". Each rule finds its clients with one
    search; the enrollments it creates carry the rule (``club_rule_id``) and
    the enrollments it ends the reason, so the enrollments are the history of
    moves.
    """

    _name = "loyalty.club.plan.rule"
    _description = "Customer Club Plan Rule"
    _inherit = ["mail.thread"]
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10, help="Rules are applied in this order.")
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    # conditions
    segment_ids = fields.Many2many(
        "loyalty.club.segment",
        string="RFM Segments",
        help="Clients whose value score in the rule's company is in one of these segments.",
    )
    tier_ids = fields.Many2many(
        "loyalty.club.tier",
        string="Club Tiers",
        help="Clients holding a club card at one of these tiers. With segments too, "
        "a client must match both.",
    )
    # action
    plan_id = fields.Many2one(
        "touch.plan",
        string="Enroll In",
        required=True,
        ondelete="cascade",
        domain="[('res_model', '=', 'res.partner'), ('company_id', '=', company_id)]",
        tracking=True,
    )
    from_plan_ids = fields.Many2many(
        "touch.plan",
        "loyalty_club_plan_rule_from_plan_rel",
        "rule_id",
        "plan_id",
        string="Move From",
        domain="[('res_model', '=', 'res.partner'), ('company_id', '=', company_id), "
        "('id', '!=', plan_id)]",
        help="A matching client's running enrollment in these plans ends and the new "
        "enrollment replaces it, with the same responsible.",
    )
    only_from_plans = fields.Boolean(
        string="Only Clients of These Plans",
        help="Leave alone matching clients who are not enrolled in a 'Move From' plan. "
        "Otherwise they are enrolled too.",
    )
    once_per_client = fields.Boolean(
        default=True,
        help="A client this rule has enrolled or moved once is never enrolled by it again.",
    )
    cooldown_days = fields.Integer(
        string="Cool-down (days)",
        default=365,
        help="Without 'Once per Client': days before this rule may enroll the same client again.",
    )
    # results
    enrollment_ids = fields.One2many(
        "touch.plan.enrollment", "club_rule_id", string="Enrollments", readonly=True
    )
    enrollment_count = fields.Integer(compute="_compute_enrollment_count", string="Moved")
    last_run_date = fields.Datetime(string="Last Run", readonly=True)

    _sql_constraints = [
        (
            "cooldown_days_positive",
            "CHECK(cooldown_days >= 0)",
            "The cool-down of a plan rule cannot be negative.",
        ),
    ]

    def _compute_enrollment_count(self):
        counts = dict(
            self.env["touch.plan.enrollment"]
            .sudo()
            ._read_group([("club_rule_id", "in", self.ids)], ["club_rule_id"], ["__count"])
        )
        for rule in self:
            rule.enrollment_count = counts.get(rule, 0)

    @api.constrains("segment_ids", "tier_ids", "plan_id")
    def _check_condition(self):
        for rule in self:
            if not rule.segment_ids and not rule.tier_ids:
                raise ValidationError(
                    _(
                        "Plan rule %(rule)s needs at least one RFM segment or club tier.",
                        rule=rule.name,
                    )
                )

    @api.constrains("plan_id", "from_plan_ids", "company_id", "only_from_plans")
    def _check_plans(self):
        for rule in self:
            plans = rule.plan_id | rule.from_plan_ids
            if any(plan.res_model != "res.partner" for plan in plans):
                raise ValidationError(
                    _("Plan rule %(rule)s can only use plans that enroll contacts.", rule=rule.name)
                )
            if plans.company_id - rule.company_id:
                raise ValidationError(
                    _(
                        "The plans of rule %(rule)s must belong to its company %(company)s.",
                        rule=rule.name,
                        company=rule.company_id.name,
                    )
                )
            if rule.plan_id in rule.from_plan_ids:
                raise ValidationError(
                    _("Rule %(rule)s cannot move clients from a plan to itself.", rule=rule.name)
                )
            if rule.only_from_plans and not rule.from_plan_ids:
                raise ValidationError(
                    _(
                        "Rule %(rule)s is limited to clients of its 'Move From' plans: "
                        "choose at least one.",
                        rule=rule.name,
                    )
                )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_run(self):
        """Apply the rules now (club managers): same code path as the daily job."""
        self.check_access("write")
        count = self.sudo()._apply_rules()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _("%(count)s clients enrolled or moved.", count=count),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_enrollments(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "touch_plan.touch_plan_enrollment_action"
        )
        action["domain"] = [("club_rule_id", "=", self.id)]
        action["context"] = {}
        return action

    # ------------------------------------------------------------------
    # Business methods
    # ------------------------------------------------------------------

    @api.model
    def _cron_apply_plan_rules(self, batch_size=500):
        """Daily job: apply every active rule to at most ``batch_size`` clients.

        Calls again (``ir.cron`` reruns it while ``remaining``) when a rule had
        more clients than the batch; each run only picks clients not handled
        yet, so a rerun or a crash never moves anyone twice.
        """
        rules = self.search([])
        done = remaining = 0
        for rule in rules:
            count, more = rule._apply_isolated(batch_size)
            done += count
            remaining += int(more)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _apply_rules(self, limit=None):
        """Apply the rules ``self`` in their order; returns how many clients moved."""
        done = 0
        for rule in self.sorted():
            done += rule._apply_isolated(limit)[0]
        return done

    def _apply_isolated(self, limit=None):
        """Apply one rule; if it fails as a whole (e.g. an archived plan), log
        the error on the rule and go on. Returns ``(count, more_to_do)``."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                partners = self._get_partners(limit)
                count = self._apply_to(partners)
        except Exception as error:  # one broken rule never stops the others
            self.env.invalidate_all()
            _logger.info("Plan rule %s failed and was skipped", self.id, exc_info=True)
            self._log_rule_failure(error)
            return 0, False
        self.last_run_date = fields.Datetime.now()
        return count, bool(limit) and len(partners) >= limit

    def _get_partners_domain(self):
        """Contacts the rule enrolls today: matching, not yet in its plan, not
        moved by it already (once or within the cool-down)."""
        self.ensure_one()
        Enrollment = self.env["touch.plan.enrollment"]
        domain = [("company_id", "in", (False, self.company_id.id))]
        if self.segment_ids:
            scores = self.env["loyalty.club.score"]._search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("segment_id", "in", self.segment_ids.ids),
                ]
            )
            domain.append(("id", "in", scores.subselect("partner_id")))
        if self.tier_ids:
            cards = self.env["loyalty.card"]._search(
                [("club_tier_id", "in", self.tier_ids.ids), ("partner_id", "!=", False)]
            )
            domain.append(("id", "in", cards.subselect("partner_id")))
        running = Enrollment._search(
            [
                ("plan_id", "=", self.plan_id.id),
                ("res_model", "=", "res.partner"),
                ("state", "in", RUNNING_STATES),
            ]
        )
        domain.append(("id", "not in", running.subselect("res_id")))
        moved_domain = [("club_rule_id", "=", self.id), ("res_model", "=", "res.partner")]
        if not self.once_per_client:
            since = fields.Date.context_today(self) - relativedelta(days=self.cooldown_days)
            moved_domain.append(("date_start", ">", since))
        domain.append(("id", "not in", Enrollment._search(moved_domain).subselect("res_id")))
        if self.only_from_plans:
            sources = Enrollment._search(
                [
                    ("plan_id", "in", self.from_plan_ids.ids),
                    ("res_model", "=", "res.partner"),
                    ("state", "in", RUNNING_STATES),
                ]
            )
            domain.append(("id", "in", sources.subselect("res_id")))
        return domain

    def _get_partners(self, limit=None):
        self.ensure_one()
        if not self.plan_id.active:
            raise UserError(
                _(
                    "Plan %(plan)s is archived: rule %(rule)s enrolls nobody until it is "
                    "restored or the rule points to another plan.",
                    plan=self.plan_id.name,
                    rule=self.name,
                )
            )
        self.plan_id._check_enrollable()
        return self.env["res.partner"].search(self._get_partners_domain(), limit=limit, order="id")

    def _apply_to(self, partners):
        """Move ``partners`` (all matching the rule): end their enrollments in
        the 'Move From' plans and enroll them in the rule's plan, at once; if
        that fails, one by one so that a bad client is logged and skipped."""
        self.ensure_one()
        if not partners:
            return 0
        try:
            with self.env.cr.savepoint():
                self._move(partners)
            return len(partners)
        except Exception:  # retried one by one below
            self.env.invalidate_all()
        count = 0
        errors = {}
        for partner in partners:
            try:
                with self.env.cr.savepoint():
                    self._move(partner)
                count += 1
            except Exception as error:  # a bad client never stops the others
                self.env.invalidate_all()
                _logger.info(
                    "Plan rule %s failed on partner %s", self.id, partner.id, exc_info=True
                )
                errors[partner.id] = error
        if errors:
            self._log_partner_failures(partners.browse(list(errors)), errors)
        return count

    def _move(self, partners):
        """End the running 'Move From' enrollments of ``partners`` and enroll
        them in the rule's plan, keeping their responsible."""
        Enrollment = self.env["touch.plan.enrollment"]
        ended = Enrollment.search(
            [
                ("plan_id", "in", self.from_plan_ids.ids),
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("state", "in", RUNNING_STATES),
            ],
            order="date_start, id",
        )
        previous = {enrollment.res_id: enrollment for enrollment in ended}
        ended._end(
            "done",
            _("Moved to %(plan)s by rule %(rule)s", plan=self.plan_id.name, rule=self.name),
        )
        vals_list = []
        for partner in partners:
            vals = self._prepare_enrollment_values(partner, previous.get(partner.id))
            vals_list.append(vals)
        enrollments = Enrollment.create(vals_list)
        bodies = {}
        for enrollment in enrollments:
            origin = enrollment.previous_enrollment_id
            if origin:
                body = _(
                    "Moved from %(old)s to %(new)s by plan rule %(rule)s.",
                    old=origin.plan_id.name,
                    new=enrollment.plan_id.name,
                    rule=self.name,
                )
            else:
                body = _(
                    "Enrolled in %(new)s by plan rule %(rule)s.",
                    new=enrollment.plan_id.name,
                    rule=self.name,
                )
            bodies[enrollment.res_id] = Markup("<p>%s</p>") % body
        partners._message_log_batch(bodies=bodies)
        return enrollments

    def _prepare_enrollment_values(self, partner, previous=None):
        """Values of the enrollment of ``partner`` by the rule (hook)."""
        self.ensure_one()
        vals = partner._touch_plan_prepare_enrollment_values(self.plan_id)
        vals.update(
            {
                "company_id": self.company_id.id,
                "club_rule_id": self.id,
                "date_start": fields.Date.context_today(self),
            }
        )
        if previous:
            # the client stays with their rep, as in the move after a first referral
            vals.update({"previous_enrollment_id": previous.id, "user_id": previous.user_id.id})
        return vals

    def _log_rule_failure(self, error):
        self.ensure_one()
        self.message_post(
            body=Markup("<p>%s</p><pre>%s</pre>")
            % (_("The daily job could not apply this rule and skipped it:"), str(error))
        )

    def _log_partner_failures(self, partners, errors):
        """Log on the rule and on each client why the client was skipped."""
        title = _("Plan rule %(rule)s could not enroll this client:", rule=self.name)
        partners._message_log_batch(
            bodies={
                partner.id: Markup("<p>%s</p><pre>%s</pre>") % (title, str(errors[partner.id]))
                for partner in partners
            }
        )
        self.message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                _("Clients skipped today (see their chatter):"),
                Markup().join(Markup("<li>%s</li>") % partner.display_name for partner in partners),
            )
        )
