from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .touch_plan_step import CALL_OUTCOMES, CHANNEL_OUTCOMES, DELIVERY_OUTCOMES, OUTCOMES


class MailActivity(models.Model):
    """A manual touch's activity sits on the client (``res.partner`` or
    ``crm.lead``) and points back to its touch: marking it done, from wherever
    the rep sees it, marks the touch done; cancelling it skips the touch."""

    _inherit = "mail.activity"

    touch_plan_touch_id = fields.Many2one(
        "touch.plan.touch",
        string="Touch",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        help="The planned touch this activity carries out.",
    )
    touch_plan_channel = fields.Selection(
        related="touch_plan_touch_id.channel", string="Touch Channel"
    )
    touch_plan_outcome = fields.Selection(
        OUTCOMES,
        string="Touch Outcome",
        help="For touch plan activities: how the touch went (a call that reached "
        "the client triggers the follow-up note).",
    )
    # the same outcome, offered per channel (no "Sent" for a call)
    touch_plan_call_outcome = fields.Selection(
        CALL_OUTCOMES,
        string="Call Outcome",
        compute="_compute_touch_plan_channel_outcomes",
        inverse="_inverse_touch_plan_call_outcome",
    )
    touch_plan_delivery_outcome = fields.Selection(
        DELIVERY_OUTCOMES,
        string="Delivery Outcome",
        compute="_compute_touch_plan_channel_outcomes",
        inverse="_inverse_touch_plan_delivery_outcome",
    )

    @api.depends("touch_plan_outcome")
    def _compute_touch_plan_channel_outcomes(self):
        calls = {key for key, _label in CALL_OUTCOMES}
        deliveries = {key for key, _label in DELIVERY_OUTCOMES}
        for activity in self:
            outcome = activity.touch_plan_outcome
            activity.touch_plan_call_outcome = outcome if outcome in calls else False
            activity.touch_plan_delivery_outcome = outcome if outcome in deliveries else False

    def _inverse_touch_plan_call_outcome(self):
        for activity in self.filtered(lambda a: a.touch_plan_channel == "call"):
            activity.touch_plan_outcome = activity.touch_plan_call_outcome

    def _inverse_touch_plan_delivery_outcome(self):
        for activity in self.filtered(
            lambda a: a.touch_plan_channel and a.touch_plan_channel not in ("call", "email")
        ):
            activity.touch_plan_outcome = activity.touch_plan_delivery_outcome

    @api.constrains("touch_plan_outcome", "touch_plan_touch_id")
    def _check_touch_plan_outcome(self):
        for activity in self.filtered("touch_plan_outcome"):
            channel = activity.sudo().touch_plan_touch_id.channel
            if channel and activity.touch_plan_outcome not in CHANNEL_OUTCOMES.get(
                channel, {activity.touch_plan_outcome}
            ):
                labels = dict(self._fields["touch_plan_outcome"]._description_selection(self.env))
                channels = dict(self._fields["touch_plan_channel"]._description_selection(self.env))
                raise ValidationError(
                    _(
                        "A touch by %(channel)s cannot have the outcome %(outcome)s.",
                        channel=channels.get(channel, channel),
                        outcome=labels[activity.touch_plan_outcome],
                    )
                )

    def _touch_plan_set_notes(self, notes):
        """Write ``notes`` (same order as ``self``) in one UPDATE, each distinct
        note sanitized once by the field: the stored value is the one
        ``write()`` would store, without one sanitizing per activity."""
        field = self._fields["note"]
        sanitized = {}
        values = []
        for note in notes:
            if note not in sanitized:
                sanitized[note] = field.convert_to_column(note, self)
            values.append(sanitized[note])
        self.flush_recordset(["note"])
        self.env.execute_query(
            SQL(
                """UPDATE mail_activity AS activity
                      SET note = new.note
                     FROM unnest(%s::int[], %s::text[]) AS new(id, note)
                    WHERE activity.id = new.id""",
                self.ids,
                values,
            )
        )
        self.invalidate_recordset(["note"])

    def _action_done(self, feedback=False, attachment_ids=None):
        """Every way of marking an activity done ends here: mark its touch done."""
        touch_activities = self.filtered("touch_plan_touch_id")
        if touch_activities:
            forced = self.env.context.get("touch_plan_outcome")
            outcomes = {
                activity.touch_plan_touch_id.id: forced or activity.touch_plan_outcome
                for activity in touch_activities
            }
            touch_activities.sudo().touch_plan_touch_id._mark_done(outcomes=outcomes)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        """A touch whose activity is cancelled is skipped, with the reason."""
        touches = self.sudo().touch_plan_touch_id.filtered(
            lambda t: t.state == "scheduled" and t.activity_id in self
        )
        if touches:
            touches.write(
                {
                    "state": "skipped",
                    "skip_reason": _("Activity cancelled by %(user)s", user=self.env.user.name),
                }
            )
        return super().unlink()
