from odoo import fields, models

from .utm_source import CHANNELS


class ResPartner(models.Model):
    _inherit = "res.partner"

    acquisition_source_id = fields.Many2one("utm.source", readonly=True, copy=False)
    acquisition_medium_id = fields.Many2one("utm.medium", readonly=True, copy=False)
    acquisition_campaign_id = fields.Many2one("utm.campaign", readonly=True, copy=False)
    acquisition_channel = fields.Selection(CHANNELS, readonly=True, copy=False, index=True)
    acquisition_date = fields.Date(
        readonly=True,
        copy=False,
        index=True,
        help="When this customer's first opportunity was won.",
    )
    acquisition_lead_id = fields.Many2one(
        "crm.lead", string="Acquisition Opportunity", readonly=True, copy=False
    )
