import datetime

import holidays
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_touch import TouchPlanCase


@tagged("post_install", "-at_install")
class TestTouchEngine(TouchPlanCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env.ref("touch_plan.mail_template_touch_newsletter")
        cls.custom_plan = cls.env["touch.plan"].create({"name": "Dates plan", "yearly_target": 2})
        cls.birthday_step = cls.env["touch.plan.step"].create(
            {
                "plan_id": cls.custom_plan.id,
                "name": "Birthday card",
                "kind": "occasion_card",
                "count": 1,
                "timing": "key_date",
                "key_date_type_ids": [(4, cls.key_types[0].id)],
                "channel": "card",
            }
        )
        cls.eid_step = cls.env["touch.plan.step"].create(
            {
                "plan_id": cls.custom_plan.id,
                "name": "Eid card",
                "kind": "holiday_card",
                "count": 2,
                "timing": "occasion",
                "occasion_ids": [(4, cls.occasions[5].id)],
                "channel": "card",
            }
        )

    def test_shipped_plans_mix(self):
        """Each shipped plan gives a client 12/7/5/4/2 touches in one cycle, no follow-up yet."""
        with freeze_time("2027-01-10"):
            for plan in self.lifetime | self.advocate:
                client = self._create_client(f"Mix {plan.kind}")
                enrollment = client._touch_plan_enroll(plan)
                self._run_cron()
                self.assertEqual(enrollment.cycle_start, datetime.date(2027, 1, 10))
                self.assertEqual(enrollment.cycle_end, datetime.date(2028, 1, 9))
                self.assertEqual(
                    self._kinds(enrollment.touch_ids),
                    {"newsletter": 12, "holiday_card": 7, "call": 5, "occasion_card": 4, "gift": 2},
                )
                newsletters = enrollment.touch_ids.filtered(lambda t: t.kind == "newsletter")
                self.assertEqual({t.scheduled_date.day for t in newsletters}, {1})
                self.assertEqual(len(set(newsletters.mapped("scheduled_date"))), 12)
                self.assertTrue(
                    all(
                        enrollment.cycle_start <= t.scheduled_date <= enrollment.cycle_end
                        for t in enrollment.touch_ids
                    )
                )
                gifts = enrollment.touch_ids.filtered(lambda t: t.kind == "gift")
                self.assertEqual(
                    gifts.mapped("scheduled_date"),
                    [datetime.date(2027, 6, 1), datetime.date(2027, 12, 1)],
                )
                # holiday cards are posted five days before the holiday
                eid = enrollment.touch_ids.filtered(
                    lambda t: (
                        t.kind == "holiday_card" and t.scheduled_date == datetime.date(2027, 3, 5)
                    )
                )
                self.assertTrue(eid, "the card for Eid al-Fitr 2027 (March 10) goes out March 5")
                # the partner form shows the year's counters
                self.assertEqual(client.touch_year_target, 33)
                # the same figures as the enrollment: its current cycle
                self.assertEqual(
                    (client.touch_year_done_count, client.touch_year_planned_count),
                    (enrollment.touch_done_count, enrollment.touch_planned_count),
                )
                self.assertEqual(
                    client.touch_year_done_count + client.touch_year_planned_count,
                    len(enrollment.touch_ids),
                )

    def test_followup_after_reached_call_only(self):
        """A follow-up note comes only after a call that reached the client, at most 3 a cycle."""
        with freeze_time("2027-01-10"):
            client = self._create_client("Caller")
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
            calls = enrollment.touch_ids.filtered(lambda t: t.kind == "call")
            self.assertEqual(len(calls), 5)
            calls._schedule_activities()
            self.assertTrue(all(calls.mapped("activity_id")))
            self.assertEqual(calls[0].activity_id.user_id, self.rep)
            # a call with no answer gives no follow-up
            activity = calls[0].activity_id
            activity.touch_plan_outcome = "no_answer"
            activity.with_user(self.rep).action_feedback(feedback="No answer")
        self.assertEqual(calls[0].state, "done")
        self.assertEqual(calls[0].outcome, "no_answer")
        self.assertFalse(enrollment.touch_ids.filtered(lambda t: t.kind == "followup"))
        # four reached calls: three follow-ups only
        with freeze_time("2027-02-01"):
            for call in calls[1:]:
                call.activity_id.touch_plan_outcome = "reached"
                call.activity_id.with_user(self.rep).action_feedback()
        followups = enrollment.touch_ids.filtered(lambda t: t.kind == "followup")
        self.assertEqual(len(followups), 3)
        self.assertEqual(set(followups.mapped("scheduled_date")), {datetime.date(2027, 2, 2)})
        self.assertEqual(followups.trigger_touch_id, calls[1:4])
        self.assertEqual(sorted(followups.mapped("occurrence")), [1, 2, 3])
        # the follow-up is emailed by the next run
        with freeze_time("2027-02-02"):
            self._run_cron()
        self.assertEqual(set(followups.mapped("state")), {"done"})
        self.assertTrue(all(followups.mapped("mail_id")))

    def test_cancelled_activity_skips_touch(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Canceller")
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
            call = enrollment.touch_ids.filtered(lambda t: t.kind == "call")[0]
            call._schedule_activities()
            call.activity_id.with_user(self.rep).action_cancel()
        self.assertEqual(call.state, "skipped")
        self.assertIn("cancelled", call.skip_reason)
        self.assertFalse(enrollment.touch_ids.filtered(lambda t: t.kind == "followup"))

    def test_generated_touches_hold_computed_values(self):
        """Touches created in bulk hold what their computations give, and show at once."""
        self.birthday_step.user_id = self.env.user
        client = self._create_client("Bulk")
        with freeze_time("2027-01-01"):
            enrollment = client._touch_plan_enroll(self.custom_plan)
            # enrolling plans the cycle: the touches show on the enrollment at once
            touches = enrollment.touch_ids
            self.assertTrue(touches)
            self.assertFalse(enrollment._generate_touches(), "planned once")
        self.assertEqual(set(touches.step_id.ids), {self.birthday_step.id, self.eid_step.id})
        for touch in touches:
            self.assertEqual(touch.plan_id, self.custom_plan)
            self.assertEqual(touch.partner_id, client)
            self.assertEqual(touch.company_id, enrollment.company_id)
            self.assertEqual(touch.state, "planned")
            self.assertEqual(touch.create_uid, self.env.user)
            self.assertFalse(touch.message_ids, "no chatter message per touch")
            self.assertFalse(touch.message_follower_ids)
        birthday = touches.filtered(lambda t: t.step_id == self.birthday_step)
        self.assertEqual(birthday.user_id, self.env.user, "the step's responsible first")
        self.assertEqual((touches - birthday).user_id, self.rep, "then the enrollment's")

    def test_feb29_birthday(self):
        client = self._create_client("Leap", key_dates=False)
        self.env["touch.plan.key.date"].create(
            {"partner_id": client.id, "type_id": self.key_types[0].id, "date": "2000-02-29"}
        )
        with freeze_time("2027-01-01"):
            enrollment = client._touch_plan_enroll(self.custom_plan)
            enrollment._generate_touches()
        card = enrollment.touch_ids.filtered(lambda t: t.step_id == self.birthday_step)
        self.assertEqual(card.scheduled_date, datetime.date(2027, 2, 28))

        self.company.touch_plan_feb29_policy = "mar1"
        other = self._create_client("Leap Mar", key_dates=False)
        self.env["touch.plan.key.date"].create(
            {"partner_id": other.id, "type_id": self.key_types[0].id, "date": "2000-02-29"}
        )
        with freeze_time("2027-01-01"):
            enrollment = other._touch_plan_enroll(self.custom_plan)
            enrollment._generate_touches()
        card = enrollment.touch_ids.filtered(lambda t: t.step_id == self.birthday_step)
        self.assertEqual(card.scheduled_date, datetime.date(2027, 3, 1))

    def test_moving_holiday_per_year(self):
        """Eid al-Fitr lands on the country's date of each year, cycle after cycle."""
        client = self._create_client("Eid", key_dates=False)
        with freeze_time("2027-01-01"):
            enrollment = client._touch_plan_enroll(self.custom_plan)
            self._run_cron()
        eid = enrollment.touch_ids.filtered(lambda t: t.step_id == self.eid_step)
        self.assertEqual(eid.mapped("scheduled_date"), [datetime.date(2027, 3, 10)])
        # the next cycle renews and uses 2028's date
        with freeze_time("2028-01-01"):
            self._run_cron()
        self.assertEqual(enrollment.cycle_start, datetime.date(2028, 1, 1))
        eid = enrollment.touch_ids.filtered(lambda t: t.step_id == self.eid_step)
        self.assertEqual(
            eid.mapped("scheduled_date"), [datetime.date(2027, 3, 10), datetime.date(2028, 2, 27)]
        )

    def test_holidays_filled_from_library(self):
        """Occasions filled from the holidays library: each year's Eid, for that country."""
        saudi = self.env.ref("base.sa")
        wizard = Form(self.env["touch.plan.occasion.fill"])
        wizard.country_id = saudi
        wizard.year_from = 2027
        wizard.year_to = 2028
        wizard.save().action_fill()
        plan = self.env["touch.plan"].create({"name": "Eid cards", "yearly_target": 7})
        self.env["touch.plan.step"].create(
            {
                "plan_id": plan.id,
                "name": "Holiday card",
                "kind": "holiday_card",
                "count": 7,
                "timing": "occasion",
                "offset_days": -3,
                "channel": "card",
            }
        )
        client = self._create_client("Riyadh", key_dates=False, country_id=saudi.id)
        with freeze_time("2027-01-01"):
            enrollment = client._touch_plan_enroll(plan)
            self._run_cron()
        self.assertTrue(enrollment.touch_ids)
        self.assertLessEqual(len(enrollment.touch_ids), 7)
        eid_cards = []
        for year in (2027, 2028):
            calendar_days = holidays.country_holidays("SA", years=year, language="en_US")
            eid = min(
                day
                for day in calendar_days
                for label in calendar_days.get_list(day)
                if label.startswith("Eid al-Fitr") and "observed" not in label
            )
            if year == 2028:
                with freeze_time("2028-01-01"):
                    self._run_cron()
            eid_cards.append(eid - datetime.timedelta(days=3))
            self.assertIn(
                eid_cards[-1],
                enrollment.touch_ids.mapped("scheduled_date"),
                f"the card for Eid al-Fitr {year} goes out three days before it",
            )
        # a client of another country does not get Saudi Arabia's holidays
        nowhere = self.env["res.country"].create({"name": "Nowhereland", "code": "NX"})
        other = self._create_client("Elsewhere", key_dates=False, country_id=nowhere.id)
        with freeze_time("2027-01-01"):
            touches = other._touch_plan_enroll(plan)._generate_touches()
        self.assertNotIn(eid_cards[0], touches.mapped("scheduled_date"))

    def test_activity_deadline_off_weekends_and_holidays(self):
        calendar = self.company.resource_calendar_id
        calendar.tz = "UTC"
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Company holiday",
                "calendar_id": calendar.id,
                "company_id": self.company.id,
                "date_from": "2027-03-08 00:00:00",
                "date_to": "2027-03-08 23:59:59",
            }
        )
        client = self._create_client("Weekend", key_dates=False)
        with freeze_time("2027-03-01"):
            enrollment = client._touch_plan_enroll(self.custom_plan)
            enrollment._generate_touches()
            step = self.eid_step
            dates = {
                "saturday": datetime.date(2027, 3, 6),
                "sunday": datetime.date(2027, 3, 7),
                "holiday": datetime.date(2027, 3, 8),
                "past_weekend": datetime.date(2027, 2, 27),
            }
            touches = self.Touch.create(
                [
                    enrollment._prepare_touch_values(step, day, 10 + index)
                    for index, day in enumerate(dates.values())
                ]
            )
            touches._schedule_activities()
        deadlines = touches.activity_id.mapped("date_deadline")
        for deadline in deadlines:
            self.assertLess(deadline.weekday(), 5, "no activity on a weekend")
            self.assertNotEqual(deadline, datetime.date(2027, 3, 8), "no activity on a holiday")
        # weekend and holiday move back to Friday; a past date moves to today (Monday)
        self.assertEqual(
            deadlines,
            [
                datetime.date(2027, 3, 5),
                datetime.date(2027, 3, 5),
                datetime.date(2027, 3, 5),
                datetime.date(2027, 3, 1),
            ],
        )

    def test_plan_edit_regenerates_future_only(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Editor")
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
        with freeze_time("2027-03-15"):
            newsletters = enrollment.touch_ids.filtered(lambda t: t.kind == "newsletter")
            past = newsletters.filtered(lambda t: t.scheduled_date < datetime.date(2027, 3, 15))
            self._run_cron()
            self.assertEqual(set(past.mapped("state")), {"done"})
            step = self.lifetime.step_ids.filtered(lambda s: s.kind == "newsletter")
            step.day_of_month = 20
        newsletters = enrollment.touch_ids.filtered(lambda t: t.kind == "newsletter")
        self.assertEqual(len(newsletters), 12)
        self.assertTrue(past.exists(), "done touches are kept")
        future = newsletters - past
        self.assertEqual({t.scheduled_date.day for t in future}, {20})
        self.assertEqual({t.scheduled_date.day for t in past}, {1})

    def test_pause_resume_cancel(self):
        with freeze_time("2027-01-10"):
            client = self._create_client("Pauser")
            enrollment = client._touch_plan_enroll(self.lifetime)
            self._run_cron()
            enrollment.action_pause()
        with freeze_time("2027-02-05"):
            self._run_cron()
            february = enrollment.touch_ids.filtered(
                lambda t: t.scheduled_date == datetime.date(2027, 2, 1)
            )
            self.assertEqual(
                set(february.mapped("state")), {"planned"}, "nothing sent while paused"
            )
            enrollment.action_resume()
            self.assertEqual(set(february.mapped("state")), {"skipped"})
            enrollment.action_cancel()
        self.assertEqual(enrollment.state, "cancelled")
        self.assertFalse(
            enrollment.touch_ids.filtered(lambda t: t.state in ("planned", "scheduled"))
        )
        # cancelled history does not block a new enrollment
        again = client._touch_plan_enroll(self.lifetime)
        self.assertNotEqual(again, enrollment)
        self.assertEqual(client._touch_plan_enroll(self.lifetime), again, "enrolling is idempotent")

    def test_plan_with_clients_is_archived_not_deleted(self):
        client = self._create_client("Kept")
        enrollment = client._touch_plan_enroll(self.lifetime)
        with self.assertRaisesRegex(UserError, "archive it instead"):
            self.lifetime.unlink()
        self.assertTrue(enrollment.exists())
        empty = self.env["touch.plan"].create(
            {
                "name": "Empty plan",
                "step_ids": [(0, 0, {"name": "Call", "kind": "call", "channel": "call"})],
            }
        )
        empty.unlink()
        self.assertFalse(empty.exists())
