from odoo import models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    def _update_sms_notifications(
        self, notification_status, failure_type=False, failure_reason=False
    ):
        """A touch whose SMS failed, at sending or later by a delivery report, is
        not done: see ``touch.plan.touch._on_sms_failed``."""
        res = super()._update_sms_notifications(
            notification_status, failure_type=failure_type, failure_reason=failure_reason
        )
        if notification_status in ("exception", "bounce"):
            notifications = self.mail_notification_id.filtered(
                lambda n: n.notification_status == notification_status
            )
            if notifications:
                self.env["touch.plan.touch"]._on_sms_failed(
                    notifications.mail_message_id, failure_type, failure_reason
                )
        return res
