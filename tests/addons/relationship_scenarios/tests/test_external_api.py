"""What an integrator does over Odoo's external API, with a real client.

``odoorpc`` (JSON-RPC, from PyPI) talks to the Odoo server the harness
started for the tests, on its free local port. HttpCase serves the requests
on the test's own cursor, so the records created here are what the client
sees, and everything is rolled back afterwards.
"""

import datetime
from urllib.request import BaseHandler, HTTPCookieProcessor, build_opener

import odoorpc
from odoorpc.error import RPCError

from odoo import Command, fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import HOST
from odoo.tools import mute_logger


class _FlushBeforeRequest(BaseHandler):
    """Write the test's pending changes before each call, read fresh after it."""

    handler_order = 100

    def __init__(self, cr):
        self.cr = cr

    def http_request(self, request):
        self.cr.flush()
        self.cr.clear()
        return request


@tagged("post_install", "-at_install")
class TestExternalApi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="UTC"))
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.rep = new_test_user(
            cls.env,
            login="api_rep",
            password="api_rep_password",
            groups="touch_plan.touch_plan_group_user,sales_team.group_sale_salesman",
            tz="UTC",
        )
        cls.other_rep = new_test_user(
            cls.env,
            login="api_other_rep",
            groups="touch_plan.touch_plan_group_user",
            tz="UTC",
        )
        cls.portal_user = new_test_user(
            cls.env, login="api_portal", password="api_portal_password", groups="base.group_portal"
        )
        cls.client = cls.env["res.partner"].create(
            {"name": "API Client", "email": "api.client@example.com", "user_id": cls.rep.id}
        )
        cls.newcomer = cls.env["res.partner"].create(
            {"name": "API Newcomer", "email": "api.newcomer@example.com", "user_id": cls.rep.id}
        )
        cls.other_client = cls.env["res.partner"].create(
            {"name": "Other Rep's Client", "email": "other@example.com"}
        )
        enrollment = cls.client._touch_plan_enroll(cls.lifetime, user_id=cls.rep.id)
        enrollment._generate_touches()
        cls.call = enrollment.touch_ids.filtered(lambda t: t.kind == "call")[:1]
        cls.call.scheduled_date = cls.today
        other = cls.other_client._touch_plan_enroll(cls.lifetime, user_id=cls.other_rep.id)
        other._generate_touches()
        cls.other_call = other.touch_ids.filtered(lambda t: t.kind == "call")[:1]
        cls.other_call.scheduled_date = cls.today
        # a club with two tiers and a member
        cls.env["loyalty.program"].search([]).write({"active": False})
        cls.club = cls.env["loyalty.program"].create(
            {
                "name": "API Club",
                "program_type": "loyalty",
                "trigger": "auto",
                "applies_on": "both",
                "is_club": True,
                "rule_ids": [
                    Command.create({"reward_point_mode": "order", "reward_point_amount": 1})
                ],
                "reward_ids": [
                    Command.create(
                        {"reward_type": "discount", "discount": 5, "required_points": 100}
                    )
                ],
            }
        )
        cls.bronze, cls.gold = cls.env["loyalty.club.tier"].create(
            [
                {"name": "Bronze", "sequence": 10, "threshold": 0, "program_id": cls.club.id},
                {"name": "Gold", "sequence": 20, "threshold": 100, "program_id": cls.club.id},
            ]
        )
        cls.card = cls.env["loyalty.card"].create(
            {"program_id": cls.club.id, "partner_id": cls.client.id, "points": 0}
        )
        cls.card.club_tier_id = cls.gold
        cls.env["loyalty.history"].create(
            {
                "card_id": cls.card.id,
                "description": "Welcome points",
                "issued": 120,
                "expiry_date": cls.today + datetime.timedelta(days=365),
                "move_type": "issue",
            }
        )

    def _connect(self, login, password):
        """An odoorpc client logged in as ``login`` on the test server."""
        opener = build_opener(HTTPCookieProcessor(), _FlushBeforeRequest(self.env.cr))
        odoo = odoorpc.ODOO(HOST, port=self.http_port(), opener=opener)
        odoo.login(self.env.cr.dbname, login, password)
        return odoo

    def test_rep_works_through_todays_touches(self):
        odoo = self._connect("api_rep", "api_rep_password")
        self.assertEqual(odoo.env.uid, self.rep.id)
        Touch = odoo.env["touch.plan.touch"]
        today = fields.Date.to_string(self.today)
        todays = Touch.search_read(
            # today's calls (on the 1st of a month the newsletter is due too)
            [
                ("scheduled_date", "=", today),
                ("state", "in", ["planned", "scheduled"]),
                ("channel", "=", "call"),
            ],
            ["name", "partner_id", "kind", "channel", "state"],
        )
        # the rep sees their own touches of today (the call, and on the 1st of a
        # month the newsletter too), not the other rep's
        by_id = {t["id"]: t for t in todays}
        self.assertIn(self.call.id, by_id)
        self.assertNotIn(self.other_call.id, by_id)
        self.assertEqual({t["partner_id"][1] for t in todays}, {"API Client"})
        self.assertEqual(by_id[self.call.id]["kind"], "call")

        odoo.execute_kw("touch.plan.touch", "action_done_reached", [self.call.ids])
        self.assertRecordValues(
            self.call, [{"state": "done", "outcome": "reached", "done_date": self.today}]
        )
        done = Touch.read(self.call.ids, ["state", "outcome"])[0]
        self.assertEqual((done["state"], done["outcome"]), ("done", "reached"))
        # the reached call schedules the follow-up note the day after
        followups = Touch.search_read(
            [("trigger_touch_id", "=", self.call.id)], ["kind", "scheduled_date"]
        )
        self.assertEqual(len(followups), 1)
        self.assertEqual(followups[0]["kind"], "followup")
        self.assertEqual(
            followups[0]["scheduled_date"],
            fields.Date.to_string(self.today + datetime.timedelta(days=1)),
        )

    def test_rep_enrolls_a_partner(self):
        odoo = self._connect("api_rep", "api_rep_password")
        wizard_id = odoo.env["touch.plan.enroll.wizard"].create(
            {"plan_id": self.lifetime.id, "partner_ids": [(6, 0, self.newcomer.ids)]}
        )
        action = odoo.execute_kw("touch.plan.enroll.wizard", "action_enroll", [[wizard_id]])
        self.assertEqual(action["params"]["type"], "success")
        enrollments = odoo.env["touch.plan.enrollment"].search_read(
            [("partner_id", "=", self.newcomer.id)], ["plan_id", "state", "user_id"]
        )
        self.assertEqual(len(enrollments), 1)
        self.assertEqual(enrollments[0]["plan_id"][0], self.lifetime.id)
        self.assertEqual(enrollments[0]["state"], "active")
        self.assertEqual(enrollments[0]["user_id"][0], self.rep.id)
        # the year's touches are planned at once: 12 newsletters, 5 calls, ...
        Touch = odoo.env["touch.plan.touch"]
        for kind, count in (("newsletter", 12), ("call", 5), ("gift", 2)):
            with self.subTest(kind=kind):
                self.assertEqual(
                    Touch.search_count(
                        [("partner_id", "=", self.newcomer.id), ("kind", "=", kind)]
                    ),
                    count,
                )
        # enrolling again is harmless
        wizard_id = odoo.env["touch.plan.enroll.wizard"].create(
            {"plan_id": self.lifetime.id, "partner_ids": [(6, 0, self.newcomer.ids)]}
        )
        odoo.execute_kw("touch.plan.enroll.wizard", "action_enroll", [[wizard_id]])
        self.assertEqual(
            odoo.env["touch.plan.enrollment"].search_count([("partner_id", "=", self.newcomer.id)]),
            1,
        )

    def test_rep_reads_member_tier_and_points(self):
        odoo = self._connect("api_rep", "api_rep_password")
        cards = odoo.env["loyalty.card"].search_read(
            [("partner_id", "=", self.client.id), ("is_club", "=", True)],
            ["code", "club_tier_id", "points"],
        )
        self.assertEqual(len(cards), 1)
        self.assertEqual(cards[0]["code"], self.card.code)
        self.assertEqual(cards[0]["club_tier_id"], [self.gold.id, "Gold"])
        self.assertEqual(cards[0]["points"], 120)

    def test_rep_refused_what_the_groups_forbid(self):
        odoo = self._connect("api_rep", "api_rep_password")
        with mute_logger("odoo.http"):
            with self.assertRaises(RPCError) as refused:
                odoo.env["touch.plan.touch"].read(self.other_call.ids, ["name"])
            self.assertIn("AccessError", refused.exception.info["data"]["name"])
            with self.assertRaises(RPCError) as refused:
                odoo.env["touch.plan"].write(self.lifetime.ids, {"yearly_target": 20})
            self.assertIn("AccessError", refused.exception.info["data"]["name"])
        self.assertNotEqual(self.lifetime.yearly_target, 20)

    def test_portal_user_refused(self):
        odoo = self._connect("api_portal", "api_portal_password")
        self.assertEqual(odoo.env.uid, self.portal_user.id)
        with mute_logger("odoo.http"):
            for model in ("touch.plan.touch", "touch.plan.enrollment", "loyalty.card"):
                with self.subTest(model=model):
                    with self.assertRaises(RPCError) as refused:
                        odoo.execute_kw(model, "search_read", [[]], {"fields": ["id"]})
                    self.assertIn("AccessError", refused.exception.info["data"]["name"])

    def test_wrong_password_refused(self):
        with self.assertRaises(RPCError):
            self._connect("api_rep", "wrong password")
