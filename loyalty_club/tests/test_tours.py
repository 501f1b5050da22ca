from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.touch_plan.tests.tour_screenshots import tour_screenshots

from .common_club import ClubCommon


@tagged("post_install", "-at_install")
class TestLoyaltyClubTours(ClubCommon, HttpCase):
    """A club member logs into the portal and opens their club page."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_club()
        cls.member_user = new_test_user(
            cls.env, login="tour_member", name="Maya Member", groups="base.group_portal"
        )
        cls.member_card = cls._make_member(cls.member_user.partner_id, tier=cls.gold)

    def test_member_opens_the_club_page(self):
        self._issue(self.member_card, 120, description="Welcome points")
        with tour_screenshots():
            self.start_tour("/my", "loyalty_club_portal_tour", login="tour_member")
