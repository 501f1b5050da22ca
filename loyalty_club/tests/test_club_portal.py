from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestClubPortal(ClubCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        cls.member_user = new_test_user(cls.env, login="club_member", groups="base.group_portal")
        cls.member_card = cls._make_member(cls.member_user.partner_id, tier=cls.gold)
        cls.other_user = new_test_user(cls.env, login="club_other", groups="base.group_portal")
        cls.other_card = cls._make_member(cls.other_user.partner_id, tier=cls.platinum)

    def test_member_reads_own_card(self):
        self._issue(self.member_card, 42)
        self._issue(self.member_card, 8, fields.Date.today() + timedelta(days=3))
        self.authenticate("club_member", "club_member")
        response = self.url_open("/my/club")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.member_card.code, response.text)
        self.assertIn("Gold", response.text)
        self.assertIn("Points about to expire", response.text)
        self.assertIn("Progress to", response.text)
        self.assertIn(f"/report/barcode/Code128/{self.member_card.code}", response.text)
        self.assertNotIn(self.other_card.code, response.text)
        response = self.url_open(f"/my/club/{self.member_card.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.member_card.code, response.text)

    def test_other_members_card_not_found(self):
        self.authenticate("club_member", "club_member")
        response = self.url_open(f"/my/club/{self.other_card.id}")
        self.assertIn(response.status_code, (403, 404))
        self.assertNotIn(self.other_card.code, response.text)

    def test_user_without_card_sees_invitation(self):
        new_test_user(self.env, login="club_nobody", groups="base.group_portal")
        self.authenticate("club_nobody", "club_nobody")
        response = self.url_open("/my/club")
        self.assertEqual(response.status_code, 200)
        self.assertIn("not a member of a customer club yet", response.text)
        self.assertNotIn(self.member_card.code, response.text)

    def test_anonymous_redirected_to_login(self):
        response = self.url_open("/my/club", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers.get("Location", ""))

    def test_member_card_report_renders(self):
        html, _fmt = self.env["ir.actions.report"]._render_qweb_html(
            "loyalty_club.report_loyalty_club_card", self.member_card.ids
        )
        html = html.decode()
        self.assertIn(self.member_card.code, html)
        self.assertIn("Gold", html)
        self.assertIn(f"Barcode {self.member_card.code}", html)
        self.assertIn("data:image/png;base64", html)

    def test_company_contact_sees_the_company_card(self):
        Partner = self.env["res.partner"]
        company = Partner.create({"name": "Member Company", "is_company": True})
        other_company = Partner.create({"name": "Other Company", "is_company": True})
        company_card = self._make_member(company, tier=self.gold)
        other_card = self._make_member(other_company, tier=self.platinum)
        self._issue(company_card, 1450)
        company_card.club_tier_id.benefits = "50% more points and priority service."
        contact = new_test_user(self.env, login="club_contact", groups="base.group_portal")
        contact.partner_id.parent_id = company
        Partner.create({"name": "Other Contact", "parent_id": other_company.id})
        self.authenticate("club_contact", "club_contact")
        response = self.url_open("/my/club")
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("not a member", response.text)
        self.assertIn(company_card.code, response.text, "the company's card")
        self.assertNotIn(other_card.code, response.text)
        self.assertIn("1450 ", response.text, "points in the program's format")
        self.assertNotIn("1450.0", response.text)
        self.assertIn(f'<bdi dir="ltr">{company_card.code}</bdi>', response.text, "isolated LTR")
        self.assertIn('breadcrumb-item active">Club</li>', response.text)
        self.assertRegex(
            response.text,
            r'<div dir="auto" class="o_club_benefits"[^>]*>\s*(<p>)?50% more points',
            "benefits in the direction of their own text (English on an Arabic page)",
        )
        self.assertIn("<title>Customer Club", response.text)
        response = self.url_open(f"/my/club/{other_card.id}")
        self.assertEqual(response.status_code, 404, "not another company's card")
        self.assertNotIn(other_card.code, response.text)

    def test_home_tile(self):
        self.authenticate("club_member", "club_member")
        response = self.url_open("/my")
        self.assertIn("/loyalty_club/static/src/img/club.svg", response.text)
        self.assertEqual(self.url_open("/loyalty_club/static/src/img/club.svg").status_code, 200)
