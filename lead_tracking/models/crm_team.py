from odoo import fields, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    resource_calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working Hours",
        help="Used to count response times in working minutes and to set "
        "response deadlines. Defaults to the company's working hours.",
    )
