from odoo import api, fields, models

# trace statuses that mean the email never reached the client
FAILED_STATUSES = ("bounce", "error")
# failures that are the client's address, not the firm's mail server: only
# these send the touch to its fallback (an outgoing server down must not turn
# the whole book into calls; Odoo keeps those mails to be retried)
CLIENT_FAILURES = (
    "mail_bounce",
    "mail_email_invalid",
    "mail_email_missing",
    "mail_bl",
    "mail_optout",
)


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    touch_plan_touch_id = fields.Many2one(
        "touch.plan.touch",
        string="Touch",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The touch of a touch plan this email carried out.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        traces = super().create(vals_list)
        traces._touch_plan_notify({vals.get("trace_status") for vals in vals_list})
        return traces

    def write(self, vals):
        res = super().write(vals)
        if "trace_status" in vals:
            self._touch_plan_notify({vals["trace_status"]})
        return res

    def _touch_plan_client_unreachable(self):
        """Whether the trace says the client's address cannot be reached."""
        self.ensure_one()
        return self.trace_status == "bounce" or (
            self.trace_status == "error" and self.failure_type in CLIENT_FAILURES
        )

    def _touch_plan_notify(self, statuses):
        """Tell the touches of the traces what their email did: every status
        change of mass_mailing (bounce, failure, reply) goes through here.

        As superuser: bounces and replies come from the mail gateway, whose
        user may not manage touch plans.
        """
        touches = self.sudo().touch_plan_touch_id
        if not touches:
            return
        if statuses & set(FAILED_STATUSES):
            failed = self.filtered(lambda t: t._touch_plan_client_unreachable())
            failed.sudo().touch_plan_touch_id._on_email_failed()
        if "reply" in statuses:
            replied = self.filtered(lambda t: t.trace_status == "reply")
            replied.sudo().touch_plan_touch_id._on_email_replied()
