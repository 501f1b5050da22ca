from datetime import timedelta

from werkzeug.exceptions import NotFound

from odoo import fields
from odoo.http import request, route

from odoo.addons.portal.controllers.portal import CustomerPortal


class LoyaltyClubPortal(CustomerPortal):
    def _club_cards_domain(self):
        """Cards of the member: their own, or their company's (commercial partner)."""
        partner = request.env.user.partner_id
        return [
            ("partner_id", "in", (partner | partner.commercial_partner_id).ids),
            ("is_club", "=", True),
            ("program_id.active", "=", True),
        ]

    def _club_member_cards(self):
        """The club cards of the logged-in member (sudo: portal users have no access
        to loyalty cards, the domain restricts them to their own and their
        company's)."""
        return request.env["loyalty.card"].sudo().search(self._club_cards_domain())

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "club_count" in counters:
            values["club_count"] = (
                request.env["loyalty.card"].sudo().search_count(self._club_cards_domain())
            )
        return values

    def _prepare_club_card_values(self, card, cards):
        today = fields.Date.context_today(card)
        horizon = today + timedelta(days=card.program_id.club_expiry_notice_days)
        History = card.env["loyalty.history"]
        return {
            "page_name": "loyalty_club",
            "card": card,
            "club_cards": cards,
            "history_lines": History.search([("card_id", "=", card.id)], limit=50),
            "expiring_batches": History.search(
                [
                    ("card_id", "=", card.id),
                    ("remaining_points", ">", 0),
                    ("expiry_date", "<=", horizon),
                ],
                order="expiry_date, id",
                limit=5,
            ),
            "tier_history": card.club_tier_history_ids[:20],
            "today": today,
        }

    @route(["/my/club", "/my/club/<int:card_id>"], type="http", auth="user", website=True)
    def portal_my_club(self, card_id=None, **kw):
        cards = self._club_member_cards()
        if card_id:
            card = cards.filtered(lambda c: c.id == card_id)
            if not card:
                # not a card of this member: do not even tell it exists
                raise NotFound()
        else:
            card = cards[:1]
        if not card:
            return request.render(
                "loyalty_club.portal_my_club_empty", {"page_name": "loyalty_club"}
            )
        return request.render(
            "loyalty_club.portal_my_club", self._prepare_club_card_values(card, cards)
        )
