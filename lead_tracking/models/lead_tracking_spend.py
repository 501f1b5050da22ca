from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

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

    @api.constrains("date_from", "date_to", "company_id", "source_id", "medium_id", "campaign_id")
    def _check_overlap(self):
        """One spend per source, medium, campaign and day: a second line for
        the same target and an overlapping period would count the money twice
        (or mix two currencies in one period)."""
        self.flush_model(["date_from", "date_to", "company_id", "source_id", "medium_id"])
        self.flush_model(["campaign_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT DISTINCT ON (s.id) s.id, o.id
                  FROM lead_tracking_spend s
                  JOIN lead_tracking_spend o
                    ON o.id <> s.id
                   AND o.company_id = s.company_id
                   AND o.source_id IS NOT DISTINCT FROM s.source_id
                   AND o.medium_id IS NOT DISTINCT FROM s.medium_id
                   AND o.campaign_id IS NOT DISTINCT FROM s.campaign_id
                   AND o.date_from <= s.date_to
                   AND o.date_to >= s.date_from
                 WHERE s.id IN %s
                 ORDER BY s.id, o.date_from, o.id
                """,
                tuple(self.ids),
            )
        )
        row = self.env.cr.fetchone()
        if not row:
            return
        spend, other = self.browse(row[0]), self.browse(row[1])
        raise ValidationError(
            _(
                "The spend %(name)s (%(start)s to %(end)s) overlaps the spend %(other)s "
                "(%(other_start)s to %(other_end)s, %(amount)s %(currency)s) for the same "
                "source, medium and campaign. Change that line instead of adding a second "
                "one, or give this one its own campaign or period.",
                name=spend.name,
                start=spend.date_from,
                end=spend.date_to,
                other=other.name,
                other_start=other.date_from,
                other_end=other.date_to,
                amount=other.amount,
                currency=other.currency_id.name,
            )
        )
