from odoo import fields, models

CHANNELS = [
    ("web_form", "Website Form"),
    ("landing_page", "Landing Page"),
    ("social", "Social Media"),
    ("event", "Event / Trade Show"),
    ("purchased_list", "Purchased List"),
    ("referral", "Referral"),
    ("direct", "Direct"),
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
