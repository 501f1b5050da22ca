from odoo import _, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    key_date_ids = fields.One2many(
        "touch.plan.key.date",
        "partner_id",
        string="Key Dates",
        groups="touch_plan.touch_plan_group_user",
    )

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
