import datetime

from odoo import fields
from odoo.tests import TransactionCase, new_test_user


class TouchPlanReportCase(TransactionCase):
    """A hand-built year of touches whose rates are computed by hand in the tests.

    Two reps, two clients, two plans (targets 12 and 1). Touches of client A
    (rep 1, plan "Report Plan"), dated relative to today:

    ===  =====  ===========  =========  =======  =========
    #    kind   state        date       done on  referrals
    ===  =====  ===========  =========  =======  =========
    1    call   done         today-30   today-30 1
    2    call   done         today-30   today-28 0  (late)
    3    call   skipped      today-30   -        0  (due, missed)
    4    call   planned      today-1    -        0  (due, late)
    5    call   planned      today+10   -        0  (not due)
    ===  =====  ===========  =========  =======  =========

    Client B (rep 2, plan "Report Plan Small"): 6 gift done on time with one
    referral, 7 gift cancelled (never counted).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # the reports count "due" against the server's UTC date (a SQL view
        # cannot know the reader's time zone): the fixtures do the same, so
        # they hold in the hour when Brussels is already tomorrow
        cls.today = fields.Date.today()
        day = datetime.timedelta(days=1)
        cls.rep1 = new_test_user(
            cls.env, login="tp_report_rep1", groups="touch_plan.touch_plan_group_user"
        )
        cls.rep2 = new_test_user(
            cls.env, login="tp_report_rep2", groups="touch_plan.touch_plan_group_user"
        )
        cls.manager = new_test_user(
            cls.env, login="tp_report_manager", groups="touch_plan.touch_plan_group_manager"
        )
        cls.country = cls.env.ref("base.be")
        cls.plan, cls.plan_small = cls.env["touch.plan"].create(
            [
                {
                    "name": "Report Plan",
                    "yearly_target": 12,
                    "step_ids": [
                        (0, 0, {"name": "Call", "kind": "call", "channel": "call", "count": 5})
                    ],
                },
                {
                    "name": "Report Plan Small",
                    "yearly_target": 1,
                    "step_ids": [
                        (0, 0, {"name": "Gift", "kind": "gift", "channel": "gift", "count": 2})
                    ],
                },
            ]
        )
        cls.client_a, cls.client_b = cls.env["res.partner"].create(
            [
                {
                    "name": "Report Client A",
                    "street": "Rue Haute 1",
                    "city": "Brussels",
                    "zip": "1000",
                    "country_id": cls.country.id,
                },
                # no street: listed as incomplete on the labels
                {"name": "Report Client B", "city": "Ghent", "country_id": cls.country.id},
            ]
        )
        start = cls.today - 100 * day
        cls.enrollment_a, cls.enrollment_b = cls.env["touch.plan.enrollment"].create(
            [
                {
                    "plan_id": cls.plan.id,
                    "partner_id": cls.client_a.id,
                    "user_id": cls.rep1.id,
                    "date_start": start,
                    # the touches are built by hand below
                    "touches_generated": True,
                },
                {
                    "plan_id": cls.plan_small.id,
                    "partner_id": cls.client_b.id,
                    "user_id": cls.rep2.id,
                    "date_start": start,
                    "touches_generated": True,
                },
            ]
        )
        step_a, step_b = cls.plan.step_ids, cls.plan_small.step_ids

        def touch(enrollment, step, occurrence, date, state="planned", done=None):
            return {
                "enrollment_id": enrollment.id,
                "step_id": step.id,
                "name": f"{step.name} {occurrence}",
                "kind": step.kind,
                "channel": step.channel,
                "cycle_start": enrollment.cycle_start,
                "occurrence": occurrence,
                "scheduled_date": date,
                "state": state,
                "done_date": done,
                "outcome": "reached" if state == "done" and step.channel == "call" else False,
            }

        past = cls.today - 30 * day
        cls.touches = cls.env["touch.plan.touch"].create(
            [
                touch(cls.enrollment_a, step_a, 1, past, "done", past),
                touch(cls.enrollment_a, step_a, 2, past, "done", past + 2 * day),
                touch(cls.enrollment_a, step_a, 3, past, "skipped"),
                touch(cls.enrollment_a, step_a, 4, cls.today - day),
                touch(cls.enrollment_a, step_a, 5, cls.today + 10 * day),
                touch(cls.enrollment_b, step_b, 1, past, "done", past),
                touch(cls.enrollment_b, step_b, 2, past, "cancelled"),
            ]
        )
        # referred contacts credited to touches 1 and 6
        cls.env["res.partner"].create(
            [
                {"name": "Referred by A", "referral_touch_id": cls.touches[0].id},
                {"name": "Referred by B", "referral_touch_id": cls.touches[5].id},
            ]
        )
        cls.env.flush_all()
