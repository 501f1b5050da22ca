from odoo import _, fields, models
from odoo.exceptions import UserError


class TouchPlanEnrollWizard(models.TransientModel):
    _name = "touch.plan.enroll.wizard"
    _description = "Enroll Contacts in a Touch Plan"

    plan_id = fields.Many2one(
        "touch.plan",
        string="Plan",
        required=True,
        domain="[('res_model', '=', 'res.partner')]",
    )
    partner_ids = fields.Many2many("res.partner", string="Contacts", required=True)
    user_id = fields.Many2one(
        "res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        help="Leave empty to use each contact's salesperson.",
    )

    def action_enroll(self):
        self.ensure_one()
        partners = self.partner_ids.filtered("active")
        if not partners:
            raise UserError(_("Choose at least one active contact to enroll."))
        values = {"user_id": self.user_id.id} if self.user_id else {}
        # the user's rights and record rules apply (no sudo): a rep enrolls their
        # own clients; enrolling plans the touches and schedules those due
        enrollments = partners._touch_plan_enroll(self.plan_id, **values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": _(
                    "%(count)s contact(s) enrolled in %(plan)s.",
                    count=len(enrollments),
                    plan=self.plan_id.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
