import logging

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models, modules
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import split_every
from odoo.tools.safe_eval import safe_eval

from .touch_plan_step import PREFERRED_CHANNELS

_logger = logging.getLogger(__name__)


class TouchPlanChannelRule(models.Model):
    """A rule choosing a client's preferred channel from facts: their age (from
    the birthday key date) and their profile (a contact domain).

    The first active rule (by sequence) matching a client sets their preferred
    channel, unless the channel was set by hand. Other modules add facts by
    extending :meth:`_match_partners`.
    """

    _name = "touch.plan.channel.rule"
    _description = "Preferred Channel Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    min_age = fields.Integer(
        string="From Age",
        help="Clients at least this old, in years, from their birthday key date "
        "(0: no lower limit).",
    )
    max_age = fields.Integer(
        string="Under Age",
        help="Clients younger than this, in years, from their birthday key date "
        "(0: no upper limit).",
    )
    partner_domain = fields.Char(
        string="Clients",
        default="[]",
        help="Only the contacts matching this filter.",
    )
    channel = fields.Selection(PREFERRED_CHANNELS, string="Preferred Channel", required=True)
    partner_count = fields.Integer(compute="_compute_partner_count", string="Clients Set")

    _sql_constraints = [
        ("min_age_positive", "CHECK (min_age >= 0)", "An age cannot be negative."),
        ("max_age_positive", "CHECK (max_age >= 0)", "An age cannot be negative."),
    ]

    def _compute_partner_count(self):
        counts = dict(
            self.env["res.partner"]
            .with_context(active_test=False)
            ._read_group(
                [("touch_plan_channel_rule_id", "in", self.ids)],
                ["touch_plan_channel_rule_id"],
                ["__count"],
            )
        )
        for rule in self:
            rule.partner_count = counts.get(rule, 0)

    @api.constrains("min_age", "max_age")
    def _check_ages(self):
        for rule in self:
            if rule.min_age and rule.max_age and rule.max_age <= rule.min_age:
                raise ValidationError(
                    _(
                        "Rule %(rule)s: the age must be under %(max)s and at least %(min)s; "
                        "choose an upper limit above the lower one.",
                        rule=rule.name,
                        max=rule.max_age,
                        min=rule.min_age,
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for rule in self:
            try:
                self.env["res.partner"].search_count(rule._get_partner_domain(), limit=1)
            except Exception as error:
                raise ValidationError(
                    _(
                        "Rule %(rule)s: the client filter is not valid (%(error)s).",
                        rule=rule.name,
                        error=error,
                    )
                ) from error

    def unlink(self):
        # the clients a deleted rule set are not "set by hand": the other rules decide
        partners = (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            .search([("touch_plan_channel_rule_id", "in", self.ids)])
        )
        partners.write({"touch_plan_preferred_channel": False, "touch_plan_channel_rule_id": False})
        res = super().unlink()
        self._apply_rules(partners)
        return res

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_apply_rules(self):
        """Apply every active rule now to every client (button of the rules)."""
        # the rules' managers apply them; writing the contacts is the rules' work
        self.check_access("write")
        changed = self._apply_rules_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "Preferred channel rules applied: %(count)s clients changed.",
                    count=changed,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_partners(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Clients Set by %(rule)s", rule=self.name),
            "res_model": "res.partner",
            "view_mode": "list,form",
            "domain": [("touch_plan_channel_rule_id", "=", self.id)],
        }

    # ------------------------------------------------------------------
    # Matching
    # ------------------------------------------------------------------

    def _get_partner_domain(self):
        self.ensure_one()
        return safe_eval(self.partner_domain or "[]")

    @api.model
    def _get_ages(self, partners):
        """``{partner_id: age in years today}`` from the birthday key dates of
        ``partners`` (one query); partners without a birthday are left out."""
        birthday = self.env["touch.plan.key.date.type"].search([("code", "=", "birthday")], limit=1)
        if not birthday or not partners:
            return {}
        today = fields.Date.context_today(self)
        key_dates = (
            self.env["touch.plan.key.date"]
            .sudo()
            .search_fetch(
                [("partner_id", "in", partners.ids), ("type_id", "=", birthday.id)],
                ["partner_id", "date"],
            )
        )
        return {
            key_date.partner_id.id: relativedelta(today, key_date.date).years
            for key_date in key_dates
            if key_date.date <= today
        }

    def _match_partners(self, partners, ages=None):
        """The partners of ``partners`` that rule ``self`` matches.

        Extend it to add facts (a segment, a tier): call ``super()`` and narrow
        its result.

        :param ages: ``{partner_id: age}`` (see :meth:`_get_ages`), read if None
        """
        self.ensure_one()
        matched = partners
        if self.min_age or self.max_age:
            ages = self._get_ages(partners) if ages is None else ages
            matched = matched.filtered(
                lambda p: (
                    p.id in ages
                    and ages[p.id] >= self.min_age
                    and (not self.max_age or ages[p.id] < self.max_age)
                )
            )
        domain = self._get_partner_domain()
        if matched and domain:
            matched = matched.with_context(active_test=False).search(
                expression.AND([[("id", "in", matched.ids)], domain])
            )
        return matched

    def _get_rule_per_partner(self, partners):
        """``{partner_id: rule}``: the first rule of ``self`` (in sequence) matching
        each partner. A rule that fails (e.g. a filter on a field since removed)
        is logged and skipped, never stopping the others."""
        ages = self._get_ages(partners)
        result = {}
        remaining = partners
        for rule in self.sorted(lambda r: (r.sequence, r.id)):
            if not remaining:
                break
            try:
                with self.env.cr.savepoint():
                    matched = rule._match_partners(remaining, ages=ages)
            except Exception:
                _logger.warning(
                    "Preferred channel rule %s failed and is skipped", rule.id, exc_info=True
                )
                continue
            for partner in matched:
                result[partner.id] = rule
            remaining -= matched
        return result

    @api.model
    def _apply_rules(self, partners):
        """Set the preferred channel of ``partners`` from the active rules.

        A channel set by hand is kept; a channel a rule set follows the rules
        (another rule, or none any more: cleared). Writes once per distinct
        result. Returns the number of partners changed.
        """
        partners = partners.sudo().filtered(
            lambda p: not p.touch_plan_preferred_channel or p.touch_plan_channel_rule_id
        )
        if not partners:
            return 0
        rules = self.sudo().search([])
        by_partner = rules._get_rule_per_partner(partners)
        changes = {}
        for partner in partners:
            rule = by_partner.get(partner.id, rules.browse())
            value = (rule.channel or False, rule.id or False)
            current = (partner.touch_plan_preferred_channel, partner.touch_plan_channel_rule_id.id)
            if value != current:
                changes.setdefault(value, partners.browse())
                changes[value] |= partner
        for (channel, rule_id), group in changes.items():
            group.write(
                {"touch_plan_preferred_channel": channel, "touch_plan_channel_rule_id": rule_id}
            )
        return sum(len(group) for group in changes.values())

    @api.model
    def _get_candidate_domain(self):
        """Contacts whose preferred channel the rules may set (not set by hand)."""
        return [
            "|",
            ("touch_plan_preferred_channel", "=", False),
            ("touch_plan_channel_rule_id", "!=", False),
        ]

    @api.model
    def _apply_rules_all(self, batch_size=1000, cron=False):
        """Apply the rules to every contact not set by hand, in batches (the
        daily job reports its progress and commits between them)."""
        Partner = self.env["res.partner"].sudo()
        partner_ids = Partner.search(self._get_candidate_domain()).ids
        changed = done = 0
        for batch_ids in split_every(batch_size, partner_ids):
            changed += self._apply_rules(Partner.browse(batch_ids))
            done += len(batch_ids)
            if cron:
                self.env["ir.cron"]._notify_progress(done=done, remaining=len(partner_ids) - done)
                if not modules.module.current_test:
                    self.env.cr.commit()  # pylint: disable=invalid-commit
        return changed

    @api.model
    def _cron_apply_rules(self, batch_size=1000):
        """Daily job: the clients' ages change, so do the rules' results."""
        self._apply_rules_all(batch_size, cron=True)
