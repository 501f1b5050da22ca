"""18.0.1.1.0: the activities of manual touches move to the client.

Before, a touch's activity sat on the ``touch.plan.touch`` record itself, out
of the client's chatter, the Contacts and CRM activity views and the systray.
They now sit on the enrolled record (``res.partner`` or ``crm.lead``), linked
to their touch by ``mail.activity.touch_plan_touch_id``.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    rows = env.execute_query(
        SQL(
            """UPDATE mail_activity AS activity
                  SET res_model_id = model.id,
                      res_model = enrollment.res_model,
                      res_id = enrollment.res_id,
                      touch_plan_touch_id = touch.id
                 FROM touch_plan_touch AS touch
                 JOIN touch_plan_enrollment AS enrollment ON enrollment.id = touch.enrollment_id
                 JOIN ir_model AS model ON model.model = enrollment.res_model
                WHERE activity.res_model = 'touch.plan.touch'
                  AND activity.res_id = touch.id
            RETURNING activity.id"""
        )
    )
    # activities of touches that no longer exist have nothing to carry out
    env.execute_query(
        SQL(
            """DELETE FROM mail_activity
                WHERE res_model = 'touch.plan.touch'
                  AND res_id NOT IN (SELECT id FROM touch_plan_touch)"""
        )
    )
    activities = env["mail.activity"].browse([row[0] for row in rows])
    env.add_to_compute(env["mail.activity"]._fields["res_name"], activities)
    # the responsible follows the client, as for activities created since
    for model, records in activities.grouped("res_model").items():
        for user, user_activities in records.grouped("user_id").items():
            if user:
                env[model].browse(user_activities.mapped("res_id")).message_subscribe(
                    partner_ids=user.partner_id.ids
                )
    env.flush_all()
