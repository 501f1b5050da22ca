from odoo import _, api, models


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        """Safety net for mass mails and templates sent to a lead: without
        consent they are cancelled, never sent. Notifications to followers
        (internal users) are not concerned, the lead is filtered out of them."""
        return super().create(self._lead_tracking_apply_consent(vals_list))

    @api.model
    def _touch_plan_prepare_bulk_values(self, vals_list):
        """The same net for the mails the touch engine creates in bulk."""
        return self._lead_tracking_apply_consent(super()._touch_plan_prepare_bulk_values(vals_list))

    @api.model
    def _lead_tracking_apply_consent(self, vals_list):
        """Cancel, with the reason, the values of mails to leads without consent."""
        lead_ids = {
            vals["res_id"]
            for vals in vals_list
            if vals.get("model") == "crm.lead"
            and vals.get("res_id")
            and not vals.get("is_notification")
        }
        if lead_ids:
            blocked = set(
                self.env["crm.lead"]
                .sudo()
                .with_context(active_test=False)
                .search([("id", "in", list(lead_ids)), ("consent", "=", False)])
                .ids
            )
            for vals in vals_list:
                if (
                    vals.get("model") == "crm.lead"
                    and vals.get("res_id") in blocked
                    and not vals.get("is_notification")
                ):
                    vals["state"] = "cancel"
                    vals["failure_reason"] = _(
                        "Not sent: the lead has not given consent to receive emails."
                    )
        return vals_list
