import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from .common_sms import TouchPlanSmsCase


@tagged("post_install", "-at_install")
@freeze_time("2027-06-01 10:00:00")
class TestChannelRule(TouchPlanSmsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rule = cls.env["touch.plan.channel.rule"]
        Rule.search([]).action_archive()  # demo rules, if any
        cls.young = Rule.create(
            {"name": "Under 30: SMS", "sequence": 10, "max_age": 30, "channel": "sms"}
        )
        cls.senior = Rule.create(
            {"name": "65 and over: phone", "sequence": 20, "min_age": 65, "channel": "phone"}
        )
        cls.birthday = cls.env.ref("touch_plan.key_date_type_birthday")

    def _born(self, name, day, **values):
        partner = self._create_mobile_client(name, **values)
        if day:
            self.env["touch.plan.key.date"].create(
                {"partner_id": partner.id, "type_id": self.birthday.id, "date": day}
            )
        return partner

    def test_rules_by_age(self):
        young = self._born("Young", datetime.date(1997, 6, 2))  # 29, 30 tomorrow
        thirty = self._born("Thirty", datetime.date(1997, 6, 1))  # 30 today
        middle = self._born("Middle", datetime.date(1980, 1, 1))
        senior = self._born("Senior", datetime.date(1962, 6, 1))  # 65 today
        unknown = self._born("Unknown", False)
        partners = young | thirty | middle | senior | unknown
        self.env["touch.plan.channel.rule"]._apply_rules(partners)
        self.assertEqual(
            partners.mapped("touch_plan_preferred_channel"), ["sms", False, False, "phone", False]
        )
        self.assertEqual(young.touch_plan_channel_rule_id, self.young)
        self.assertEqual(senior.touch_plan_channel_rule_id, self.senior)
        self.assertEqual(self.young.partner_count, 1)
        # a day later the young client is 30: the rule that set it no longer holds
        with freeze_time("2027-06-02"):
            self.env["touch.plan.channel.rule"]._cron_apply_rules()
        self.assertFalse(young.touch_plan_preferred_channel)
        self.assertFalse(young.touch_plan_channel_rule_id)

    def test_value_set_by_hand_is_kept(self):
        young = self._born("Hand Set", datetime.date(2001, 1, 1))
        with Form(young) as form:
            form.touch_plan_preferred_channel = "post"
        self.assertFalse(young.touch_plan_channel_rule_id, "set by hand")
        self.young.action_apply_rules()
        self.assertEqual(young.touch_plan_preferred_channel, "post")
        # a value a rule set, changed by hand, is the user's from then on
        other = self._born("Rule Then Hand", datetime.date(2002, 2, 2))
        self.young.action_apply_rules()
        self.assertEqual(other.touch_plan_channel_rule_id, self.young)
        other.touch_plan_preferred_channel = "email"
        self.assertFalse(other.touch_plan_channel_rule_id)
        self.young.action_apply_rules()
        self.assertEqual(other.touch_plan_preferred_channel, "email")

    def test_deleted_or_archived_rule_lets_the_others_decide(self):
        young = self._born("Young Client", datetime.date(2001, 1, 1))
        self.env["touch.plan.channel.rule"]._apply_rules(young)
        self.assertEqual(young.touch_plan_channel_rule_id, self.young)
        self.young.copy({"name": "Under 30: email", "sequence": 15, "channel": "email"})
        self.young.unlink()
        self.assertEqual(young.touch_plan_preferred_channel, "email")
        self.assertTrue(young.touch_plan_channel_rule_id, "still set by a rule, not by hand")
        young.touch_plan_channel_rule_id.action_archive()
        self.env["touch.plan.channel.rule"]._cron_apply_rules()
        self.assertFalse(young.touch_plan_preferred_channel)

    def test_rule_with_partner_filter(self):
        self.young.partner_domain = "[('city', '=', 'Antwerp')]"
        antwerp = self._born("Antwerp", datetime.date(2001, 1, 1), city="Antwerp")
        ghent = self._born("Ghent", datetime.date(2001, 1, 1), city="Ghent")
        self.env["touch.plan.channel.rule"]._apply_rules(antwerp | ghent)
        self.assertEqual(antwerp.touch_plan_preferred_channel, "sms")
        self.assertFalse(ghent.touch_plan_preferred_channel)

    def test_bad_values_are_refused(self):
        with self.assertRaises(ValidationError):
            self.young.write({"min_age": 40})
        with self.assertRaises(ValidationError):
            self.young.partner_domain = "[('no_such_field', '=', 1)]"

    def test_preferred_channel_step(self):
        news = self.env["touch.plan"].create(
            {
                "name": "News by preference",
                "kind": "custom",
                "yearly_target": 12,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "News",
                            "kind": "newsletter",
                            "timing": "monthly",
                            "count": 12,
                            "day_of_month": 15,
                            "channel": "preferred",
                            "preferred_default_channel": "email",
                            "mail_template_id": self.env.ref(
                                "touch_plan.mail_template_touch_newsletter"
                            ).id,
                            "sms_template_id": self.sms_template.id,
                        },
                    )
                ],
            }
        )
        young = self._born("Texter", datetime.date(2001, 1, 1))
        nobody = self._born("No Preference", False)
        # planning applies the rules first
        (young | nobody)._touch_plan_enroll(news)
        self.assertEqual(young.touch_plan_preferred_channel, "sms")
        young_touches = young.touch_ids
        self.assertEqual(set(young_touches.mapped("channel")), {"sms"})
        self.assertEqual(set(nobody.touch_ids.mapped("channel")), {"email"})
        # the preference changes: planned touches follow, done ones stay
        done = young_touches[0]
        with self.mock_sms_gateway():
            done._process_due()
        self.assertEqual(done.state, "done")
        young.touch_plan_preferred_channel = "phone"
        self.assertEqual(done.channel, "sms")
        self.assertEqual(set((young_touches - done).mapped("channel")), {"call"})
