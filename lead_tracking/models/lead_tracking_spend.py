from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class LeadTrackingSpend(models.Model):
    _name = "lead.tracking.spend"
    _description = "Marketing Spend"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"

    name = fields.Char(required=True)
    date_from = fields.Date(string="From", required=True)
    date_to = fields.Date(string="To", required=True)
    source_id = fields.Many2one("utm.source", string="Source")
    medium_id = fields.Many2one("utm.medium", string="Medium")
    campaign_id = fields.Many2one("utm.campaign", string="Campaign")
    amount = fields.Monetary(required=True, currency_field="currency_id", tracking=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for spend in self:
            if spend.date_to < spend.date_from:
                raise ValidationError(
                    _("The spend %(name)s ends before it starts.", name=spend.name)
                )

    @api.constrains("amount")
    def _check_amount(self):
        if any(spend.amount < 0 for spend in self):
            raise ValidationError(_("A marketing spend cannot be negative."))
