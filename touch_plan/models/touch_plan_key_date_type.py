from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class TouchPlanKeyDateType(models.Model):
    _name = "touch.plan.key.date.type"
    _description = "Key Date Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Technical code, used by plans and imports to find this type.",
    )
    yearly = fields.Boolean(
        default=True,
        help="Yearly dates (birthday, anniversary) recur every year on the same day; "
        "other dates (passport or contract expiry) occur once, on the date itself.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    key_date_count = fields.Integer(compute="_compute_key_date_count", string="Key Dates")

    _sql_constraints = [
        ("code_uniq", "unique (code)", "Another key date type already has this code."),
    ]

    @api.constrains("yearly")
    def _check_yearly_once_per_partner(self):
        yearly = self.filtered("yearly")
        if not yearly:
            return
        duplicates = self.env["touch.plan.key.date"]._read_group(
            [("type_id", "in", yearly.ids)],
            ["partner_id", "type_id"],
            having=[("__count", ">", 1)],
            limit=1,
        )
        if duplicates:
            partner, date_type = duplicates[0]
            raise ValidationError(
                _(
                    "%(type)s cannot become yearly: %(partner)s has several of them. "
                    "Keep one per contact first.",
                    type=date_type.name,
                    partner=partner.display_name,
                )
            )

    def _compute_key_date_count(self):
        counts = dict(
            self.env["touch.plan.key.date"]._read_group(
                [("type_id", "in", self.ids)], ["type_id"], ["__count"]
            )
        )
        for date_type in self:
            date_type.key_date_count = counts.get(date_type, 0)
