from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .utm_source import CHANNELS


class LeadTrackingResponseTarget(models.Model):
    _name = "lead.tracking.response.target"
    _description = "Lead Response Target"
    _order = "company_id, channel"

    channel = fields.Selection(CHANNELS, required=True)
    target_minutes = fields.Integer(
        string="Answer Within (working min)",
        required=True,
        default=60,
        help="A lead of this channel must be answered within this many working "
        "minutes of the team's working hours, or it is flagged late.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )

    _sql_constraints = [
        (
            "channel_company_uniq",
            "unique(channel, company_id)",
            "A channel has one response target per company.",
        ),
    ]

    @api.constrains("target_minutes")
    def _check_target_minutes(self):
        if any(target.target_minutes <= 0 for target in self):
            raise ValidationError(_("A response target must be a positive number of minutes."))

    @api.model
    def _get_targets(self, companies):
        """{(company id, channel): minutes} for ``companies``."""
        targets = self.sudo().search_read(
            [("company_id", "in", companies.ids)], ["company_id", "channel", "target_minutes"]
        )
        return {
            (target["company_id"][0], target["channel"]): target["target_minutes"]
            for target in targets
        }
