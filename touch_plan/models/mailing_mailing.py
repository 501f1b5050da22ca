from odoo import _, api, fields, models
from odoo.tools import SQL


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    touch_plan_step_id = fields.Many2one(
        "touch.plan.step",
        string="Touch Plan Step",
        ondelete="set null",
        readonly=True,
        index="btree_not_null",
        help="The step whose emails this mailing gathers (empty for a newsletter edition, "
        "which gathers the newsletters of every plan).",
    )
    touch_plan_template_id = fields.Many2one(
        "mail.template", string="Touch Plan Template", ondelete="set null", readonly=True
    )
    touch_plan_month = fields.Date(
        string="Touch Plan Month", readonly=True, help="First day of the month of the emails."
    )
    is_touch_plan = fields.Boolean(
        string="Touch Plan Mailing",
        readonly=True,
        help="Gathers the emails sent by touch plans: one mailing per step, template and month, "
        "or per newsletter edition.",
    )

    def init(self):
        res = super().init()
        # one mailing per step (or newsletter), template and month
        self.env.cr.execute(
            SQL(
                """CREATE UNIQUE INDEX IF NOT EXISTS mailing_mailing_touch_plan_uniq
                       ON mailing_mailing (COALESCE(touch_plan_step_id, 0),
                                           touch_plan_template_id, touch_plan_month)
                    WHERE is_touch_plan"""
            )
        )
        return res

    @api.model
    def _touch_plan_get_mailings(self, keys):
        """Return ``{(step_id or 0, template_id, month): mailing}``, creating the
        missing touch plan mailings in one batch. Privileged (see callers)."""
        Mailing = self.sudo()
        found = {}
        if not keys:
            return found
        existing = Mailing.with_context(active_test=False).search(
            [
                ("is_touch_plan", "=", True),
                ("touch_plan_template_id", "in", list({key[1] for key in keys})),
                ("touch_plan_month", "in", list({key[2] for key in keys})),
            ]
        )
        for mailing in existing:
            key = (
                mailing.touch_plan_step_id.id or 0,
                mailing.touch_plan_template_id.id,
                mailing.touch_plan_month,
            )
            found[key] = mailing
        missing = [key for key in keys if key not in found]
        if missing:
            vals_list = [self._touch_plan_prepare_mailing_values(*key) for key in missing]
            created = Mailing.create(vals_list)
            found.update(zip(missing, created, strict=True))
        return found

    @api.model
    def _touch_plan_prepare_mailing_values(self, step_id, template_id, month):
        step = self.env["touch.plan.step"].browse(step_id)
        template = self.env["mail.template"].browse(template_id)
        month_label = month.strftime("%Y-%m")
        if step:
            name = _(
                "Touch Plan: %(plan)s, %(step)s (%(template)s) %(month)s",
                plan=step.plan_id.name,
                step=step.name,
                template=template.name,
                month=month_label,
            )
        else:
            name = _(
                "Touch Plan: %(template)s %(month)s", template=template.name, month=month_label
            )
        return {
            "name": name,
            "subject": template.subject or template.name,
            "body_html": template.body_html,
            "mailing_model_id": template.model_id.id,
            "mailing_domain": "[('id', 'in', [])]",
            "state": "done",
            "sent_date": fields.Datetime.now(),
            "ab_testing_schedule_datetime": False,
            "is_touch_plan": True,
            "touch_plan_step_id": step_id or False,
            "touch_plan_template_id": template_id,
            "touch_plan_month": month,
        }
