from odoo import _, models


class TouchPlanTouch(models.Model):
    _inherit = "touch.plan.touch"

    def _get_email_block_reason(self, record):
        if record._name == "crm.lead" and not record.consent:
            return _("The lead has not given consent to receive emails.")
        return super()._get_email_block_reason(record)
