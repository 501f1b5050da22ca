import collections
import contextlib
import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common_touch import TouchPlanCase


class TouchCronCase(TouchPlanCase):
    def _snapshot(self, enrollments):
        touches = enrollments.touch_ids
        mails = self.env["mail.mail"].search(
            [("model", "=", "res.partner"), ("res_id", "in", enrollments.partner_id.ids)]
        )
        activities = self.env["mail.activity"].search([("touch_plan_touch_id", "in", touches.ids)])
        return len(touches), len(activities), len(mails)

    def _enroll_clients(self, count, prefix, **values):
        partners = self.env["res.partner"]
        for index in range(count):
            partners |= self._create_client(f"{prefix} {index}")
        return partners._touch_plan_enroll(self.lifetime, **values)


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

    def test_cron_returns_after_a_bounded_batch_with_progress(self):
        """Each call does a bounded batch, reports it and returns; ir.cron calls
        it again until nothing remains, and the result is the whole work."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(5, "Batch")
        cron = self.env.ref("touch_plan.ir_cron_touch_plan_generate")
        with freeze_time("2028-01-15"):  # the cycles ended: five to renew and plan
            calls = 0
            while True:
                calls += 1
                cron_with_progress, progress = cron._add_progress()
                self.Enrollment.with_context(
                    ir_cron_progress_id=cron_with_progress.env.context["ir_cron_progress_id"]
                )._cron_generate(batch_size=3)
                self.assertLessEqual(progress.done, 3 + 3, "at most a batch planned and sent")
                if calls == 1:
                    self.assertTrue(progress.done)
                    self.assertTrue(progress.remaining, "work left for the next call")
                    planned = enrollments.filtered(lambda e: e.cycle_start.year == 2028)
                    self.assertEqual(
                        len(planned.filtered("touches_generated")), 3, "one batch planned"
                    )
                if not progress.remaining:
                    break
                self.assertLess(calls, 400)
        self.assertGreater(calls, 2)
        self.assertTrue(all(enrollments.mapped("touches_generated")))
        for enrollment in enrollments:
            this_cycle = enrollment.touch_ids.filtered(
                lambda t, e=enrollment: t.cycle_start == e.cycle_start
            )
            self.assertEqual(len(this_cycle), 30)

    def test_cron_resumes_after_crash(self):
        """A call killed in the middle loses its own work only; the next call completes it."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(4, "Crash")
        with freeze_time("2028-01-15"):
            self.Enrollment._cron_generate_batch(batch_size=2)
            # what ir.cron commits after each call
            self.env.flush_all()
            self.env.cr.execute("SAVEPOINT touch_plan_test_batch")
            self.Enrollment._cron_generate_batch(batch_size=2)
            self.env.flush_all()
            # the worker is killed before the second call's commit
            self.env.cr.execute("ROLLBACK TO SAVEPOINT touch_plan_test_batch")
            self.env.invalidate_all()
            done = enrollments.filtered("touches_generated")
            self.assertEqual(len(done), 2, "the first call was kept")
            self._run_cron()
            touches = enrollments.touch_ids.filtered(lambda t: t.cycle_start.year == 2028)
        self.assertEqual(len(touches), 4 * 30, "no touch lost nor duplicated")
        self.assertEqual(
            len(enrollments.touch_ids.activity_id),
            len(enrollments.touch_ids.filtered(lambda t: t.state == "scheduled")),
        )

    def test_failing_record_is_logged_and_skipped(self):
        """One record that fails is logged on its enrollment and left for the
        next day; the others are processed and the job ends."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(3, "Fail")
        bad = enrollments[1]
        Enrollment = type(self.Enrollment)
        original = Enrollment._generate_touches

        def generate(records, *args, **kwargs):
            if bad in records:
                raise ValueError("broken key date")
            return original(records, *args, **kwargs)

        with (
            freeze_time("2028-01-15"),
            patch.object(Enrollment, "_generate_touches", generate),
            mute_logger("odoo.addons.touch_plan.models.touch_plan_enrollment"),
        ):
            self._run_cron(batch_size=2)
        self.assertTrue(all((enrollments - bad).mapped("touches_generated")))
        self.assertFalse(bad.touches_generated)
        self.assertEqual(str(bad.error_date), "2028-01-15")
        self.assertIn("broken key date", bad.message_ids[0].body)
        # the next day, fixed, it is planned like the others and clean again
        with freeze_time("2028-01-16"):
            self._run_cron()
        self.assertTrue(bad.touches_generated)
        self.assertFalse(bad.error_date)

    def test_enrollment_of_a_deleted_record_ends(self):
        """A record deleted behind the ORM's back ends its enrollment; the job
        goes on with the others (no MissingError)."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(2, "Gone")
        gone, kept = enrollments
        self.env.flush_all()
        # a row gone without the ORM (another module's SQL, a restored backup)
        self.env.cr.execute(
            "UPDATE touch_plan_enrollment SET res_id = res_id + 1000000 WHERE id = %s",
            [gone.id],
        )
        self.env.invalidate_all()
        with freeze_time("2027-02-08"):
            self._run_cron()
        self.assertEqual(gone.state, "cancelled")
        self.assertIn("deleted", gone.end_reason)
        self.assertFalse(gone.touch_ids.filtered(lambda t: t.state in ("planned", "scheduled")))
        self.assertTrue(kept.touch_ids.filtered(lambda t: t.state == "done"), "kept is served")


@tagged("post_install", "-at_install", "is_query_count")
class TestTouchCronQueries(TouchCronCase):
    # queries of one cron batch: generating a cycle's touches, sending the due
    # emails and scheduling the due activities of the batch's enrollments
    BATCH_QUERY_BUDGET = 64

    def _measure_batch(self, count, prefix, budget=None):
        with freeze_time("2027-01-10"):
            # touches planned below, by the measured batch
            enrollments = self._enroll_clients(count, prefix, touches_generated=True)
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

    # queries of enrolling a batch of clients at once: the enrollments, their
    # cycle's touches (ids from the sequence and one COPY per 5,000, which no
    # query counter sees), the due ones sorted out from their values without a
    # query, and the immediate work of the lead time (emails sent, activities)
    ENROL_QUERY_BUDGET = 70

    def _measure_enrolment(self, count, prefix, budget=None):
        partners = self.env["res.partner"]
        for index in range(count):
            partners |= self._create_client(f"{prefix} {index}")
        self.env.flush_all()
        self.env.invalidate_all()
        counter = self.assertQueryCount(budget) if budget else contextlib.nullcontext()
        with freeze_time("2027-02-08"), counter:
            before = self.cr.sql_log_count
            # enrolled in a cycle that started ten days ago: what fell due since is work now
            enrollments = partners._touch_plan_enroll(self.lifetime, date_start="2027-01-29")
            self.env.flush_all()
            queries = self.cr.sql_log_count - before
        touches = enrollments.touch_ids
        self.assertEqual(len(touches), 30 * count)
        self.assertTrue(touches.filtered(lambda t: t.channel == "email" and t.state == "done"))
        self.assertTrue(touches.filtered(lambda t: t.channel != "email" and t.activity_id))
        return queries

    def test_enrolment_query_count_does_not_grow(self):
        """Enrolling 20 clients at once costs the queries of enrolling 5: the
        touches are inserted and filtered in bulk, never read back one by one;
        only the ORM's chunking of the enrollments' INSERT and UPDATE (by 100
        rows) may grow, which 20 clients do not reach."""
        self._measure_enrolment(2, "Warm enrol")  # fills the ORM and template caches
        small = self._measure_enrolment(5, "Small enrol", self.ENROL_QUERY_BUDGET)
        large = self._measure_enrolment(20, "Large enrol", self.ENROL_QUERY_BUDGET)
        self.assertEqual(large, small, f"{small} queries for 5, {large} for 20")

    def test_due_touches_are_read_from_the_planned_date_index(self):
        """The daily job's due touches are the planned ones up to a date: the
        index of the planned touches by date answers it in a large book (the
        benchmark shows it); the state alone has no index, and the plan,
        client and company of a touch are its enrollment's, not copied into
        each of its millions of rows."""
        with freeze_time("2027-01-10"):
            enrollments = self._enroll_clients(3, "Index")
        indexes = dict(
            self.env.execute_query(
                SQL(
                    """SELECT indexname, indexdef FROM pg_indexes
                        WHERE tablename = 'touch_plan_touch'"""
                )
            )
        )
        self.assertIn(
            "(scheduled_date, id) WHERE ((state)::text = 'planned'::text)",
            indexes.get("touch_plan_touch_planned_date_index", ""),
        )
        self.assertNotIn("touch_plan_touch__state_index", indexes)
        columns = {
            row[0]
            for row in self.env.execute_query(
                SQL(
                    """SELECT column_name FROM information_schema.columns
                        WHERE table_name = 'touch_plan_touch'"""
                )
            )
        }
        self.assertFalse(columns & {"plan_id", "partner_id", "company_id"})
        with freeze_time("2027-02-08"):
            domain = self.Touch._get_due_domain()
            due = self.Touch.search(domain)
            # what the client's form and the reports read through the enrollment
            by_client = self.Touch.search([("partner_id", "=", enrollments[0].partner_id.id)])
            by_plan = self.Touch._read_group([("id", "in", due.ids)], ["plan_id"], ["__count"])
        plans = self.env["touch.plan"].with_context(active_test=False).search([])
        last = datetime.date(2027, 2, 8) + datetime.timedelta(
            days=max(plans.mapped("activity_days_ahead"))
        )
        self.assertIn(("scheduled_date", "<=", last), domain, "the index's range is searched")
        self.assertTrue(due)
        self.assertEqual(set(due.mapped("state")), {"planned"})
        self.assertEqual(by_client, enrollments[0].touch_ids)
        expected = collections.Counter(touch.enrollment_id.plan_id for touch in due)
        self.assertEqual(dict(by_plan), dict(expected))
        self.assertIn(self.lifetime, expected)
