from contextlib import contextmanager
from datetime import datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import TransactionCase, new_test_user


class LeadTrackingCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        # self-contained: no demo mapping rules nor response targets
        cls.env["lead.tracking.source.rule"].search([]).active = False
        cls.env["lead.tracking.response.target"].search([]).unlink()
        cls.calendar = cls.env["resource.calendar"].create(
            {
                "name": "Office hours (UTC)",
                "tz": "UTC",
                "company_id": cls.company.id,
                "attendance_ids": [
                    (
                        0,
                        0,
                        {
                            "name": f"Day {day} {period}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": end,
                            "day_period": period,
                        },
                    )
                    for day in range(5)
                    for period, start, end in (("morning", 8, 12), ("afternoon", 13, 17))
                ],
            }
        )
        cls.manager = new_test_user(
            cls.env,
            login="lt_manager",
            groups="sales_team.group_sale_manager",
            email="manager@example.com",
        )
        cls.salesman = new_test_user(
            cls.env,
            login="lt_salesman",
            groups="sales_team.group_sale_salesman",
            email="salesman@example.com",
        )
        cls.other_salesman = new_test_user(
            cls.env,
            login="lt_other_salesman",
            groups="sales_team.group_sale_salesman",
            email="other@example.com",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Lead Tracking Team",
                "user_id": cls.manager.id,
                "resource_calendar_id": cls.calendar.id,
                "company_id": cls.company.id,
            }
        )
        Source = cls.env["utm.source"]
        cls.source_web = Source.create({"name": "LT Website", "channel": "web_form"})
        cls.source_social = Source.create({"name": "LT Facebook", "channel": "social"})
        cls.source_event = Source.create({"name": "LT Trade Show", "channel": "event"})
        cls.medium_cpc = cls.env["utm.medium"].create({"name": "LT cpc"})
        cls.campaign_spring = cls.env["utm.campaign"].create({"name": "LT Spring"})
        cls.campaign_fall = cls.env["utm.campaign"].create({"name": "LT Fall"})
        cls.customer = cls.env["res.partner"].create(
            {"name": "Alice Customer", "email": "alice@customer.example"}
        )
        cls.referrer = cls.env["res.partner"].create(
            {"name": "Rita Referrer", "email": "rita@referrer.example"}
        )
        cls.won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)

    @contextmanager
    def at(self, when):
        """Freeze Python time and the transaction timestamp (create_date)."""
        if isinstance(when, str):
            when = datetime.fromisoformat(when)
        with freeze_time(when), patch.object(type(self.env.cr), "now", lambda _cr: when):
            yield

    def create_lead(self, when="2026-01-09 16:00:00", **vals):
        vals.setdefault("name", "A lead")
        vals.setdefault("team_id", self.team.id)
        with self.at(when):
            return self.env["crm.lead"].create(vals)
