from odoo import _, fields, models

from .touch_plan_step import OUTCOMES


class MailActivity(models.Model):
    _inherit = "mail.activity"

    touch_plan_outcome = fields.Selection(
        OUTCOMES,
        string="Touch Outcome",
        help="For touch plan activities: how the touch went (a call that reached "
        "the client triggers the follow-up note).",
    )

    def _touch_plan_touches(self):
        touch_ids = [a.res_id for a in self if a.res_model == "touch.plan.touch"]
        return self.env["touch.plan.touch"].sudo().browse(touch_ids).exists()

    def _action_done(self, feedback=False, attachment_ids=None):
        touches = self._touch_plan_touches()
        if touches:
            forced = self.env.context.get("touch_plan_outcome")
            outcomes = {
                activity.res_id: forced or activity.touch_plan_outcome
                for activity in self
                if activity.res_model == "touch.plan.touch"
            }
            touches._mark_done(outcomes=outcomes)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        touches = self._touch_plan_touches().filtered(lambda t: t.state == "scheduled")
        if touches:
            touches.write(
                {
                    "state": "skipped",
                    "skip_reason": _("Activity cancelled by %(user)s", user=self.env.user.name),
                }
            )
        return super().unlink()
