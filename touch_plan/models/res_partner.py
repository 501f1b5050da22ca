from odoo import _, api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    key_date_ids = fields.One2many(
        "touch.plan.key.date",
        "partner_id",
        string="Key Dates",
        groups="touch_plan.touch_plan_group_user",
    )
    touch_plan_has_shortfall = fields.Boolean(
        string="Fewer Touches than Target",
        compute="_compute_touch_plan_has_shortfall",
        search="_search_touch_plan_has_shortfall",
        groups="touch_plan.touch_plan_group_user",
        help="A running enrollment of the client plans fewer touches than its plan's "
        "steps ask for (no country, no key date known, too few occasions).",
    )

    def _compute_touch_plan_has_shortfall(self):
        enrollments = self.env["touch.plan.enrollment"].search(
            [("partner_id", "in", self.ids), ("state", "in", ("active", "paused"))]
        )
        short = enrollments.filtered("has_shortfall").partner_id
        for partner in self:
            partner.touch_plan_has_shortfall = partner in short

    @api.model
    def _search_touch_plan_has_shortfall(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(operator)
        short = self.env["touch.plan.enrollment"].search([("has_shortfall", "=", True)])
        return [("id", "in" if (operator == "=") == value else "not in", short.partner_id.ids)]

    def action_touch_plan_key_dates(self):
        """The contact's key dates in their own list: a rep edits them there
        without needing the right to edit the contact itself."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id("touch_plan.touch_plan_key_date_action")
        action.update(
            {
                "name": _("Key Dates of %(partner)s", partner=self.display_name),
                "domain": [("partner_id", "=", self.id)],
                "context": {"default_partner_id": self.id},
                "view_mode": "list,form",
                "views": [(False, "list"), (False, "form")],
            }
        )
        return action
