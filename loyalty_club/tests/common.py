from datetime import date

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

TODAY = date(2026, 6, 30)


def ntile(values, buckets=5):
    """PostgreSQL's ntile() on an already sorted list: bucket number per position."""
    count = len(values)
    size, extra = divmod(count, buckets)
    result, position = [], 0
    for bucket in range(1, buckets + 1):
        length = size + (1 if bucket <= extra else 0)
        result.extend([bucket] * length)
        position += length
    return result


def min_max(values):
    """0-100 min-max normalisation, 0 for everybody when all values are equal."""
    low, high = min(values), max(values)
    if high == low:
        return [0.0 for _value in values]
    return [100.0 * (value - low) / (high - low) for value in values]


class ClubScoringCommon(AccountTestInvoicingCommon):
    """A company with five customers whose scores are known by hand.

    Scoring day 2026-06-30, window 12 months: (2025-06-30, 2026-06-30];
    previous window (2024-06-30, 2025-06-30]. One product, price 100, cost 40,
    no taxes.

    - regular: 2025-03-01 300 (paid on time), 2026-01-15 1000 (paid 4 days
      early), 2026-05-10 500 (paid 11 days late)
    - refund_only: a 200 credit note on 2026-03-01
    - single: one 100 invoice on 2026-06-01, due 2026-07-01, unpaid
    - late: 2024-12-01 100 (paid late), 2025-09-01 300 (paid 45 days late),
      2026-02-01 200 (unpaid, 119 days overdue)
    - referrer: 2024-10-01 400 paid; nothing since (churned); two referrals
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.Score = cls.env["loyalty.club.score"]
        cls.product = cls.env["product.product"].create(
            {
                "name": "Club Test Product",
                "type": "consu",
                "list_price": 100.0,
                "standard_price": 40.0,
                "taxes_id": [Command.clear()],
            }
        )
        Partner = cls.env["res.partner"]
        cls.regular = Partner.create({"name": "Regular", "club_cooperation": 2})
        cls.refund_only = Partner.create({"name": "Refund Only"})
        cls.single = Partner.create({"name": "Single Purchase"})
        cls.late = Partner.create({"name": "Never On Time", "club_impression": 1})
        cls.referrer = Partner.create(
            {
                "name": "Referrer",
                "club_cooperation": 5,
                "club_impression": 4,
                "club_opportunity": 3,
            }
        )
        cls.has_referrals = "referred_by_id" in Partner._fields
        if cls.has_referrals:
            Partner.create(
                [
                    {"name": "Referred 1", "referred_by_id": cls.referrer.id},
                    {"name": "Referred 2", "referred_by_id": cls.referrer.id},
                ]
            )
        cls.customers = cls.regular | cls.refund_only | cls.single | cls.late | cls.referrer

        cls._invoice(cls.regular, "2025-03-01", 3, "2025-03-31", paid="2025-03-20")
        cls._invoice(cls.regular, "2026-01-15", 10, "2026-02-14", paid="2026-02-10")
        cls._invoice(cls.regular, "2026-05-10", 5, "2026-06-09", paid="2026-06-20")
        cls._invoice(cls.refund_only, "2026-03-01", 2, "2026-03-01", move_type="out_refund")
        cls._invoice(cls.single, "2026-06-01", 1, "2026-07-01")
        cls._invoice(cls.late, "2024-12-01", 1, "2024-12-31", paid="2025-02-01")
        cls._invoice(cls.late, "2025-09-01", 3, "2025-10-01", paid="2025-11-15")
        cls._invoice(cls.late, "2026-02-01", 2, "2026-03-03")
        cls._invoice(cls.referrer, "2024-10-01", 4, "2024-10-01", paid="2024-10-01")

    @classmethod
    def _invoice(cls, partner, invoice_date, quantity, due, paid=None, move_type="out_invoice"):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": invoice_date,
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": cls.product.id,
                            "quantity": quantity,
                            "price_unit": 100.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        if paid:
            cls.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create({"payment_date": paid})._create_payments()
        return move

    def _compute(self, **kwargs):
        kwargs.setdefault("companies", self.company)
        kwargs.setdefault("date", TODAY)
        return self.Score._compute_club_scores(**kwargs)

    def _scores(self):
        scores = self.Score.search([("company_id", "=", self.company.id)])
        return {score.partner_id: score for score in scores}


class ClubReviewCommon(ClubScoringCommon):
    """The scoring fixture plus a club (Silver 0, Gold 100, Platinum 500) of all five."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "Value Club",
                "program_type": "loyalty",
                "company_id": cls.company.id,
                "is_club": True,
            }
        )
        cls.silver, cls.gold, cls.platinum = cls.env["loyalty.club.tier"].create(
            [
                {"name": "Silver", "sequence": 10, "threshold": 0, "program_id": cls.program.id},
                {"name": "Gold", "sequence": 20, "threshold": 100, "program_id": cls.program.id},
                {
                    "name": "Platinum",
                    "sequence": 30,
                    "threshold": 500,
                    "program_id": cls.program.id,
                },
            ]
        )
        cls.cards = cls.env["loyalty.card"].create(
            [
                {"program_id": cls.program.id, "partner_id": partner.id, "points": 0}
                for partner in cls.customers
            ]
        )
        cls.card_of = {card.partner_id: card for card in cls.cards}

    def _issue(self, partner, points, expiry):
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                {
                    "card_id": self.card_of[partner].id,
                    "description": "Test batch",
                    "issued": points,
                    "expiry_date": expiry,
                    "move_type": "issue",
                }
            )
        )
