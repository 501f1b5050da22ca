import base64
import io
from datetime import date

import openpyxl

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import LeadTrackingCase


@tagged("post_install", "-at_install")
class TestReports(LeadTrackingCase):
    """Two months, two currencies, hand-computed figures.

    Company currency USD; 1 USD = 2 EUR in January, 4 EUR from February.

    Spend (company currency):
      social  Jan  300 USD + 200 EUR (= 100 USD)      = 400
      social  Jan 16 - Feb 14, 600 USD over 30 days   = 320 Jan + 280 Feb
      event   Feb  400 EUR (= 100 USD)                = 100
    Leads:
      social  Jan  4 leads, 2 won (1000 + 500), 2 new customers
      event   Jan  2 leads, 1 lost
      event   Feb  3 leads, 1 won (800), 1 new customer
      social  Feb  1 lead won (200) by an existing customer
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        usd = cls.env.ref("base.USD")
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        cls.co = cls.env["res.company"].create({"name": "LT Fixture Co", "currency_id": usd.id})
        cls.env["res.currency.rate"].create(
            [
                {
                    "name": "2026-01-01",
                    "rate": 2.0,
                    "currency_id": cls.eur.id,
                    "company_id": cls.co.id,
                },
                {
                    "name": "2026-02-01",
                    "rate": 4.0,
                    "currency_id": cls.eur.id,
                    "company_id": cls.co.id,
                },
            ]
        )
        (cls.salesman | cls.other_salesman | cls.manager).company_ids |= cls.co
        Spend = cls.env["lead.tracking.spend"]
        cls.spends = Spend.create(
            [
                cls._spend(
                    "Social Jan USD", "2026-01-01", "2026-01-31", cls.source_social, 300, usd
                ),
                cls._spend(
                    "Social Jan EUR",
                    "2026-01-01",
                    "2026-01-31",
                    cls.source_web,
                    200,
                    cls.eur,
                    "social",
                ),
                cls._spend(
                    "Social spread",
                    "2026-01-16",
                    "2026-02-14",
                    cls.source_social,
                    600,
                    usd,
                    campaign=cls.campaign_spring,
                ),
                cls._spend(
                    "Event Feb EUR", "2026-02-01", "2026-02-28", cls.source_event, 400, cls.eur
                ),
            ]
        )
        Partner = cls.env["res.partner"]
        cls.buyers = Partner.create([{"name": f"Buyer {i}"} for i in range(3)])

    @classmethod
    def _spend(cls, name, start, end, source, amount, currency, channel=None, campaign=None):
        vals = {
            "name": name,
            "date_from": start,
            "date_to": end,
            "source_id": source.id,
            "amount": amount,
            "currency_id": currency.id,
            "company_id": cls.co.id,
        }
        if channel:
            vals["channel"] = channel
        if campaign:
            vals["campaign_id"] = campaign.id
        return vals

    def _fixture_lead(self, when, source, won_revenue=None, partner=None, lost=False, **vals):
        vals.setdefault("user_id", False)
        lead = self.create_lead(
            when,
            team_id=False,
            company_id=self.co.id,
            source_id=source.id,
            type="opportunity",
            partner_id=partner.id if partner else False,
            expected_revenue=won_revenue or 0,
            **vals,
        )
        with self.at(when):
            if won_revenue is not None:
                lead.action_set_won()
            elif lost:
                lead.action_set_lost()
        return lead

    def _make_fixture(self):
        jan, feb = "2026-01-10 10:00:00", "2026-02-10 10:00:00"
        self._fixture_lead(jan, self.source_social, 1000, self.buyers[0], user_id=self.salesman.id)
        self._fixture_lead(jan, self.source_social, 500, self.buyers[1])
        self._fixture_lead(jan, self.source_social, user_id=self.salesman.id)
        self._fixture_lead(jan, self.source_social, user_id=self.other_salesman.id)
        self._fixture_lead(jan, self.source_event, lost=True)
        self._fixture_lead(jan, self.source_event)
        self._fixture_lead(feb, self.source_event, 800, self.buyers[2])
        self._fixture_lead(feb, self.source_event)
        self._fixture_lead(feb, self.source_event)
        self._fixture_lead(feb, self.source_social, 200, self.buyers[0])
        self.env.flush_all()

    def test_spend_is_converted_into_company_currency(self):
        self.assertEqual(self.spends.mapped("amount_company"), [300, 100, 600, 100])
        self.assertEqual(self.spends[1].channel, "social", "channel can be set by hand")
        self.assertEqual(self.spends[3].channel, "event", "channel follows the source")

    def test_spend_bad_input(self):
        base = self._spend("Bad", "2026-03-10", "2026-03-01", self.source_social, 10, self.eur)
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.spend"].create(base)
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.spend"].create(
                dict(base, date_from="2026-03-01", date_to="2026-03-05", amount=-5)
            )
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.spend"].create(
                dict(base, date_from="2026-03-01", date_to="2026-03-05", source_id=False)
            )
        # overlaps the January USD spend of the same source in another currency
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.spend"].create(
                dict(base, date_from="2026-01-20", date_to="2026-02-05")
            )

    def test_duplicate_spend_is_caught(self):
        Spend = self.env["lead.tracking.spend"]
        usd = self.env.ref("base.USD")
        again = self._spend(
            "Social Jan again", "2026-01-15", "2026-01-20", self.source_social, 300, usd
        )
        with self.assertRaises(ValidationError) as caught:
            Spend.create(again)
        message = str(caught.exception)
        self.assertIn("Social Jan again (2026-01-15 to 2026-01-20)", message)
        self.assertIn("overlaps the spend Social Jan USD (2026-01-01 to 2026-01-31", message)
        # moving an existing line onto another is caught too
        with self.assertRaises(ValidationError):
            self.spends[3].write({"source_id": self.source_social.id, "date_from": "2026-01-31"})
        # another campaign, or the next month, is another spend
        self.assertTrue(Spend.create(dict(again, campaign_id=self.campaign_fall.id)))
        self.assertTrue(Spend.create(dict(again, date_from="2026-02-01", date_to="2026-02-28")))
        self.assertEqual(
            Spend.search(
                [("company_id", "=", self.co.id), ("source_id", "=", self.source_social.id)]
            )
            .mapped("name")
            .count("Social Jan again"),
            2,
        )

    def test_spend_list_sums_one_currency(self):
        arch = self.env["lead.tracking.spend"].get_view(view_type="list")["arch"]
        # the list's total needs the currency of every line
        self.assertIn('name="amount" sum="Total"', arch)
        self.assertIn('name="currency_id"', arch)
        self.assertIn('name="company_currency_id"', arch)

    def _cost(self, groupby):
        return {
            group[: len(groupby)]: group[len(groupby) :]
            for group in self.env["lead.tracking.cost.report"]._read_group(
                [("company_id", "=", self.co.id)],
                groupby,
                [
                    "spend:sum",
                    "lead_count:sum",
                    "cost_per_lead:sum",
                    "new_customer_count:sum",
                    "cac:sum",
                    "won_revenue:sum",
                    "roi:sum",
                ],
            )
        }

    def test_cost_report_matches_hand_figures(self):
        self._make_fixture()
        rows = self._cost(["channel", "month:month"])
        jan, feb = date(2026, 1, 1), date(2026, 2, 1)
        # spend, leads, cost per lead, new customers, CAC, won revenue, ROI
        expected = {
            ("social", jan): (720, 4, 180, 2, 360, 1500, (1500 - 720) * 100 / 720),
            # no new customer: no CAC (not 0)
            ("social", feb): (280, 1, 280, 0, None, 200, (200 - 280) * 100 / 280),
            # no spend and no won revenue: no CAC, no ROI
            ("event", jan): (0, 2, 0, 0, None, 0, None),
            ("event", feb): (100, 3, 100 / 3, 1, 100, 800, 700),
        }
        self.assertEqual(set(rows), set(expected))
        for key, figures in expected.items():
            for got, want in zip(rows[key], figures, strict=True):
                if want is None:
                    self.assertIs(got, False, f"{key}: {rows[key]} should be empty")
                else:
                    self.assertAlmostEqual(got, want, places=2, msg=f"{key}: {rows[key]}")
        # ratios over both months come from the sums, not from summed ratios
        per_channel = self._cost(["channel"])
        spend, leads, cpl, customers, cac, _revenue, roi = per_channel[("social",)]
        self.assertAlmostEqual(spend, 1000)
        self.assertEqual((leads, customers), (5, 2))
        self.assertAlmostEqual(cpl, 200)
        self.assertAlmostEqual(cac, 500)
        self.assertAlmostEqual(roi, (1700 - 1000) * 100 / 1000)

    def test_funnel_report_matches_hand_figures(self):
        self._make_fixture()
        groups = self.env["lead.tracking.funnel.report"]._read_group(
            [("company_id", "=", self.co.id)],
            ["channel", "create_date:month"],
            [
                "lead_count:sum",
                "won_count:sum",
                "lost_count:sum",
                "conversion_rate:avg",
                "won_revenue:sum",
                "closed_win_rate:avg",
            ],
        )
        rows = {(channel, month.date()): values for channel, month, *values in groups}
        jan, feb = date(2026, 1, 1), date(2026, 2, 1)
        self.assertEqual(rows[("social", jan)], [4, 2, 0, 50.0, 1500, 100.0])
        self.assertEqual(rows[("event", jan)], [2, 0, 1, 0.0, 0, 0.0])
        self.assertEqual(rows[("event", feb)][:3], [3, 1, 0])
        self.assertAlmostEqual(rows[("event", feb)][3], 100 / 3)
        self.assertEqual(rows[("social", feb)], [1, 1, 0, 100.0, 200, 100.0])
        [(total_rate,)] = self.env["lead.tracking.funnel.report"]._read_group(
            [("company_id", "=", self.co.id), ("channel", "=", "social")],
            [],
            ["conversion_rate:avg"],
        )
        self.assertAlmostEqual(total_rate, 3 / 5 * 100)

    def test_funnel_averages_are_exact_fractions(self):
        """A lead, a won opportunity closed 36 hours later and an open one:
        the rates are the exact fractions of the group and the days to close
        the won one's 1.5 (the open ones have none, so they do not count)."""
        march = "2026-03-05 10:00:00"
        common = {
            "team_id": False,
            "user_id": False,
            "company_id": self.co.id,
            "source_id": self.source_social.id,
        }
        self.create_lead(march, type="lead", **common)
        won = self.create_lead(march, type="opportunity", **common)
        self.create_lead(march, type="opportunity", **common)
        with self.at("2026-03-06 22:00:00"):
            won.action_set_won()
        self.env.flush_all()
        [row] = self.env["lead.tracking.funnel.report"]._read_group(
            [("company_id", "=", self.co.id), ("create_date", ">=", "2026-03-01")],
            ["channel"],
            [
                "lead_count:sum",
                "opportunity_count:sum",
                "won_count:sum",
                "conversion_rate:avg",
                "opportunity_rate:avg",
                "opportunity_win_rate:avg",
                "closed_win_rate:avg",
                "days_to_close:avg",
            ],
        )
        self.assertEqual(row, ("social", 3, 2, 1, 100 / 3, 200 / 3, 50.0, 100.0, 1.5))

    def test_salesman_sees_only_what_crm_lets_them_see(self):
        self._make_fixture()
        funnel = (
            self.env["lead.tracking.funnel.report"]
            .with_user(self.salesman)
            .with_context(allowed_company_ids=[self.co.id])
        )
        visible = funnel.search([("company_id", "=", self.co.id)])
        leads = (
            self.env["crm.lead"]
            .with_user(self.salesman)
            .with_context(allowed_company_ids=[self.co.id], active_test=False)
            .search([("company_id", "=", self.co.id)])
        )
        self.assertEqual(set(visible.lead_id.ids), set(leads.ids))
        self.assertNotIn(self.other_salesman, visible.user_id)
        self.assertEqual(len(visible), 9, "10 leads minus the other salesman's")
        with self.assertRaises(AccessError):
            self.env["lead.tracking.cost.report"].with_user(self.salesman).search([])
        with self.assertRaises(AccessError):
            self.env["lead.tracking.spend"].with_user(self.salesman).create(
                self._spend("Nope", "2026-05-01", "2026-05-02", self.source_web, 1, self.eur)
            )
        spends = (
            self.env["lead.tracking.spend"]
            .with_user(self.salesman)
            .with_context(allowed_company_ids=[self.co.id])
            .search([])
        )
        self.assertEqual(spends, self.spends, "salesmen read the spend")
        self.assertTrue(self.env["lead.tracking.cost.report"].with_user(self.manager).search([]))

    def test_xlsx_export(self):
        self._make_fixture()
        manager_env = self.env(user=self.manager, context={"allowed_company_ids": [self.co.id]})
        wizard_form = Form(manager_env["lead.tracking.report.export"])
        wizard_form.date_from = date(2026, 1, 1)
        wizard_form.date_to = date(2026, 2, 28)
        wizard = wizard_form.save()
        action = wizard.action_export()
        self.assertIn("download=true", action["url"])
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file)))
        self.assertEqual(book.sheetnames, ["Funnel", "Cost per Customer"])
        cost = book["Cost per Customer"]
        header = [cell.value for cell in cost[1]]
        self.assertEqual(header[:2], ["Channel", "Month"])
        cac_col = header.index("CAC")
        rows = {(row[0].value, row[1].value.date()): row for row in cost.iter_rows(min_row=2)}
        self.assertAlmostEqual(rows[("Social Media", date(2026, 1, 1))][cac_col].value, 360)
        self.assertIsNone(rows[("Social Media", date(2026, 2, 1))][cac_col].value, "no CAC")
        funnel = book["Funnel"]
        header = [cell.value for cell in funnel[1]]
        rate_col = header.index("Conversion Rate (%)")
        rows = {(row[0].value, row[1].value.date()): row for row in funnel.iter_rows(min_row=2)}
        self.assertAlmostEqual(rows[("Social Media", date(2026, 1, 1))][rate_col].value, 50)
        # a salesman only gets the funnel sheet
        salesman_wizard = (
            self.env["lead.tracking.report.export"].with_user(self.salesman).create({})
        )
        salesman_wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(salesman_wizard.file)))
        self.assertEqual(book.sheetnames, ["Funnel"])
        with self.assertRaises(ValidationError):
            self.env["lead.tracking.report.export"].create(
                {"date_from": "2026-02-01", "date_to": "2026-01-01"}
            )
