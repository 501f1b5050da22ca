import datetime

import holidays
import psycopg2

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

D = datetime.date


@tagged("post_install", "-at_install")
class TestOccasion(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.touch_plan_feb29_policy = "feb28"
        cls.Occasion = cls.env["touch.plan.occasion"]
        cls.saudi_arabia = cls.env.ref("base.sa")
        cls.emirates = cls.env.ref("base.ae")
        cls.iran = cls.env.ref("base.ir")
        # the demo database may hold filled occasions: start from a clean slate
        cls.Occasion.with_context(active_test=False).search(
            [("country_id", "in", (cls.saudi_arabia | cls.emirates | cls.iran).ids)]
        ).unlink()

    def _fill(self, country, year_from=2026, year_to=2028):
        wizard_form = Form(self.env["touch.plan.occasion.fill"])
        wizard_form.country_id = country
        wizard_form.year_from = year_from
        wizard_form.year_to = year_to
        action = wizard_form.save().action_fill()
        return self.Occasion.with_context(active_test=False).search(action["domain"])

    def _library_first_day(self, code, name, year):
        """First day the holidays library lists ``name`` on, observed days aside."""
        calendar_days = holidays.country_holidays(code, years=year, language="en_US")
        return min(
            day
            for day in calendar_days
            for label in calendar_days.get_list(day)
            if label.startswith(name) and "observed" not in label
        )

    # ------------------------------------------------------------------
    # Fixed occasions
    # ------------------------------------------------------------------

    def test_fixed_occasion_every_year(self):
        new_year = self.Occasion.create(
            {"name": "New Year", "date_kind": "fixed", "month": "1", "day": 1}
        )
        dates = new_year._get_dates(D(2026, 6, 1), D(2028, 6, 1))
        self.assertEqual(dates, {new_year.id: [D(2027, 1, 1), D(2028, 1, 1)]})

    def test_fixed_occasion_on_feb_29(self):
        leap_day = self.Occasion.create(
            {"name": "Leap Day Party", "date_kind": "fixed", "month": "2", "day": 29}
        )
        window = (D(2027, 1, 1), D(2028, 12, 31))
        self.assertEqual(
            leap_day._get_dates(*window)[leap_day.id], [D(2027, 2, 28), D(2028, 2, 29)]
        )
        self.company.touch_plan_feb29_policy = "mar1"
        self.assertEqual(leap_day._get_dates(*window)[leap_day.id], [D(2027, 3, 1), D(2028, 2, 29)])

    def test_fixed_occasion_follows_its_company_policy(self):
        leap_agency = self.env["res.company"].create(
            {"name": "Leap Agency", "touch_plan_feb29_policy": "mar1"}
        )
        theirs, shared = self.Occasion.create(
            [
                {
                    "name": "Leap Day",
                    "date_kind": "fixed",
                    "month": "2",
                    "day": 29,
                    "company_id": leap_agency.id,
                },
                {
                    "name": "Leap Day",
                    "date_kind": "fixed",
                    "month": "2",
                    "day": 29,
                    "company_id": False,
                },
            ]
        )
        dates = (theirs | shared)._get_dates(D(2027, 1, 1), D(2027, 12, 31))
        self.assertEqual(dates, {theirs.id: [D(2027, 3, 1)], shared.id: [D(2027, 2, 28)]})

    def test_fixed_occasion_bad_days(self):
        with self.assertRaisesRegex(ValidationError, "February 30 does not exist"):
            self.Occasion.create({"name": "Nope", "date_kind": "fixed", "month": "2", "day": 30})
        with self.assertRaisesRegex(ValidationError, "April 31 does not exist"):
            self.Occasion.create({"name": "Nope", "date_kind": "fixed", "month": "4", "day": 31})
        for day in (0, 32, -1):
            with self.assertRaisesRegex(ValidationError, "must be between 1 and 31"):
                self.Occasion.create(
                    {"name": "Nope", "date_kind": "fixed", "month": "1", "day": day}
                )
        with self.assertRaisesRegex(ValidationError, "give it a month and a day"):
            self.Occasion.create({"name": "Nope", "date_kind": "fixed", "day": 3})
        occasion = self.Occasion.create(
            {"name": "Flag Day", "date_kind": "fixed", "month": "3", "day": 11}
        )
        with self.assertRaisesRegex(ValidationError, "February 30 does not exist"):
            occasion.write({"month": "2", "day": 30})

    def test_get_dates_mixed_and_empty(self):
        fixed = self.Occasion.create(
            {"name": "Flag Day", "date_kind": "fixed", "month": "3", "day": 11}
        )
        moving = self.Occasion.create({"name": "Teachers' Day", "date_kind": "per_year"})
        unknown_year = self.Occasion.create({"name": "Not Announced", "date_kind": "per_year"})
        moving.date_ids = [(0, 0, {"date": D(2027, 5, 2)}), (0, 0, {"date": D(2028, 4, 20)})]
        occasions = fixed | moving | unknown_year
        self.assertEqual(
            occasions._get_dates(D(2027, 1, 1), D(2027, 12, 31)),
            {fixed.id: [D(2027, 3, 11)], moving.id: [D(2027, 5, 2)], unknown_year.id: []},
        )
        self.assertEqual(
            occasions._get_dates(D(2027, 12, 31), D(2027, 1, 1)),
            {fixed.id: [], moving.id: [], unknown_year.id: []},
        )
        self.assertEqual(self.Occasion._get_dates(D(2027, 1, 1), D(2027, 12, 31)), {})

    def test_fill_wizard_defaults(self):
        self.company.country_id = self.iran
        wizard = Form(self.env["touch.plan.occasion.fill"])
        today = datetime.date.today()
        self.assertEqual(wizard.country_id, self.iran)
        self.assertEqual((wizard.year_from, wizard.year_to), (today.year, today.year + 2))

    def test_next_date(self):
        occasion = self.Occasion.create(
            {"name": "Flag Day", "date_kind": "fixed", "month": "3", "day": 11}
        )
        self.assertEqual(occasion._get_next_date(D(2027, 3, 11)), D(2027, 3, 11))
        self.assertEqual(occasion._get_next_date(D(2027, 3, 12)), D(2028, 3, 11))

    # ------------------------------------------------------------------
    # Filling from the holidays library
    # ------------------------------------------------------------------

    def test_fill_saudi_arabia_eid(self):
        occasions = self._fill(self.saudi_arabia)
        eid_fitr = occasions.filtered(lambda o: o.holiday_name == "Eid al-Fitr")
        eid_adha = occasions.filtered(lambda o: o.holiday_name == "Eid al-Adha")
        self.assertEqual(len(eid_fitr), 1, "several days of Eid make one occasion")
        self.assertEqual(eid_fitr.name, "Eid al-Fitr")
        self.assertEqual(eid_fitr.date_kind, "per_year")
        self.assertEqual(eid_fitr.country_id, self.saudi_arabia)
        dates_2027 = eid_fitr._get_dates(D(2027, 1, 1), D(2027, 12, 31))[eid_fitr.id]
        # the day holidays reports for 2027, and the known value of holidays 0.109
        self.assertEqual(dates_2027, [self._library_first_day("SA", "Eid al-Fitr", 2027)])
        self.assertEqual(dates_2027, [D(2027, 3, 9)])
        self.assertEqual(
            eid_adha._get_dates(D(2026, 1, 1), D(2028, 12, 31))[eid_adha.id],
            [D(2026, 5, 27), D(2027, 5, 16), D(2028, 5, 5)],
        )
        self.assertEqual(eid_fitr.date_ids.mapped("year"), [2026, 2027, 2028])
        self.assertFalse(eid_fitr.date_ids.filtered("is_manual"))
        # a holiday on the same day every year is a fixed occasion
        founding_day = occasions.filtered(lambda o: o.holiday_name == "Founding Day")
        self.assertRecordValues(founding_day, [{"date_kind": "fixed", "month": "2", "day": 22}])
        self.assertFalse(founding_day.date_ids)
        self.assertFalse(
            occasions.filtered(lambda o: "observed" in o.name or "Holiday" in o.name),
            "observed days and 'X Holiday' days are no occasions of their own",
        )

    def test_fill_emirates_estimated(self):
        occasions = self._fill(self.emirates)
        eid_fitr = occasions.filtered(lambda o: o.holiday_name == "Eid al-Fitr")
        # the library names the Eid day itself next to the days off around it
        self.assertRecordValues(
            eid_fitr.date_ids.sorted("date"),
            [
                {"date": D(2026, 3, 20), "is_estimated": False},
                {"date": D(2027, 3, 9), "is_estimated": True},
                {"date": D(2028, 2, 26), "is_estimated": True},
            ],
        )

    def test_fill_iran_nowruz(self):
        occasions = self._fill(self.iran)
        nowruz = occasions.filtered(lambda o: o.holiday_name == "Nowruz")
        self.assertEqual(nowruz.date_kind, "per_year", "Nowruz follows the March equinox")
        dates = nowruz._get_dates(D(2026, 1, 1), D(2028, 12, 31))[nowruz.id]
        expected = [self._library_first_day("IR", "Nowruz", year) for year in (2026, 2027, 2028)]
        self.assertEqual(dates, expected)
        self.assertEqual(dates, [D(2026, 3, 21), D(2027, 3, 21), D(2028, 3, 20)])

    def test_fill_names_in_arabic_and_persian(self):
        self.env["res.lang"]._activate_lang("ar_001")
        self.env["res.lang"]._activate_lang("fa_IR")
        eid_fitr = self._fill(self.emirates).filtered(lambda o: o.holiday_name == "Eid al-Fitr")
        self.assertEqual(eid_fitr.name, "Eid al-Fitr")
        self.assertEqual(eid_fitr.with_context(lang="ar_001").name, "عيد الفطر")
        occasions = self._fill(self.iran)
        nowruz = occasions.filtered(lambda o: o.holiday_name == "Nowruz")
        self.assertEqual(nowruz.with_context(lang="fa_IR").name, "جشن نوروز")
        mab_ath = occasions.filtered(lambda o: o.holiday_name == "Isra' and Mi'raj")
        self.assertEqual(
            mab_ath.with_context(lang="fa_IR").name,
            "مبعث رسول اکرم (ص)",
            "the '(estimated)' of the name is removed, not the parentheses of the name",
        )
        # a name corrected by hand is not overwritten by a refill
        nowruz.with_context(lang="fa_IR").name = "نوروز"
        self._fill(self.iran)
        self.assertEqual(nowruz.with_context(lang="fa_IR").name, "نوروز")

    def test_refill_is_idempotent_and_keeps_hand_edits(self):
        occasions = self._fill(self.saudi_arabia)
        eid_fitr = occasions.filtered(lambda o: o.holiday_name == "Eid al-Fitr")
        date_2027 = eid_fitr.date_ids.filtered(lambda d: d.year == 2027)
        # the authorities announced Eid a day later: the manager corrects it
        with Form(eid_fitr) as occasion_form, occasion_form.date_ids.edit(1) as line:
            line.date = D(2027, 3, 10)
        self.assertTrue(date_2027.is_manual)
        national_day = occasions.filtered(lambda o: o.holiday_name == "National Day")
        national_day.action_archive()
        all_dates = occasions.date_ids

        again = self._fill(self.saudi_arabia)
        self.assertEqual(again, occasions, "refilling never duplicates an occasion")
        self.assertEqual(again.date_ids, all_dates, "nor a date")
        self.assertEqual(date_2027.date, D(2027, 3, 10), "the hand edit stays")
        self.assertFalse(national_day.active, "an archived occasion stays archived")
        self.assertEqual(
            self.Occasion.with_context(active_test=False).search_count(
                [("country_id", "=", self.saudi_arabia.id), ("holiday_name", "=", "Eid al-Fitr")]
            ),
            1,
        )
        # a wider range adds the missing years only
        wider = self._fill(self.saudi_arabia, 2026, 2029)
        self.assertEqual(wider, occasions)
        self.assertEqual(eid_fitr.date_ids.mapped("year"), [2026, 2027, 2028, 2029])

    def test_refill_follows_library_changes(self):
        occasions = self._fill(self.saudi_arabia)
        eid_adha = occasions.filtered(lambda o: o.holiday_name == "Eid al-Adha")
        # an older library version said something else (written as the filler would)
        eid_adha.date_ids.filtered(lambda d: d.year == 2028).with_context(
            touch_plan_occasion_fill=True
        ).date = D(2028, 5, 4)
        self._fill(self.saudi_arabia)
        self.assertIn(D(2028, 5, 5), eid_adha.date_ids.mapped("date"))
        self.assertNotIn(D(2028, 5, 4), eid_adha.date_ids.mapped("date"))

    def test_fill_bad_input(self):
        atlantis = self.env["res.country"].create({"name": "Atlantis", "code": "ZZ"})
        with self.assertRaisesRegex(UserError, "no calendar for Atlantis"):
            self._fill(atlantis)
        with self.assertRaisesRegex(ValidationError, "comes before"):
            self._fill(self.iran, 2028, 2026)
        with self.assertRaisesRegex(ValidationError, "at most 10 years"):
            self._fill(self.iran, 2026, 2040)
        with self.assertRaisesRegex(ValidationError, "between 1950 and 2075"):
            self._fill(self.iran, 26, 28)

    def test_get_dates_set_based(self):
        occasions = self._fill(self.iran)
        per_year = occasions.filtered(lambda o: o.date_kind == "per_year")
        self.assertGreater(len(per_year), 5)
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # occasions, then all their dates
            one = per_year[:1]._get_dates(D(2026, 1, 1), D(2028, 12, 31))
        self.env.invalidate_all()
        with self.assertQueryCount(2):
            every = per_year._get_dates(D(2026, 1, 1), D(2028, 12, 31))
        self.assertEqual(one[per_year[0].id], every[per_year[0].id])
        self.assertEqual(set(every), set(per_year.ids))

    def test_hand_added_date_is_kept(self):
        occasion = self.Occasion.create({"name": "Teachers' Day", "date_kind": "per_year"})
        occasion.date_ids = [(0, 0, {"date": D(2027, 5, 2)})]
        self.assertTrue(occasion.date_ids.is_manual)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.cr.savepoint(),
        ):
            occasion.date_ids = [(0, 0, {"date": D(2027, 5, 2)})]

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_access(self):
        occasion = self.Occasion.create(
            {"name": "Flag Day", "date_kind": "fixed", "month": "3", "day": 11}
        )
        user = new_test_user(
            self.env, login="tp_occ_user", groups="touch_plan.touch_plan_group_user"
        )
        outsider = new_test_user(self.env, login="tp_occ_outsider", groups="base.group_user")
        self.assertEqual(occasion.with_user(user).name, "Flag Day")
        with self.assertRaises(AccessError):
            occasion.with_user(user).write({"day": 12})
        with self.assertRaises(AccessError):
            self.Occasion.with_user(outsider).search([])
        with self.assertRaises(AccessError):
            self.env["touch.plan.occasion.fill"].with_user(user).create(
                {"country_id": self.iran.id}
            )

    def test_multi_company(self):
        other_company = self.env["res.company"].create({"name": "Other Agency"})
        theirs = self.Occasion.create(
            {
                "name": "Their Day",
                "date_kind": "fixed",
                "month": "3",
                "day": 11,
                "company_id": other_company.id,
            }
        )
        shared = self.Occasion.create(
            {
                "name": "Shared Day",
                "date_kind": "fixed",
                "month": "3",
                "day": 12,
                "company_id": False,
            }
        )
        user = new_test_user(
            self.env,
            login="tp_occ_company_user",
            groups="touch_plan.touch_plan_group_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        visible = self.Occasion.with_user(user).search([("id", "in", (theirs | shared).ids)])
        self.assertEqual(visible, shared)
        theirs.date_kind = "per_year"
        theirs.date_ids = [(0, 0, {"date": D(2027, 3, 11)})]
        OccasionDate = self.env["touch.plan.occasion.date"].with_user(user)
        self.assertFalse(OccasionDate.search([("occasion_id", "=", theirs.id)]))
