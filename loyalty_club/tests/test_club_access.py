import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

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

    def test_salesman_cannot_write_the_ledger(self):
        self._issue(self.card, 40)
        History = self.env["loyalty.history"].with_user(self.salesman)
        for values in ({"issued": -25}, {"issued": 25}, {"used": 10}):
            with self.subTest(values=values), self.assertRaisesRegex(AccessError, "by hand"):
                History.create({"card_id": self.card.id, "description": "By hand", **values})
        line = self.card.history_ids[:1]
        with self.assertRaises(AccessError):
            line.with_user(self.salesman).write({"issued": 100})
        with self.assertRaises(AccessError):
            line.with_user(self.salesman).unlink()
        with self.assertRaisesRegex(ValidationError, "must equal its points ledger"):
            self.card.with_user(self.salesman).points = 500
        self.env.invalidate_all()
        self.assertEqual(self.card.points, 40.0, "nothing was written")
        self.assertLedgerBalanced(self.card)

    def test_database_refuses_negative_and_overreversed_lines(self):
        batch = self._issue(self.card, 40)
        with self.assertRaises(ValidationError), mute_logger("odoo.sql_db"):
            self.env["loyalty.history"].create(
                {"card_id": self.card.id, "description": "Negative", "issued": -25}
            )
        with self.assertRaises(psycopg2.errors.CheckViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env.cr.execute(
                    "UPDATE loyalty_history SET remaining_points = 41 WHERE id = %s", [batch.id]
                )
        with self.assertRaises(psycopg2.errors.CheckViolation), mute_logger("odoo.sql_db"):
            with self.env.cr.savepoint():
                self.env["loyalty.history"].with_context(loyalty_club_no_ledger=True).create(
                    {
                        "card_id": self.card.id,
                        "description": "Takes back more than issued",
                        "used": 50,
                        "move_type": "reversal",
                        "origin_id": batch.id,
                    }
                )
                self.env.flush_all()
        self.env.invalidate_all()
        self.assertLedgerBalanced(self.card)

    def test_salesman_cannot_set_a_tier(self):
        card = self.card.with_user(self.salesman)
        with self.assertRaisesRegex(AccessError, "Only club managers"):
            card.club_tier_id = self.gold
        with self.assertRaises(AccessError):
            Form(
                self.env["loyalty.club.tier.change"]
                .with_user(self.salesman)
                .with_context(active_model="loyalty.card", active_ids=self.card.ids)
            )
        self.assertEqual(self.card.club_tier_id, self.silver)
        self.assertEqual(len(self.card.club_tier_history_ids), 1, "no tier history written")
        # the form shows the tier read-only and the kanban does not drag for them
        form_arch = card.get_view(self.env.ref("loyalty.loyalty_card_view_form").id, "form")["arch"]
        self.assertIn('name="club_tier_id" readonly="1"', form_arch)
        arch = (
            self.env["loyalty.card"]
            .with_user(self.salesman)
            .get_view(self.env.ref("loyalty_club.loyalty_card_view_kanban_club").id, "kanban")[
                "arch"
            ]
        )
        self.assertIn('records_draggable="false"', arch)
        arch = (
            self.env["loyalty.card"]
            .with_user(self.manager)
            .get_view(self.env.ref("loyalty_club.loyalty_card_view_kanban_club").id, "kanban")[
                "arch"
            ]
        )
        self.assertNotIn('records_draggable="false"', arch)

    def test_manager_changes_a_tier_with_a_reason(self):
        wizard = Form(
            self.env["loyalty.club.tier.change"]
            .with_user(self.manager)
            .with_context(active_model="loyalty.card", active_ids=self.card.ids)
        )
        wizard.tier_id = self.platinum
        wizard.reason = "Key account"
        wizard.save().action_apply()
        self.assertEqual(self.card.club_tier_id, self.platinum)
        change = self.card.club_tier_history_ids.sorted("id")[-1]
        self.assertEqual((change.reason, change.note), ("manual", "Key account"))
        self.assertEqual(change.tier_before_id, self.silver)

    def test_tier_change_switches_the_pricelist_both_ways(self):
        own = self.env["product.pricelist"].create({"name": "Member's own"})
        gold_list = self.env["product.pricelist"].create({"name": "Gold prices"})
        self.gold.pricelist_id = gold_list
        partner = self.partner.with_company(self.card.company_id or self.env.company)
        partner.property_product_pricelist = own
        self._issue(self.card, 150)  # reaches Gold
        self.assertEqual(self.card.club_tier_id, self.gold)
        self.assertEqual(partner.property_product_pricelist, gold_list)
        self.card.with_user(self.manager).club_tier_id = self.silver
        partner.invalidate_recordset()
        self.assertEqual(
            partner.property_product_pricelist, own, "moving down from Gold removes its pricelist"
        )

    def test_salesman_confirms_and_cancels_orders(self):
        """The club's own operations work for salespeople: the ledger is written for them."""
        self._issue(self.card, 990)
        order = self._order(qty=2)
        order.user_id = self.salesman
        order = order.with_user(self.salesman)
        order._apply_program_reward(self.program.reward_ids, self.card)
        order.action_confirm()
        self.assertEqual(self.card.points, 50.0, "990 + 60 earned (Platinum x3) - 1000 spent")
        self.assertLedgerBalanced(self.card)
        lines = self.card.history_ids.filtered(lambda h: h.order_id == order.id)
        self.assertEqual(lines.create_uid, self.salesman, "booked for them")
        # (Odoo lets only sales managers cancel orders that earned loyalty points)
        order.with_user(self.manager).with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self.card.points, 990.0)
        self.assertLedgerBalanced(self.card)
