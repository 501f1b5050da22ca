import contextlib
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common_touch import TouchPlanCase


class TouchCronCase(TouchPlanCase):
    def _snapshot(self, enrollments):
        touches = enrollments.touch_ids
        mails = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", enrollments.partner_id.ids)]
        )
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "touch.plan.touch"), ("res_id", "in", touches.ids)]
        )
        return len(touches), len(activities), len(mails)

    def _enroll_clients(self, count, prefix):
        partners = self.env["res.partner"]
        for index in range(count):
            partners |= self._create_client(f"{prefix} {index}")
        return partners._touch_plan_enroll(self.lifetime)


@tagged("post_install", "-at_install")
class TestTouchCron(TouchCronCase):
    def test_cron_twice_creates_nothing_new(self):
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(3, "Twice")
        with freeze_time("2027-02-08"):
            self._run_cron()
            first = self._snapshot(enrollments)
            self._run_cron()
            second = self._snapshot(enrollments)
        self.assertEqual(first, second)
        touches, activities, mails = first
        self.assertEqual(touches, 3 * 30)
        self.assertEqual(mails, 3, "one newsletter each, once")
        self.assertGreaterEqual(activities, 3)
        self.assertEqual(
            self.env["ir.cron"]
            .search([("id", "=", self.env.ref("touch_plan.ir_cron_touch_plan_generate").id)])
            .code,
            "model._cron_generate()",
        )

    def test_cron_resumes_after_crash(self):
        """A crash in the middle of a batch loses that batch only; the rerun completes it."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(4, "Crash")
        Enrollment = type(self.Enrollment)
        original = Enrollment._generate_touches
        calls = []
        crashed = False

        def generate_then_crash(records, *args, **kwargs):
            calls.append(records.ids)
            result = original(records, *args, **kwargs)
            if len(calls) == 2:
                raise RuntimeError("worker killed")
            return result

        def commit(records, done=0, remaining=0):
            # stands for the commit of a real cron run: later failures roll back to here
            records.env.flush_all()
            records.env.cr.execute("SAVEPOINT touch_plan_test_batch")

        with freeze_time("2027-02-08"):
            with (
                patch.object(Enrollment, "_generate_touches", generate_then_crash),
                patch.object(Enrollment, "_touch_plan_commit", commit),
            ):
                # no assertRaises: it would roll back to its own savepoint
                try:
                    self.Enrollment._cron_generate(batch_size=2)
                except RuntimeError:
                    crashed = True
            self.assertTrue(crashed)
            # what a crashed cron loses: the uncommitted work and the caches
            self.env.clear()
            self.env.cr.execute("ROLLBACK TO SAVEPOINT touch_plan_test_batch")
            done = enrollments.filtered("touches_generated")
            self.assertEqual(len(done), 2, "the first batch was kept")
            self.assertEqual(len(done.touch_ids), 60)
            self.assertFalse((enrollments - done).touch_ids, "the crashed batch left nothing")
            self._run_cron()
            self._run_cron()
            touches, _activities, mails = self._snapshot(enrollments)
        self.assertEqual(touches, 4 * 30)
        self.assertEqual(mails, 4)
        self.assertEqual(
            len(enrollments.touch_ids.activity_id),
            len(enrollments.touch_ids.filtered(lambda t: t.state == "scheduled")),
        )


@tagged("post_install", "-at_install", "is_query_count")
class TestTouchCronQueries(TouchCronCase):
    # queries of one cron batch: generating a cycle's touches, sending the due
    # emails and scheduling the due activities of the batch's enrollments
    BATCH_QUERY_BUDGET = 80

    def _measure_batch(self, count, prefix, budget=None):
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(count, prefix)
        self.env.flush_all()
        self.env.invalidate_all()
        counter = self.assertQueryCount(budget) if budget else contextlib.nullcontext()
        with freeze_time("2027-02-08"), counter:
            before = self.cr.sql_log_count
            enrollments._generate_touches()
            due = self.Touch.search(self.Touch._get_due_domain()).filtered(
                lambda t: t.enrollment_id in enrollments
            )
            due._process_due()
            self.env.flush_all()
            queries = self.cr.sql_log_count - before
        self.assertTrue(due.filtered(lambda t: t.channel == "email" and t.state == "done"))
        self.assertTrue(due.filtered(lambda t: t.channel != "email" and t.activity_id))
        self.assertEqual(len(enrollments.touch_ids), 30 * count)
        return queries

    def test_query_count_does_not_grow_with_batch(self):
        """A batch of 20 enrollments fits the query budget of a batch of 5.

        The only growth allowed is the ORM's own chunking of INSERT and UPDATE
        statements by 100 rows (30 touches per enrollment here): no query per
        enrollment, touch, email or activity.
        """
        self._measure_batch(2, "Warm")  # fills the ORM and template caches
        small = self._measure_batch(5, "Small", self.BATCH_QUERY_BUDGET)
        large = self._measure_batch(20, "Large", self.BATCH_QUERY_BUDGET)
        chunks = 4 * (-(-20 * 30 // 100) - (-(-5 * 30 // 100)))
        self.assertLessEqual(large - small, chunks, f"{small} queries for 5, {large} for 20")
