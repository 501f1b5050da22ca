from datetime import date, datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged, users
from odoo.tools import mute_logger

from .common_club import ClubCommon

RULE_LOGGER = "odoo.addons.loyalty_club.models.loyalty_club_plan_rule"


@tagged("post_install", "-at_install")
@freeze_time("2027-03-10 11:00:00")
class TestClubPlanRules(ClubCommon, TransactionCase):
    """Segments and tiers choose plans: the daily job moves each client once."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        env = cls.env
        cls.Enrollment = env["touch.plan.enrollment"]
        cls.Score = env["loyalty.club.score"]
        cls.company = env.company
        cls.lifetime = env.ref("touch_plan.touch_plan_lifetime")
        cls.advocates = env.ref("touch_plan.touch_plan_advocate")
        cls.winback = env.ref("loyalty_club.touch_plan_winback")
        cls.at_risk = env.ref("loyalty_club.loyalty_club_segment_at_risk")
        cls.champions = env.ref("loyalty_club.loyalty_club_segment_champions")
        cls.promising = env.ref("loyalty_club.loyalty_club_segment_promising")
        cls.winback_rule = env.ref("loyalty_club.loyalty_club_plan_rule_winback")
        cls.advocates_rule = env.ref("loyalty_club.loyalty_club_plan_rule_advocates")
        cls.cron = env.ref("loyalty_club.ir_cron_loyalty_club_plan_rule")
        cls.rep = new_test_user(
            env,
            login="club_rule_rep",
            groups="base.group_user,touch_plan.touch_plan_group_user,"
            "sales_team.group_sale_salesman",
        )
        cls.salesman = new_test_user(
            env,
            login="club_salesman",
            groups="sales_team.group_sale_salesman,touch_plan.touch_plan_group_user",
        )
        cls.manager = new_test_user(
            env,
            login="club_rule_manager",
            groups="base.group_user,touch_plan.touch_plan_group_manager,"
            "sales_team.group_sale_manager",
        )
        cls.client = env["res.partner"].create(
            {"name": "Rita Risk", "email": "rita@example.com", "user_id": cls.rep.id}
        )
        cls.lifetime_enrollment = cls.Enrollment.create(
            {
                "plan_id": cls.lifetime.id,
                "partner_id": cls.client.id,
                "user_id": cls.rep.id,
                "date_start": date(2026, 9, 1),
            }
        )

    def _score(self, partner, segment):
        """What the nightly scores write: one row per customer and company."""
        score = self.Score.search(
            [("partner_id", "=", partner.id), ("company_id", "=", self.company.id)]
        )
        if score:
            score.write({"segment_id": segment.id})
            return score
        return self.Score.create(
            {"partner_id": partner.id, "company_id": self.company.id, "segment_id": segment.id}
        )

    def _run_job(self):
        cron, progress = self.cron._add_progress()
        self.env["loyalty.club.plan.rule"].with_context(
            ir_cron_progress_id=cron.env.context["ir_cron_progress_id"]
        )._cron_apply_plan_rules()
        return progress

    def _enrollments(self, partner):
        return self.Enrollment.search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)], order="id"
        )

    def _moved_by(self, rule, partner):
        return rule.enrollment_ids.filtered(lambda e: e.partner_id == partner)

    def test_at_risk_client_moved_to_winback_once(self):
        self._score(self.client, self.promising)
        self._run_job()
        self.assertEqual(self._enrollments(self.client), self.lifetime_enrollment)

        # the nightly scores put her in "At Risk": the job moves her
        self._score(self.client, self.at_risk)
        progress = self._run_job()
        self.assertGreaterEqual(progress.done, 1)
        self.assertEqual(progress.remaining, 0)
        history = self._enrollments(self.client)
        self.assertEqual(len(history), 2)
        new = history - self.lifetime_enrollment
        self.assertRecordValues(
            self.lifetime_enrollment,
            [
                {
                    "state": "done",
                    "date_end": date(2027, 3, 10),
                    "end_reason": "Moved to Win-back by rule At Risk and Hibernating to Win-back",
                }
            ],
        )
        self.assertRecordValues(
            new,
            [
                {
                    "plan_id": self.winback.id,
                    "state": "active",
                    "user_id": self.rep.id,
                    "previous_enrollment_id": self.lifetime_enrollment.id,
                    "club_rule_id": self.winback_rule.id,
                    "date_start": date(2027, 3, 10),
                }
            ],
        )
        # the personal call is in the rep's activities on the client, right away
        call = new.touch_ids.filtered(lambda t: t.step_id.channel == "call")
        self.assertEqual(len(call), 1)
        # on the enrollment day (the day after in a cycle with a 29 February)
        self.assertIn(call.scheduled_date, (date(2027, 3, 10), date(2027, 3, 11)))
        self.assertEqual(call.activity_id.user_id, self.rep)
        self.assertIn(
            "Moved from 33 Touch: Lifetime Clients to Win-back by plan rule "
            "At Risk and Hibernating to Win-back.",
            self.client.message_ids.mapped("preview"),
        )
        self.assertRecordValues(
            self.client,
            [
                {
                    "club_plan_rule_id": self.winback_rule.id,
                    "club_plan_rule_plan_id": self.winback.id,
                    "club_plan_rule_date": date(2027, 3, 10),
                }
            ],
        )
        self.assertEqual(self._moved_by(self.winback_rule, self.client), new)

        # a second run the same day, and the next day, change nothing
        self._run_job()
        with freeze_time("2027-03-11 23:30:00"):
            self._run_job()
        self.assertEqual(self._enrollments(self.client), history)
        self.assertEqual(new.state, "active")

        # even back in Lifetime by hand and still at risk: moved once, never again
        new.action_cancel()
        self.Enrollment.create({"plan_id": self.lifetime.id, "partner_id": self.client.id})
        with freeze_time("2027-06-01 10:00:00"):
            self._run_job()
        self.assertEqual(len(self._enrollments(self.client)), 3)
        self.assertEqual(self._moved_by(self.winback_rule, self.client), new)

    def test_champions_enrolled_in_advocates(self):
        self.advocates_rule.only_from_plans = False
        champion = self.env["res.partner"].create({"name": "Carl Champion"})
        self._score(champion, self.champions)
        self._score(self.client, self.champions)
        self._run_job()
        enrollment = self._enrollments(champion)
        self.assertRecordValues(
            enrollment,
            [
                {
                    "plan_id": self.advocates.id,
                    "state": "active",
                    "club_rule_id": self.advocates_rule.id,
                    "previous_enrollment_id": False,
                }
            ],
        )
        self.assertIn(
            "Enrolled in 33 Touch: Advocates by plan rule Champions and Loyal to Advocates.",
            champion.message_ids.mapped("preview"),
        )
        # the Lifetime client moves, with her rep
        moved = self._enrollments(self.client) - self.lifetime_enrollment
        self.assertEqual(self.lifetime_enrollment.state, "done")
        self.assertRecordValues(
            moved,
            [{"plan_id": self.advocates.id, "user_id": self.rep.id}],
        )

    def test_only_clients_of_the_source_plans(self):
        """The shipped rules move clients already in a plan, nobody else."""
        stranger = self.env["res.partner"].create({"name": "Sam Stranger"})
        self._score(stranger, self.at_risk)
        self._run_job()
        self.assertFalse(self._enrollments(stranger))

    def test_tier_condition(self):
        gold_member = self.env["res.partner"].create({"name": "Gina Gold"})
        self._make_member(gold_member, tier=self.gold)
        self.card.club_tier_id = self.silver
        rule = self.env["loyalty.club.plan.rule"].create(
            {
                "name": "Gold to Advocates",
                "tier_ids": [self.gold.id],
                "plan_id": self.advocates.id,
            }
        )
        rule.action_run()
        self.assertEqual(self._enrollments(gold_member).plan_id, self.advocates)
        self.assertFalse(self._enrollments(self.partner), "a Silver member stays out")
        # tier and segment: both must match
        rule.segment_ids = self.champions
        other_gold = self.env["res.partner"].create({"name": "Otto Gold"})
        self._make_member(other_gold, tier=self.gold)
        rule.action_run()
        self.assertFalse(self._enrollments(other_gold))
        self._score(other_gold, self.champions)
        rule.action_run()
        self.assertEqual(self._enrollments(other_gold).club_rule_id, rule)

    def test_cool_down(self):
        self.winback_rule.write({"once_per_client": False, "cooldown_days": 30})
        self._score(self.client, self.at_risk)
        self._run_job()
        winback = self._enrollments(self.client) - self.lifetime_enrollment
        winback.action_cancel()
        self.Enrollment.create({"plan_id": self.lifetime.id, "partner_id": self.client.id})
        with freeze_time("2027-03-30 10:00:00"):
            self._run_job()
        self.assertEqual(len(self._enrollments(self.client)), 3, "within the cool-down")
        with freeze_time("2027-04-20 10:00:00"):
            self._run_job()
        self.assertEqual(len(self._enrollments(self.client)), 4)
        self.assertEqual(len(self._moved_by(self.winback_rule, self.client)), 2)

    def test_bad_client_and_bad_rule_do_not_stop_the_job(self):
        other = self.env["res.partner"].create({"name": "Olga Other", "user_id": self.rep.id})
        self.Enrollment.create({"plan_id": self.lifetime.id, "partner_id": other.id})
        self._score(self.client, self.at_risk)
        self._score(other, self.at_risk)
        broken = self.env["loyalty.club.plan.rule"].create(
            {
                "name": "Broken",
                "sequence": 1,
                "segment_ids": [self.at_risk.id],
                "plan_id": self.env["touch.plan"]
                .create(
                    {
                        "name": "Old plan",
                        "step_ids": [
                            Command.create({"name": "Call", "kind": "call", "channel": "call"})
                        ],
                    }
                )
                .id,
            }
        )
        broken.plan_id.active = False
        Rule = type(self.env["loyalty.club.plan.rule"])
        original = Rule._prepare_enrollment_values

        def prepare(rule, partner, previous=None):
            if partner == other:
                raise ValueError("no responsible for this client")
            return original(rule, partner, previous)

        with patch.object(Rule, "_prepare_enrollment_values", prepare), mute_logger(RULE_LOGGER):
            self._run_job()
        self.assertEqual(
            (self._enrollments(self.client) - self.lifetime_enrollment).plan_id, self.winback
        )
        self.assertEqual(self._enrollments(other).plan_id, self.lifetime, "skipped, left as is")
        self.assertEqual(self._enrollments(other).state, "active")
        self.assertTrue(
            any(
                "no responsible for this client" in body
                for body in other.message_ids.mapped("body")
            )
        )
        self.assertIn("Olga Other", self.winback_rule.message_ids[0].body)
        self.assertIn("is archived", broken.message_ids[0].body)
        # the next day the client is tried again and moved
        with freeze_time("2027-03-11 10:00:00"):
            self._run_job()
        self.assertEqual(self._enrollments(other)[-1].plan_id, self.winback)

    def test_rules_are_validated(self):
        Rule = self.env["loyalty.club.plan.rule"]
        with self.assertRaisesRegex(ValidationError, "at least one RFM segment or club tier"):
            Rule.create({"name": "Nobody", "plan_id": self.winback.id})
        with self.assertRaisesRegex(ValidationError, "from a plan to itself"):
            Rule.create(
                {
                    "name": "Loop",
                    "segment_ids": [self.at_risk.id],
                    "plan_id": self.winback.id,
                    "from_plan_ids": [self.winback.id],
                }
            )
        with self.assertRaisesRegex(ValidationError, "choose at least one"):
            Rule.create(
                {
                    "name": "Scoped",
                    "segment_ids": [self.at_risk.id],
                    "plan_id": self.winback.id,
                    "only_from_plans": True,
                }
            )

    @users("club_salesman")
    def test_salesperson_reads_but_cannot_run_or_edit(self):
        rule = self.winback_rule.with_env(self.env)
        self.assertEqual(rule.plan_id.name, "Win-back")
        with self.assertRaises(AccessError):
            rule.action_run()
        with self.assertRaises(AccessError):
            rule.write({"active": False})
        with self.assertRaises(AccessError):
            self.env["loyalty.club.plan.rule"].create(
                {"name": "Mine", "segment_ids": [self.at_risk.id], "plan_id": self.winback.id}
            )

    @users("club_rule_manager")
    def test_manager_runs_now(self):
        self._score(self.client, self.at_risk)
        action = self.winback_rule.with_env(self.env).action_run()
        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(
            (self._enrollments(self.client) - self.lifetime_enrollment).plan_id, self.winback
        )

    def test_demo_client_at_risk_is_moved_by_the_job(self):
        demo = self.env.ref("loyalty_club.res_partner_demo_at_risk")
        last_invoice = self.env.ref("loyalty_club.account_move_demo_at_risk_1").invoice_date
        # the day the demo was installed: the last invoice was 270 days before
        with freeze_time(datetime.combine(last_invoice + timedelta(days=270), time(12))):
            self.Score._compute_club_scores(companies=self.company)
            self.assertEqual(demo.club_segment_id, self.at_risk)
            self._run_job()
        self.assertEqual(self._enrollments(demo).filtered("club_rule_id").plan_id, self.winback)

    def test_demo_advocates_stay_on_their_plan(self):
        """The demo's advocates buy often: the first run of the job after the
        install leaves them on Advocates, with the rep's touches of the day."""
        install_day = self.env.ref(
            "loyalty_club.account_move_demo_advocate_deco_1"
        ).invoice_date + timedelta(days=3)
        advocates = self.env.ref("base.res_partner_2") | self.env.ref("base.res_partner_12")
        with freeze_time(datetime.combine(install_day, time(12))):
            self.Score._compute_club_scores(companies=self.company)
            hibernating = self.env.ref("loyalty_club.loyalty_club_segment_hibernating")
            self.assertFalse(advocates.club_segment_id & (self.at_risk | hibernating))
            self._run_job()
        for partner in advocates:
            running = self._enrollments(partner).filtered(lambda e: e.state == "active")
            self.assertEqual(running.plan_id, self.env.ref("touch_plan.touch_plan_advocate"))
            self.assertFalse(running.club_rule_id)

    def test_query_count_does_not_grow_with_the_clients(self):
        """One search per rule: finding and moving clients costs the same number
        of queries for two clients as for six (touch planning aside)."""
        Rule = self.env["loyalty.club.plan.rule"]
        rule = Rule.create(
            {"name": "Gold to Win-back", "tier_ids": [self.gold.id], "plan_id": self.winback.id}
        )

        def measure(count, prefix):
            partners = self.env["res.partner"].create(
                [{"name": f"{prefix} {index}"} for index in range(count)]
            )
            for partner in partners:
                self._make_member(partner, tier=self.gold)
            self.env.flush_all()
            self.env.invalidate_all()
            Enrollment = type(self.Enrollment)
            with patch.object(Enrollment, "_start", lambda enrollments: None):
                start = self.cr.sql_log_count
                rule._apply_isolated()
                self.env.flush_all()
                used = self.cr.sql_log_count - start
            self.assertEqual(
                len(rule.enrollment_ids.filtered(lambda e: e.partner_id in partners)), count
            )
            return used

        measure(1, "Warm-up")  # caches filled once (message subtypes, models)
        self.assertEqual(measure(2, "Few"), measure(6, "Many"))
