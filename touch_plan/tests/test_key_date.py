import datetime

import psycopg2
from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

D = datetime.date


@tagged("post_install", "-at_install")
class TestKeyDate(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.touch_plan_feb29_policy = "feb28"
        cls.KeyDate = cls.env["touch.plan.key.date"]
        cls.birthday = cls.env.ref("touch_plan.key_date_type_birthday")
        cls.purchase = cls.env.ref("touch_plan.key_date_type_purchase_anniversary")
        cls.passport = cls.env.ref("touch_plan.key_date_type_passport_expiry")
        cls.contract = cls.env.ref("touch_plan.key_date_type_contract_expiry")
        cls.leap_client = cls.env["res.partner"].create({"name": "Leap Client"})
        cls.traveller = cls.env["res.partner"].create({"name": "Traveller"})
        cls.leap_birthday = cls.KeyDate.create(
            {"partner_id": cls.leap_client.id, "type_id": cls.birthday.id, "date": "1988-02-29"}
        )
        cls.passport_expiry = cls.KeyDate.create(
            {"partner_id": cls.traveller.id, "type_id": cls.passport.id, "date": "2027-06-30"}
        )

    def _occurrences(self, partners, types, date_from, date_to):
        return self.KeyDate._get_occurrences(partners, types, date_from, date_to)

    # ------------------------------------------------------------------
    # Occurrences
    # ------------------------------------------------------------------

    def test_feb29_birthday_lands_on_feb28_in_2027(self):
        result = self._occurrences(self.leap_client, self.birthday, D(2027, 1, 1), D(2027, 12, 31))
        self.assertEqual(result, {self.leap_client.id: [(self.birthday.id, D(2027, 2, 28))]})
        result = self._occurrences(self.leap_client, self.birthday, D(2028, 1, 1), D(2028, 12, 31))
        self.assertEqual(result[self.leap_client.id], [(self.birthday.id, D(2028, 2, 29))])

    def test_feb29_birthday_on_mar1_with_the_setting(self):
        # the administrator chooses March 1 in the settings
        settings = Form(self.env["res.config.settings"])
        self.assertEqual(settings.touch_plan_feb29_policy, "feb28")
        settings.touch_plan_feb29_policy = "mar1"
        settings.save().execute()
        self.assertEqual(self.company.touch_plan_feb29_policy, "mar1")
        result = self._occurrences(self.leap_client, self.birthday, D(2027, 1, 1), D(2027, 12, 31))
        self.assertEqual(result[self.leap_client.id], [(self.birthday.id, D(2027, 3, 1))])
        result = self._occurrences(self.leap_client, self.birthday, D(2028, 1, 1), D(2028, 12, 31))
        self.assertEqual(result[self.leap_client.id], [(self.birthday.id, D(2028, 2, 29))])

    def test_next_date_follows_the_setting_without_company(self):
        """A contact without a company: its Feb 29 next date follows a change of the setting."""
        self.assertFalse(self.leap_client.company_id)
        with freeze_time("2026-12-01"):
            self.leap_birthday.invalidate_recordset(["next_date"])
            self.env.add_to_compute(self.KeyDate._fields["next_date"], self.leap_birthday)
            self.leap_birthday._recompute_recordset(["next_date"])
            self.assertEqual(self.leap_birthday.next_date, D(2027, 2, 28))
            settings = Form(self.env["res.config.settings"])
            settings.touch_plan_feb29_policy = "mar1"
            settings.save().execute()
            self.assertEqual(self.leap_birthday.next_date, D(2027, 3, 1))

    def test_policy_of_the_partners_company(self):
        other_company = self.env["res.company"].create(
            {"name": "Leap Agency", "touch_plan_feb29_policy": "mar1"}
        )
        their_client = self.env["res.partner"].create(
            {"name": "Their Client", "company_id": other_company.id}
        )
        self.KeyDate.create(
            {"partner_id": their_client.id, "type_id": self.birthday.id, "date": "2000-02-29"}
        )
        result = self._occurrences(
            self.leap_client | their_client, self.birthday, D(2027, 1, 1), D(2027, 12, 31)
        )
        self.assertEqual(result[self.leap_client.id], [(self.birthday.id, D(2027, 2, 28))])
        self.assertEqual(result[their_client.id], [(self.birthday.id, D(2027, 3, 1))])

    def test_passport_expiry_occurs_once(self):
        # M1: the travel agency's reminder 90 days ahead is the plan's offset
        result = self._occurrences(self.traveller, self.passport, D(2026, 1, 1), D(2030, 12, 31))
        self.assertEqual(result, {self.traveller.id: [(self.passport.id, D(2027, 6, 30))]})
        result = self._occurrences(self.traveller, self.passport, D(2028, 1, 1), D(2030, 12, 31))
        self.assertEqual(result, {self.traveller.id: []})

    def test_yearly_dates_recur_after_their_date_only(self):
        self.KeyDate.create(
            {"partner_id": self.traveller.id, "type_id": self.purchase.id, "date": "2026-05-10"}
        )
        result = self._occurrences(self.traveller, self.purchase, D(2025, 1, 1), D(2028, 12, 31))
        self.assertEqual(
            result[self.traveller.id],
            [(self.purchase.id, D(2027, 5, 10)), (self.purchase.id, D(2028, 5, 10))],
        )

    def test_every_type_and_sorted(self):
        self.KeyDate.create(
            {"partner_id": self.traveller.id, "type_id": self.birthday.id, "date": "1970-12-01"}
        )
        result = self._occurrences(
            self.traveller | self.leap_client,
            self.KeyDate.type_id.browse(),
            D(2027, 1, 1),
            D(2027, 12, 31),
        )
        self.assertEqual(
            result,
            {
                self.traveller.id: [
                    (self.passport.id, D(2027, 6, 30)),
                    (self.birthday.id, D(2027, 12, 1)),
                ],
                self.leap_client.id: [(self.birthday.id, D(2027, 2, 28))],
            },
        )

    def test_occurrences_query_count_does_not_grow(self):
        partners = self.env["res.partner"].create([{"name": f"Client {i}"} for i in range(30)])
        self.KeyDate.create(
            [
                {
                    "partner_id": partner.id,
                    "type_id": self.birthday.id,
                    "date": f"19{50 + i}-03-{i + 1:02d}",
                }
                for i, partner in enumerate(partners)
            ]
        )
        self.env.invalidate_all()
        with self.assertQueryCount(3):
            small = self._occurrences(partners[:1], self.birthday, D(2027, 1, 1), D(2027, 12, 31))
        self.env.invalidate_all()
        with self.assertQueryCount(3):
            big = self._occurrences(partners, self.birthday, D(2027, 1, 1), D(2027, 12, 31))
        self.assertEqual(small[partners[0].id], big[partners[0].id])
        self.assertEqual(len([day for days in big.values() for day in days]), 30)

    @freeze_time("2027-01-15")
    def test_next_date(self):
        self.leap_birthday._compute_next_date()
        self.assertEqual(self.leap_birthday.next_date, D(2027, 2, 28))
        with freeze_time("2027-07-01"):
            self.KeyDate._cron_update_next_date()
            self.assertEqual(self.leap_birthday.next_date, D(2028, 2, 29))
            self.assertFalse(self.passport_expiry.next_date, "a passed expiry does not come back")

    def test_cron_moves_passed_dates_in_batches(self):
        partners = self.env["res.partner"].create([{"name": f"Client {i}"} for i in range(5)])
        with freeze_time("2027-01-01"):
            key_dates = self.KeyDate.create(
                [
                    {
                        "partner_id": partner.id,
                        "type_id": self.birthday.id,
                        "date": f"1980-01-0{i + 2}",
                    }
                    for i, partner in enumerate(partners)
                ]
            )
            # computed (at flush) on the frozen day, not on the machine's
            self.assertEqual(key_dates[0].next_date, D(2027, 1, 2))
        with freeze_time("2027-02-01"):
            self.KeyDate._cron_update_next_date(batch_size=2)
        self.assertEqual(key_dates.mapped("next_date"), [D(2028, 1, day) for day in range(2, 7)])

    # ------------------------------------------------------------------
    # Bad input
    # ------------------------------------------------------------------

    def test_one_birthday_per_partner(self):
        with self.assertRaisesRegex(ValidationError, "Leap Client already has a Birthday date"):
            self.KeyDate.create(
                {
                    "partner_id": self.leap_client.id,
                    "type_id": self.birthday.id,
                    "date": "1988-03-01",
                }
            )
        # several passports are fine
        self.KeyDate.create(
            {"partner_id": self.traveller.id, "type_id": self.passport.id, "date": "2031-01-31"}
        )
        self.assertEqual(len(self.traveller.key_date_ids), 2)

    def test_key_date_text_without_year(self):
        for text in ("14/03", "--03-14", "3-14", " 14.03 "):
            with self.assertRaisesRegex(ValidationError, "has no year"):
                self.KeyDate._parse_date_text(text)
        with self.assertRaisesRegex(ValidationError, "1980-02-30 is not a date that exists"):
            self.KeyDate._parse_date_text("1980-02-30")
        self.assertEqual(self.KeyDate._parse_date_text("1980-03-14"), D(1980, 3, 14))
        self.assertEqual(self.KeyDate._parse_date_text("03/14/1980"), D(1980, 3, 14))
        self.assertFalse(self.KeyDate._parse_date_text("  "))

    def test_import_reports_the_yearless_row(self):
        fields = ["partner_id/.id", "type_id/id", "date"]
        rows = [
            [str(self.traveller.id), "touch_plan.key_date_type_birthday", "1975-08-21"],
            [str(self.leap_client.id), "touch_plan.key_date_type_wedding_anniversary", "--06-12"],
            [str(self.traveller.id), "touch_plan.key_date_type_contract_expiry", "2029-01-31"],
        ]
        # plain load: the bad row is named, nothing half-imported
        with mute_logger("odoo.sql_db"):
            result = self.KeyDate.load(fields, rows)
        self.assertFalse(result["ids"])
        errors = [message for message in result["messages"] if message["type"] == "error"]
        self.assertTrue(
            any(
                "The key date --06-12 has no year" in message["message"]
                and message["rows"] == {"from": 1, "to": 1}
                for message in errors
            ),
            errors,
        )
        self.assertEqual({message["rows"]["from"] for message in errors}, {1})
        # the import dialog's "skip the records with this error": the good rows land
        result = self.KeyDate.with_context(import_file=True, import_skip_records=["date"]).load(
            fields, rows
        )
        self.assertEqual(len(result["ids"]), 2)
        warnings = [message for message in result["messages"] if message["type"] == "warning"]
        self.assertEqual(len(warnings), 1)
        self.assertIn("--06-12 has no year", warnings[0]["message"])
        self.assertEqual(warnings[0]["rows"], {"from": 1, "to": 1})
        imported = self.KeyDate.browse(result["ids"])
        self.assertEqual(imported.mapped("date"), [D(1975, 8, 21), D(2029, 1, 31)])

    def test_import_contacts_with_their_birthdays(self):
        """The contact import is where key dates are typed as text."""
        fields = ["name", "key_date_ids/type_id/id", "key_date_ids/date"]
        rows = [
            ["Amira", "touch_plan.key_date_type_birthday", "1990-04-02"],
            ["Dariush", "touch_plan.key_date_type_birthday", "21/03"],
        ]
        with mute_logger("odoo.sql_db"):
            result = self.env["res.partner"].load(fields, rows)
        self.assertFalse(result["ids"])
        self.assertTrue(
            any(
                "The key date 21/03 has no year" in message["message"]
                and message["rows"] == {"from": 1, "to": 1}
                for message in result["messages"]
            ),
            result["messages"],
        )
        result = self.env["res.partner"].load(fields, rows[:1])
        amira = self.env["res.partner"].browse(result["ids"])
        self.assertEqual(amira.key_date_ids.date, D(1990, 4, 2))

    def test_type_cannot_become_yearly_with_duplicates(self):
        self.KeyDate.create(
            {"partner_id": self.traveller.id, "type_id": self.passport.id, "date": "2031-01-31"}
        )
        with self.assertRaisesRegex(ValidationError, "Passport Expiry cannot become yearly"):
            self.passport.yearly = True
        self.contract.yearly = True  # nobody has two contracts

    def test_feb29_policy_window_edges(self):
        self.company.touch_plan_feb29_policy = "mar1"
        result = self._occurrences(self.leap_client, self.birthday, D(2027, 1, 1), D(2027, 2, 28))
        self.assertEqual(result[self.leap_client.id], [])
        result = self._occurrences(self.leap_client, self.birthday, D(2027, 3, 1), D(2027, 3, 1))
        self.assertEqual(result[self.leap_client.id], [(self.birthday.id, D(2027, 3, 1))])
        self.assertEqual(
            self._occurrences(self.leap_client, self.birthday, D(2027, 3, 2), D(2027, 3, 1)),
            {self.leap_client.id: []},
            "an empty window has no dates",
        )

    def test_multi_company(self):
        other_company = self.env["res.company"].create({"name": "Other Agency"})
        their_client = self.env["res.partner"].create(
            {"name": "Their Client", "company_id": other_company.id}
        )
        theirs = self.KeyDate.create(
            {"partner_id": their_client.id, "type_id": self.birthday.id, "date": "1979-10-10"}
        )
        self.assertEqual(theirs.company_id, other_company)
        user = new_test_user(
            self.env,
            login="tp_kd_company_user",
            groups="touch_plan.touch_plan_group_user",
            company_id=self.company.id,
            company_ids=[(6, 0, self.company.ids)],
        )
        visible = self.KeyDate.with_user(user).search(
            [("id", "in", (theirs | self.leap_birthday).ids)]
        )
        self.assertEqual(visible, self.leap_birthday)

    def test_unique_type_code(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.cr.savepoint(),
        ):
            self.env["touch.plan.key.date.type"].create({"name": "Birth Day", "code": "birthday"})

    # ------------------------------------------------------------------
    # Access
    # ------------------------------------------------------------------

    def test_access(self):
        user = new_test_user(
            self.env, login="tp_kd_user", groups="touch_plan.touch_plan_group_user"
        )
        outsider = new_test_user(self.env, login="tp_kd_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.KeyDate.with_user(outsider).search([])
        with self.assertRaises(AccessError):
            self.leap_birthday.with_user(outsider).read(["date"])
        # a user keeps the key dates of clients, from the Key Dates menu
        wedding = self.env.ref("touch_plan.key_date_type_wedding_anniversary")
        with Form(self.KeyDate.with_user(user)) as key_date_form:
            key_date_form.partner_id = self.leap_client
            key_date_form.type_id = wedding
            key_date_form.date = D(2015, 6, 12)
        # or on the contact's Key Dates tab when they may edit contacts
        user.groups_id += self.env.ref("base.group_partner_manager")
        with (
            Form(self.traveller.with_user(user)) as partner_form,
            partner_form.key_date_ids.new() as line,
        ):
            line.type_id = wedding
            line.date = D(2016, 7, 2)
        self.assertEqual(self.leap_client.key_date_ids.type_id, self.birthday | wedding)
        self.assertEqual(self.traveller.key_date_ids.type_id, self.passport | wedding)
        # but not the types
        with self.assertRaises(AccessError):
            wedding.with_user(user).write({"yearly": False})
        self.assertIn("key_date_ids", self.env["res.partner"].with_user(user).fields_get())
        self.assertNotIn("key_date_ids", self.env["res.partner"].with_user(outsider).fields_get())
