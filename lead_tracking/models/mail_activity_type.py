from odoo import fields, models


class MailActivityType(models.Model):
    _inherit = "mail.activity.type"

    lead_tracking_is_response = fields.Boolean(
        string="Counts as Lead Response",
        help="Marking such an activity done on a lead counts as answering it "
        "(speed to lead), like a call or an email.",
    )
