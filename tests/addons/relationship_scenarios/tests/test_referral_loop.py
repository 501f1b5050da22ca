"""The referral loop across the three addons, the way a sales team lives it.

A client refers a friend; the friend's lead is answered, won and stamped with
where it came from; the new customer gets the Lifetime plan, the referrer is
credited, moves to the Advocates plan and is thanked; the new customer buys,
earns club points and reaches a tier at the review; then a year of touches
runs with the daily cron while the rep works through the activities.
"""

import datetime
from contextlib import contextmanager
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestReferralLoop(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="UTC"))
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.advocate = cls.env.ref("touch_plan.touch_plan_advocate")
        cls.referral_source = cls.env.ref("lead_tracking.utm_source_referral")
        cls.cron = cls.env.ref("touch_plan.ir_cron_touch_plan_generate")
        cls.rep = new_test_user(
            cls.env,
            login="loop_rep",
            name="Rob Rep",
            email="rob.rep@example.com",
            tz="UTC",
            groups="touch_plan.touch_plan_group_user,sales_team.group_sale_salesman",
        )
        cls.team = cls.env["crm.team"].create({"name": "Loop Team", "user_id": cls.rep.id})
        cls.won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        # a club with two tiers: everybody starts as Member, Gold from 100 points
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.product = cls.env["product.product"].create(
            {"name": "Loop Product", "list_price": 50.0, "taxes_id": False}
        )
        cls.club = cls.env["loyalty.program"].create(
            {
                "name": "Loop Club",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "is_club": True,
                "rule_ids": [
                    Command.create(
                        {
                            "reward_point_mode": "unit",
                            "reward_point_amount": 10,
                            "product_ids": [cls.product.id],
                        }
                    )
                ],
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount": 5, "required_points": 1000}
                    )
                ],
            }
        )
        cls.member_tier, cls.gold_tier = cls.env["loyalty.club.tier"].create(
            [
                {"name": "Member", "sequence": 10, "threshold": 0, "program_id": cls.club.id},
                {"name": "Gold", "sequence": 20, "threshold": 100, "program_id": cls.club.id},
            ]
        )

    @contextmanager
    def at(self, when):
        """Freeze Python time and the transaction timestamp (create_date)."""
        when = datetime.datetime.fromisoformat(when)
        with freeze_time(when), patch.object(type(self.env.cr), "now", lambda _cr: when):
            yield

    def run_cron(self):
        self.cron.method_direct_trigger()
        self.env.invalidate_all()

    def rep_works_activities(self):
        """The rep marks done every touch activity due (on the clients), calls reaching them."""
        activities = (
            self.env["mail.activity"]
            .with_user(self.rep)
            .search(
                [
                    ("user_id", "=", self.rep.id),
                    ("touch_plan_touch_id", "!=", False),
                    ("date_deadline", "<=", datetime.date.today()),
                ]
            )
        )
        # the call outcome is offered on calls only
        activities.write({"touch_plan_call_outcome": "reached"})
        activities.action_feedback(feedback="Done")
        return activities

    def test_referral_loop(self):
        Partner = self.env["res.partner"]
        Enrollment = self.env["touch.plan.enrollment"]
        Touch = self.env["touch.plan.touch"]

        # --- Rita is a client on the Lifetime plan; the rep called her last week
        with self.at("2027-01-04 09:00:00"):
            rita = Partner.create(
                {"name": "Rita Referrer", "email": "rita@example.com", "user_id": self.rep.id}
            )
            rita_lifetime = rita._touch_plan_enroll(self.lifetime, user_id=self.rep.id)
            rita_lifetime._generate_touches()
            rita_call = rita_lifetime.touch_ids.filtered(lambda t: t.kind == "call")[:1]
            rita_call.with_user(self.rep).action_done_reached()
        self.assertEqual(rita_call.state, "done")

        # --- her friend Nina asks for a quote: a lead from a referral
        with self.at("2027-01-05 10:00:00"):
            nina = Partner.create(
                {"name": "Nina Newcomer", "email": "nina@example.com", "user_id": self.rep.id}
            )
            lead = self.env["crm.lead"].create(
                {
                    "name": "Kitchen for Nina",
                    "type": "opportunity",
                    "partner_id": nina.id,
                    "user_id": self.rep.id,
                    "team_id": self.team.id,
                    "source_id": self.referral_source.id,
                    "referred_by_id": rita.id,
                    "expected_revenue": 12000,
                }
            )
        self.assertEqual(lead.channel, "referral")
        self.assertEqual(lead.first_touch_source_id, self.referral_source)
        self.assertFalse(lead.first_response_date)

        # --- the rep answers half an hour later
        with self.at("2027-01-05 10:30:00"):
            lead.with_user(self.rep).message_post(
                body="Hello Nina, Rita told me about your kitchen.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(str(lead.first_response_date), "2027-01-05 10:30:00")
        self.assertAlmostEqual(lead.response_time, 30)

        # --- and wins it: Nina is stamped with where she came from
        with self.at("2027-01-06 11:00:00"):
            lead.with_user(self.rep).action_set_won_rainbowman()
        self.assertTrue(lead.stage_id.is_won)
        self.assertRecordValues(
            nina,
            [
                {
                    "acquisition_source_id": self.referral_source.id,
                    "acquisition_channel": "referral",
                    "acquisition_lead_id": lead.id,
                    "acquisition_date": datetime.date(2027, 1, 6),
                }
            ],
        )

        # --- winning enrolled the new customer in the Lifetime plan and credited
        # the referrer; the daily cron plans the customer's year
        with self.at("2027-01-06 11:05:00"):
            self.run_cron()
        nina_lifetime = Enrollment.search([("partner_id", "=", nina.id)])
        self.assertRecordValues(
            nina_lifetime,
            [{"plan_id": self.lifetime.id, "state": "active", "user_id": self.rep.id}],
        )
        with self.at("2027-01-06 12:00:00"):
            nina.invalidate_recordset()
            # the contact's smart button: done / planned / target this year
            self.assertEqual(nina.touch_year_target, 33)
            self.assertEqual(nina.touch_year_done_count, 0)
            self.assertGreater(nina.touch_year_planned_count, 0)
        # Rita: credited with the call that came before, moved to Advocates, thanked
        self.assertEqual(nina.referred_by_id, rita)
        self.assertEqual(nina.referral_touch_id, rita_call)
        self.assertEqual(rita.referral_count, 1)
        self.assertEqual(rita_lifetime.state, "done")
        rita_advocate = Enrollment.search([("partner_id", "=", rita.id), ("state", "=", "active")])
        self.assertRecordValues(
            rita_advocate,
            [{"plan_id": self.advocate.id, "previous_enrollment_id": rita_lifetime.id}],
        )
        self.assertIn(rita_call, Touch.search([("partner_id", "=", rita.id)]), "history kept")
        thanks = rita_advocate.touch_ids.filtered(lambda t: t.step_id.timing == "referral")
        self.assertEqual(len(thanks), 1, "one thank-you touch for one referral")
        # an email touch due the day of the referral: the cron sent it at once
        self.assertRecordValues(
            thanks,
            [
                {
                    "state": "done",
                    "outcome": "sent",
                    "channel": "email",
                    "done_date": datetime.date(2027, 1, 6),
                }
            ],
        )
        self.assertEqual(thanks.mail_id.recipient_ids, rita)
        self.assertIn("Thank you", thanks.mail_id.subject)
        self.assertIn(thanks.mail_id.mail_message_id, rita.message_ids, "logged on Rita")

        # --- Nina joins the club, buys and earns points, reaches Gold at the review
        with self.at("2027-01-07 09:00:00"):
            card = self.env["loyalty.card"].create(
                {"program_id": self.club.id, "partner_id": nina.id, "points": 0}
            )
            order = self.env["sale.order"].create(
                {
                    "partner_id": nina.id,
                    "user_id": self.rep.id,
                    "order_line": [
                        Command.create({"product_id": self.product.id, "product_uom_qty": 12})
                    ],
                }
            )
            order._update_programs_and_rewards()
            order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(card.points, 120, "12 units at 10 points")
        # the threshold is reached on earning: Gold at once, the member is told why
        self.assertEqual(card.club_tier_id, self.gold_tier)
        # joining put her in Member, the points moved her up to Gold: both in her history
        self.assertRecordValues(
            card.club_tier_history_ids.sorted("id"),
            [
                {
                    "tier_before_id": False,
                    "tier_after_id": self.member_tier.id,
                    "reason": "upgrade",
                    "note": "Joined the club",
                },
                {
                    "tier_before_id": self.member_tier.id,
                    "tier_after_id": self.gold_tier.id,
                    "reason": "upgrade",
                    "note": False,
                },
            ],
        )
        welcome = self.env["mail.mail"].search(
            [("model", "=", "loyalty.card"), ("res_id", "=", card.id)]
        )
        self.assertIn("Welcome to Gold!", welcome.mapped("subject"), "the member is told")
        # the review confirms the tier and plans the next one
        with self.at("2027-01-08 09:00:00"):
            review = self.club._club_run_review()
        line = review.line_ids.filtered(lambda rl: rl.card_id == card)
        self.assertRecordValues(
            line,
            [
                {
                    "partner_id": nina.id,
                    "tier_before_id": self.gold_tier.id,
                    "tier_after_id": self.gold_tier.id,
                    "qualifying_value": 120.0,
                    "move": "same",
                    "warned": False,
                }
            ],
        )
        self.assertEqual(card.club_tier_id, self.gold_tier)
        self.assertEqual(card.club_next_review_date, datetime.date(2028, 1, 8))

        # --- a year of touches: the daily cron (run weekly here) and the rep at work
        first_cycle = nina_lifetime.cycle_start
        day = datetime.datetime(2027, 1, 8, 6, 0)
        end = datetime.datetime(2028, 1, 12, 6, 0)
        worked = self.env["mail.activity"]
        while day <= end:
            with self.at(str(day)):
                self.run_cron()
                worked |= self.rep_works_activities()
            day += datetime.timedelta(days=7)
        cycle = Touch.search(
            [("enrollment_id", "=", nina_lifetime.id), ("cycle_start", "=", first_cycle)]
        )
        by_kind = {
            kind: cycle.filtered(lambda t, k=kind: t.kind == k)
            for kind in ("newsletter", "call", "followup", "gift")
        }
        # every newsletter went out by email, logged on the client
        self.assertEqual(len(by_kind["newsletter"]), 12)
        self.assertEqual(set(by_kind["newsletter"].mapped("state")), {"done"})
        self.assertEqual(len(by_kind["newsletter"].mail_id), 12)
        # calls and gifts became the rep's activities and were done
        self.assertEqual(len(by_kind["call"]), 5)
        self.assertEqual(set(by_kind["call"].mapped("outcome")), {"reached"})
        self.assertEqual(set(by_kind["gift"].mapped("state")), {"done"})
        self.assertTrue(worked, "the rep had activities to do")
        # reached calls triggered the follow-up notes, at most three a cycle
        self.assertEqual(len(by_kind["followup"]), 3)
        self.assertEqual(set(by_kind["followup"].mapped("state")), {"done"})
        # nothing of the past cycle is left behind
        self.assertFalse(cycle.filtered(lambda t: t.state in ("planned", "scheduled")))
        # the plan renewed for a second year, with its own touches
        self.assertEqual(nina_lifetime.cycle_start, first_cycle.replace(year=first_cycle.year + 1))
        self.assertTrue(
            Touch.search_count(
                [
                    ("enrollment_id", "=", nina_lifetime.id),
                    ("cycle_start", "=", nina_lifetime.cycle_start),
                ]
            )
        )
        # the cron ran twice on the same day creates nothing more
        with self.at(str(end)):
            count = Touch.search_count([])
            self.run_cron()
            self.assertEqual(Touch.search_count([]), count)
