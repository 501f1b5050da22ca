from collections import defaultdict

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# the touches' measures of a variant: (field counting them, domain on the touches)
VARIANT_MEASURES = {
    "sent_count": [("is_email_sent", "=", True)],
    "opened_count": [("is_email_opened", "=", True)],
    "clicked_count": [("is_email_clicked", "=", True)],
    "replied_count": [("is_email_replied", "=", True)],
    "bounced_count": [("is_email_bounced", "=", True)],
    "done_count": [("state", "=", "done")],
}


class TouchPlanStepVariant(models.Model):
    """One version of a step tried against the others (A/B test).

    Each client enrolled gets one variant of the step for all its touches of
    it, in the proportions of the weights; once a winner is chosen, the
    step's planned touches use it.
    """

    _name = "touch.plan.step.variant"
    _description = "Touch Plan Step Variant"
    _order = "step_id, sequence, id"

    step_id = fields.Many2one("touch.plan.step", required=True, ondelete="cascade", index=True)
    plan_id = fields.Many2one(related="step_id.plan_id", store=True)
    company_id = fields.Many2one(related="step_id.company_id", store=True)
    channel = fields.Selection(related="step_id.channel")
    res_model = fields.Char(related="step_id.res_model")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain="[('model', '=', res_model)]",
        help="Sent instead of the step's template to the clients of this variant.",
    )
    sms_body = fields.Text(
        string="SMS Text",
        translate=True,
        help="Text sent instead of the step's SMS to the clients of this variant "
        "(steps sent by SMS).",
    )
    weight = fields.Integer(
        string="Split (%)",
        required=True,
        default=50,
        help="Share of the clients who get this variant.",
    )
    is_winner = fields.Boolean(compute="_compute_is_winner")
    # results, side by side on the step
    touch_count = fields.Integer(string="Touches", compute="_compute_results")
    done_count = fields.Integer(string="Done", compute="_compute_results")
    sent_count = fields.Integer(string="Sent", compute="_compute_results")
    opened_count = fields.Integer(string="Opened", compute="_compute_results")
    clicked_count = fields.Integer(string="Clicked", compute="_compute_results")
    replied_count = fields.Integer(string="Replied", compute="_compute_results")
    bounced_count = fields.Integer(string="Bounced", compute="_compute_results")
    referral_count = fields.Integer(string="Referrals", compute="_compute_results")
    open_rate = fields.Float(string="Open Rate (%)", compute="_compute_results", digits=(16, 1))
    click_rate = fields.Float(string="Click Rate (%)", compute="_compute_results", digits=(16, 1))
    reply_rate = fields.Float(string="Reply Rate (%)", compute="_compute_results", digits=(16, 1))
    referral_rate = fields.Float(
        string="Referrals per 100 Touches",
        compute="_compute_results",
        digits=(16, 1),
        help="Referrals credited to the variant's touches, per 100 touches done.",
    )

    _sql_constraints = [
        ("weight_range", "CHECK (weight BETWEEN 0 AND 100)", "A split is 0 to 100 percent."),
    ]

    @api.depends("step_id.ab_winner_variant_id")
    def _compute_is_winner(self):
        for variant in self:
            variant.is_winner = variant.step_id.ab_winner_variant_id == variant

    def _compute_results(self):
        """All variants' figures with one grouped query per measure."""
        Touch = self.env["touch.plan.touch"].sudo()
        base = [("variant_id", "in", self.ids), ("state", "!=", "cancelled")]
        counts = {
            "touch_count": dict(Touch._read_group(base, ["variant_id"], ["__count"])),
        }
        for name, domain in VARIANT_MEASURES.items():
            counts[name] = dict(Touch._read_group(base + domain, ["variant_id"], ["__count"]))
        referrals = defaultdict(int)
        for touch, count in (
            self.env["res.partner"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [("referral_touch_id.variant_id", "in", self.ids)],
                ["referral_touch_id"],
                ["__count"],
            )
        ):
            referrals[touch.variant_id] += count
        for variant in self:
            for name in ("touch_count", *VARIANT_MEASURES):
                variant[name] = counts[name].get(variant, 0)
            variant.referral_count = referrals[variant]
            delivered = variant.sent_count - variant.bounced_count
            variant.open_rate = 100.0 * variant.opened_count / delivered if delivered > 0 else 0.0
            variant.click_rate = 100.0 * variant.clicked_count / delivered if delivered > 0 else 0.0
            variant.reply_rate = 100.0 * variant.replied_count / delivered if delivered > 0 else 0.0
            variant.referral_rate = (
                100.0 * variant.referral_count / variant.done_count if variant.done_count else 0.0
            )

    @api.constrains("mail_template_id", "step_id")
    def _check_template(self):
        for variant in self:
            if variant.step_id.channel == "email" and not variant.mail_template_id:
                raise ValidationError(
                    _(
                        "Variant %(variant)s of step %(step)s is sent by email: choose its "
                        "email template.",
                        variant=variant.name,
                        step=variant.step_id.name,
                    )
                )

    def action_choose_winner(self):
        """Make this variant the step's winner: the planned touches use it."""
        self.ensure_one()
        if self.step_id.ab_winner_variant_id:
            raise UserError(
                _(
                    "Step %(step)s already has its winner: %(variant)s.",
                    step=self.step_id.name,
                    variant=self.step_id.ab_winner_variant_id.name,
                )
            )
        self.step_id._set_ab_winner(self)
        return True

    def _get_criterion_value(self, criterion):
        """The variant's figure that ``criterion`` of the step compares."""
        self.ensure_one()
        return {
            "open_rate": self.open_rate,
            "click_rate": self.click_rate,
            "reply_rate": self.reply_rate,
            "referral_rate": self.referral_rate,
        }[criterion]
