from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from .test_touch_email_tracking import TouchEmailCase


@tagged("post_install", "-at_install")
class TestTouchVariants(TouchEmailCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.newsletter_step.write(
            {
                "variant_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Classic",
                            "sequence": 1,
                            "weight": 50,
                            "mail_template_id": cls.newsletter_template.id,
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "name": "Personal",
                            "sequence": 2,
                            "weight": 50,
                            "mail_template_id": cls.followup_template.id,
                        },
                    ),
                ]
            }
        )
        cls.classic, cls.personal = cls.newsletter_step.variant_ids

    def _clients(self, count, prefix):
        return self.env["res.partner"].concat(
            *(self._create_client(f"{prefix} {index}", key_dates=False) for index in range(count))
        )

    def _touches_of(self, enrollments, variant, **domain):
        return enrollments.touch_ids.filtered(lambda t: t.variant_id == variant)

    def test_split_as_set_and_figures_side_by_side(self):
        clients = self._clients(20, "Split")
        enrollments = self._enroll_and_send(clients)
        classic_clients = enrollments.touch_ids.filtered(
            lambda t: t.variant_id == self.classic
        ).enrollment_id
        personal_clients = enrollments.touch_ids.filtered(
            lambda t: t.variant_id == self.personal
        ).enrollment_id
        self.assertEqual((len(classic_clients), len(personal_clients)), (10, 10), "50/50")
        self.assertFalse(classic_clients & personal_clients, "one variant per client")
        self.assertFalse(enrollments.touch_ids.filtered(lambda t: not t.variant_id))
        # each variant sent its own template, in its own mailing
        sent = enrollments.touch_ids.filtered("mailing_id")
        self.assertEqual(len(sent), 20)
        for variant in (self.classic, self.personal):
            mailing = sent.filtered(lambda t, v=variant: t.variant_id == v).mailing_id
            self.assertEqual(len(mailing), 1)
            self.assertEqual(mailing.touch_plan_template_id, variant.mail_template_id)
        # 4 of 10 classic and 7 of 10 personal clients open; 2 personal ones refer someone
        classic_sent = sent.filtered(lambda t: t.variant_id == self.classic)
        personal_sent = sent.filtered(lambda t: t.variant_id == self.personal)
        (classic_sent[:4] | personal_sent[:7]).mailing_trace_id.set_opened()
        personal_sent[:1].mailing_trace_id.set_clicked()
        with freeze_time("2027-03-05"):
            for touch in personal_sent[:2]:
                self.env["res.partner"].create(
                    {
                        "name": f"Friend of {touch.partner_id.name}",
                        "referred_by_id": touch.partner_id.id,
                    }
                )
        self.env.flush_all()
        self.newsletter_step.variant_ids.invalidate_recordset()
        self.assertEqual(
            [
                (v.touch_count, v.sent_count, v.opened_count, v.clicked_count, v.referral_count)
                for v in (self.classic, self.personal)
            ],
            [(120, 10, 4, 0, 0), (120, 10, 7, 1, 2)],
            "12 touches a client, 10 clients a variant",
        )
        self.assertEqual((self.classic.open_rate, self.personal.open_rate), (40.0, 70.0))
        self.assertEqual(self.personal.click_rate, 10.0)
        self.assertEqual(self.personal.referral_rate, 20.0, "2 referrals per 10 touches done")
        # the touch analysis shows the same, by variant
        rows = {row["variant_id"][0]: row for row in self._rates(sent, groupby="variant_id")}
        self.assertEqual(rows[self.classic.id]["open_rate"], 40.0)
        self.assertEqual(rows[self.personal.id]["open_rate"], 70.0)

    def test_split_other_weights_and_batches(self):
        self.newsletter_step.write(
            {
                "variant_ids": [
                    (1, self.classic.id, {"weight": 70}),
                    (1, self.personal.id, {"weight": 30}),
                ]
            }
        )
        enrollments = self._enroll_and_send(self._clients(6, "First"))
        enrollments |= self._enroll_and_send(self._clients(4, "Second"))
        by_variant = {
            variant: len(self._touches_of(enrollments, variant).enrollment_id)
            for variant in (self.classic, self.personal)
        }
        self.assertEqual(by_variant, {self.classic: 7, self.personal: 3}, "70/30 over two batches")

    def test_weights_must_add_up(self):
        with self.assertRaises(ValidationError):
            self.newsletter_step.write({"variant_ids": [(1, self.classic.id, {"weight": 60})]})
        with self.assertRaises(ValidationError):
            self.newsletter_step.write({"variant_ids": [(2, self.personal.id)]})
        with self.assertRaises(ValidationError):
            self.env["touch.plan.step.variant"].create(
                {"step_id": self.newsletter_step.id, "name": "No template", "weight": 0}
            )

    def test_winner_by_hand_takes_over_planned_touches(self):
        enrollments = self._enroll_and_send(self._clients(4, "Hand"))
        done_classic = enrollments.touch_ids.filtered(
            lambda t: t.variant_id == self.classic and t.state == "done"
        )
        self.personal.action_choose_winner()
        self.assertEqual(self.newsletter_step.ab_winner_variant_id, self.personal)
        self.assertTrue(self.personal.is_winner)
        planned = enrollments.touch_ids.filtered(lambda t: t.state == "planned")
        self.assertEqual(len(planned), 4 * 11)
        self.assertEqual(set(planned.variant_id), {self.personal}, "the rest of the cycle")
        self.assertEqual(set(done_classic.variant_id), {self.classic}, "history kept")
        # new clients get the winner, and the next newsletter is the winner's template
        newcomer = self._enroll_and_send(self._clients(1, "Late"))
        self.assertEqual(set(newcomer.touch_ids.variant_id), {self.personal})
        self.assertEqual(
            newcomer.touch_ids.filtered("mailing_id").mailing_id.touch_plan_template_id,
            self.followup_template,
        )
        with self.assertRaises(UserError):
            self.classic.action_choose_winner()

    def test_winner_chosen_by_the_job_after_the_window(self):
        self.newsletter_step.write(
            {"ab_winner_criterion": "open_rate", "ab_test_end": "2027-03-15"}
        )
        enrollments = self._enroll_and_send(self._clients(4, "Auto"))
        personal = enrollments.touch_ids.filtered(
            lambda t: t.variant_id == self.personal and t.mailing_trace_id
        )
        personal.mailing_trace_id.set_opened()
        with freeze_time("2027-03-15 10:00:00"):
            self._run_cron()
        self.assertFalse(self.newsletter_step.ab_winner_variant_id, "the window is not over")
        with freeze_time("2027-03-16 10:00:00"):
            self._run_cron()
        self.assertEqual(self.newsletter_step.ab_winner_variant_id, self.personal)
        self.assertEqual(self.newsletter_step.ab_winner_date.isoformat(), "2027-03-16")
        planned = enrollments.touch_ids.filtered(lambda t: t.state == "planned")
        self.assertEqual(set(planned.variant_id), {self.personal})

    def test_step_form_shows_variants(self):
        with Form(self.email_plan) as plan_form, plan_form.step_ids.edit(0) as step_form:
            self.assertEqual(len(step_form.variant_ids), 2)
            step_form.ab_winner_criterion = "click_rate"
            step_form.ab_test_end = "2027-04-01"
        self.assertEqual(self.newsletter_step.ab_winner_criterion, "click_rate")
