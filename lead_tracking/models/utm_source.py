from odoo import api, fields, models

CHANNELS = [
    ("web_form", "Website Form"),
    ("landing_page", "Landing Page"),
    ("social", "Social Media"),
    ("event", "Event / Trade Show"),
    ("purchased_list", "Purchased List"),
    ("referral", "Referral"),
    ("direct", "Direct"),
    ("email", "Email / Newsletter"),
    ("other", "Other"),
]


class UtmSource(models.Model):
    _inherit = "utm.source"

    channel = fields.Selection(
        CHANNELS,
        default="other",
        required=True,
        help="The kind of channel this source belongs to, used to compare "
        "conversion and the cost of a new customer across channels.",
    )

    @api.model
    def name_create(self, name):
        """Imports and quick creates go through the mapping rules first, so a
        messy name ("FB ads", "facebook.com") lands on its clean source."""
        source = self.env["lead.tracking.source.rule"]._map_source_name(name)
        if source:
            return source.id, source.display_name
        return super().name_create(name)
