import datetime

from odoo.tests import TransactionCase, new_test_user


class TouchPlanCase(TransactionCase):
    """Fixtures of the touch engine tests: the shipped plans, a rep, occasions, key dates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))
        cls.Enrollment = cls.env["touch.plan.enrollment"]
        cls.Touch = cls.env["touch.plan.touch"]
        cls.lifetime = cls.env.ref("touch_plan.touch_plan_lifetime")
        cls.advocate = cls.env.ref("touch_plan.touch_plan_advocate")
        cls.company = cls.env.company
        cls.rep = new_test_user(
            cls.env, login="tp_rep", groups="touch_plan.touch_plan_group_user", tz="UTC"
        )
        cls.country = cls.env["res.country"].create({"name": "Touchland", "code": "TX"})
        # seven holidays of the client's country: five fixed, two moving (per year)
        cls.occasions = cls.env["touch.plan.occasion"].create(
            [
                {
                    "name": f"Fixed holiday {month}",
                    "country_id": cls.country.id,
                    "date_kind": "fixed",
                    "month": str(month),
                    "day": 15,
                }
                for month in (2, 4, 6, 9, 11)
            ]
            + [
                {
                    "name": "Eid al-Fitr",
                    "country_id": cls.country.id,
                    "date_kind": "per_year",
                    "date_ids": [
                        (0, 0, {"date": datetime.date(2027, 3, 10)}),
                        (0, 0, {"date": datetime.date(2028, 2, 27)}),
                    ],
                },
                {
                    "name": "Eid al-Adha",
                    "country_id": cls.country.id,
                    "date_kind": "per_year",
                    "date_ids": [
                        (0, 0, {"date": datetime.date(2027, 5, 17)}),
                        (0, 0, {"date": datetime.date(2028, 5, 5)}),
                    ],
                },
            ]
        )
        for plan in cls.lifetime | cls.advocate:
            plan.step_ids.filtered(lambda s: s.timing == "occasion").occasion_ids = cls.occasions
        KeyDateType = cls.env["touch.plan.key.date.type"]
        cls.key_types = KeyDateType.create(
            [
                {"name": f"Test date {code}", "code": f"tp_test_{code}", "yearly": True}
                for code in ("birthday", "purchase", "wedding", "spouse")
            ]
        )

    @classmethod
    def _create_client(cls, name="Client", email=True, key_dates=True, **values):
        partner = cls.env["res.partner"].create(
            {
                "name": name,
                "email": f"{name.lower().replace(' ', '.')}@example.com" if email else False,
                "country_id": cls.country.id,
                "user_id": cls.rep.id,
                **values,
            }
        )
        if key_dates:
            cls.env["touch.plan.key.date"].create(
                [
                    {"partner_id": partner.id, "type_id": key_type.id, "date": day}
                    for key_type, day in zip(
                        cls.key_types,
                        (
                            datetime.date(1980, 3, 3),
                            datetime.date(2015, 7, 20),
                            datetime.date(2005, 10, 1),
                            datetime.date(1982, 12, 5),
                        ),
                        strict=True,
                    )
                ]
            )
        return partner

    def _kinds(self, touches):
        counts = {}
        for touch in touches:
            counts[touch.kind] = counts.get(touch.kind, 0) + 1
        return counts

    def _run_cron(self, batch_size=500):
        """The daily job as ``ir.cron`` runs it: called again while work remains."""
        for _call in range(400):
            _done, remaining = self.Enrollment._cron_generate_batch(batch_size)
            if not remaining:
                break
        else:
            self.fail("the daily job never reported that it was done")
        self.env.flush_all()
