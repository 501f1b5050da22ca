from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .utm_source import CHANNELS


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
    channel = fields.Selection(
        CHANNELS,
        compute="_compute_channel",
        store=True,
        precompute=True,
        readonly=False,
        required=True,
        help="Channel the spend is charged to in the cost report; defaults to "
        "the source's channel.",
    )
    amount = fields.Monetary(required=True, currency_field="currency_id", tracking=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, default=lambda self: self.env.company.currency_id
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    company_currency_id = fields.Many2one(
        related="company_id.currency_id", string="Company Currency"
    )
    amount_company = fields.Monetary(
        string="Amount (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_amount_company",
        store=True,
        help="The amount converted into the company currency at the rate of "
        "the first day of the period.",
    )

    @api.depends("source_id.channel")
    def _compute_channel(self):
        for spend in self:
            spend.channel = spend.source_id.channel or spend.channel or "other"

    @api.depends("amount", "currency_id", "company_id", "date_from")
    def _compute_amount_company(self):
        for spend in self:
            company = spend.company_id or self.env.company
            if not spend.currency_id or spend.currency_id == company.currency_id:
                spend.amount_company = spend.amount
                continue
            spend.amount_company = spend.currency_id._convert(
                spend.amount,
                company.currency_id,
                company,
                spend.date_from or fields.Date.context_today(spend),
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

    @api.constrains("source_id", "medium_id", "campaign_id")
    def _check_target(self):
        for spend in self:
            if not (spend.source_id or spend.medium_id or spend.campaign_id):
                raise ValidationError(
                    _(
                        "The spend %(name)s must be charged to a source, a medium or a campaign.",
                        name=spend.name,
                    )
                )

    @api.constrains("date_from", "date_to", "currency_id", "source_id", "medium_id", "campaign_id")
    def _check_overlap_currency(self):
        for spend in self:
            clash = self.search(
                [
                    ("id", "!=", spend.id),
                    ("company_id", "=", spend.company_id.id),
                    ("source_id", "=", spend.source_id.id),
                    ("medium_id", "=", spend.medium_id.id),
                    ("campaign_id", "=", spend.campaign_id.id),
                    ("currency_id", "!=", spend.currency_id.id),
                    ("date_from", "<=", spend.date_to),
                    ("date_to", ">=", spend.date_from),
                ],
                limit=1,
            )
            if clash:
                raise ValidationError(
                    _(
                        "The spend %(name)s overlaps %(other)s for the same source, "
                        "medium and campaign in another currency (%(currency)s). "
                        "Record one currency per period.",
                        name=spend.name,
                        other=clash.name,
                        currency=clash.currency_id.name,
                    )
                )
