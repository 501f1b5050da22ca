from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestClubAccess(ClubCommon, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        cls.salesman = new_test_user(
            cls.env, login="club_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.manager = cls._make_manager()
        cls.other_company = cls.env["res.company"].create({"name": "Other Club Company"})
        cls.other_manager = new_test_user(
            cls.env,
            login="club_other_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )

    def test_salesman_reads_but_cannot_review(self):
        program = self.program.with_user(self.salesman)
        self.assertTrue(program.club_tier_ids)
        with self.assertRaisesRegex(UserError, "Only sales managers"):
            program.action_club_run_review()
        with self.assertRaises(AccessError):
            self.env["loyalty.club.review"].with_user(self.salesman).create(
                {"program_id": self.program.id}
            )

    def test_manager_runs_review_from_the_club(self):
        action = self.program.with_user(self.manager).action_club_run_review()
        review = self.env["loyalty.club.review"].browse(action["res_id"])
        self.assertEqual(review.program_id, self.program)
        self.assertEqual(review.state, "done")
        self.assertIn(self.card, review.line_ids.card_id)

    def test_other_company_sees_nothing(self):
        self.program.company_id = self.env.company
        self.program._club_run_review()
        self.card.club_tier_id = self.gold
        for model in ("loyalty.club.review", "loyalty.club.tier.history", "loyalty.club.tier"):
            records = (
                self.env[model]
                .with_user(self.other_manager)
                .search([("program_id", "=", self.program.id)])
            )
            self.assertFalse(records, f"{model} of another company is hidden")

    def test_program_communication_overrides_default_mail(self):
        template = self.env["mail.template"].create(
            {
                "name": "Custom upgrade",
                "model_id": self.env["ir.model"]._get_id("loyalty.card"),
                "subject": "Custom upgrade subject",
                "partner_to": "{{ object.partner_id.id }}",
                "body_html": "<p>Up!</p>",
            }
        )
        self.env["loyalty.mail"].create(
            {
                "program_id": self.program.id,
                "trigger": "club_upgrade",
                "mail_template_id": template.id,
            }
        )
        self._issue(self.card, 150)
        self.assertEqual(self.card.club_tier_id, self.gold)
        subjects = (
            self.env["mail.mail"]
            .search([("model", "=", "loyalty.card"), ("res_id", "=", self.card.id)])
            .mapped("subject")
        )
        self.assertIn("Custom upgrade subject", subjects)
