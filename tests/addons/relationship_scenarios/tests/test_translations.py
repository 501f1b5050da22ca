"""Arabic and Persian: every term of the three addons translated, right to left.

The ``.po`` files are read as shipped (no entry left empty, placeholders and
markup kept), then loaded into the database the way Odoo does when a user
activates a language, and what users see is checked: field labels, selection
values, model names, the shipped plans, the mail templates, a form view of
the web client and the member's portal page.
"""

import re
from pathlib import Path

import polib

from odoo.modules.module import get_module_path
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.loyalty_club.tests.common_club import ClubCommon

ADDONS = ("touch_plan", "lead_tracking", "loyalty_club", "loyalty_club_pos")
# language code in Odoo -> po file name
LANGS = {"ar_001": "ar", "fa_IR": "fa"}
# what must come out unchanged of a translation: printf placeholders, inline
# templates, QWeb directives and the elements of markup (a translated mail body
# may add dir="rtl" or mirror a style, never drop an element or an expression)
PLACEHOLDER = re.compile(
    r'%\([^)]+\)[sdfr]|%[sdfr]|\{\{.*?\}\}|\bt-[\w-]+="[^"]*"|</?[a-zA-Z][\w-]*'
)

# key terms, as users read them (the domain words first)
EXPECTED = {
    "ar_001": {
        "touch_model": "لمسة تواصل",
        "newsletter": "نشرة إخبارية",
        "holiday_card": "بطاقة تهنئة بالعيد",
        "plan_lifetime": "33 لمسة تواصل: عملاء مدى الحياة",
        "plan_advocate": "33 لمسة تواصل: المناصرون",
        "followup_subject": "سعدنا بالحديث معك، {{ object.name }}",
        "tier_model": "مستوى النادي",
        "referral_channel": "إحالة",
        "form_page": "الخطوات",
        "form_field": "لمسات التواصل لكل عام",
        "portal": "لست عضوًا في نادي العملاء بعد.",
        "portal_history": "سجل النقاط",
        "referral_ask": "هل تعرف شخصًا قد يحتاج إلى مساعدتنا؟",
        "tier_history": "سجل المستويات",
        "moved_to": "انتقل إلى",
        "downgrade_subject": "أصبح مستواك في النادي الآن {}",
        "no_tier": "لم تعد عضويتك في",
    },
    "fa_IR": {
        "touch_model": "نقطه تماس",
        "newsletter": "خبرنامه",
        "holiday_card": "کارت تبریک مناسبت",
        "plan_lifetime": "۳۳ تماس: مشتریان همیشگی",
        "plan_advocate": "۳۳ تماس: حامیان",
        "followup_subject": "از گفت‌وگو با شما خوشحال شدیم، {{ object.name }}",
        "tier_model": "سطح باشگاه",
        "referral_channel": "معرفی",
        "form_page": "مراحل",
        "form_field": "تماس در هر سال",
        "portal": "شما هنوز عضو باشگاه مشتریان نیستید.",
        "portal_history": "تاریخچه امتیاز",
        "referral_ask": "کسی را می\u200cشناسید که به کمک ما نیاز داشته باشد؟",
        "tier_history": "تاریخچه سطح",
        "moved_to": "منتقل شد به",
        "downgrade_subject": "سطح باشگاه شما اکنون {} است",
        "no_tier": "دیگر سطحی ندارد",
    },
}


def _po_path(addon, lang):
    return Path(get_module_path(addon)) / "i18n" / f"{lang}.po"


@tagged("post_install", "-at_install")
class TestTranslationFiles(HttpCase):
    def test_every_term_translated_markup_kept(self):
        for addon in ADDONS:
            template = polib.pofile(str(Path(get_module_path(addon)) / "i18n" / f"{addon}.pot"))
            expected_ids = {entry.msgid for entry in template}
            self.assertTrue(expected_ids, f"{addon}.pot is empty")
            for lang in LANGS.values():
                with self.subTest(addon=addon, lang=lang):
                    catalog = polib.pofile(str(_po_path(addon, lang)))
                    self.assertEqual(catalog.metadata.get("Language"), lang)
                    missing = expected_ids - {entry.msgid for entry in catalog}
                    self.assertFalse(missing, f"{addon}/{lang}.po misses terms of the .pot")
                    for entry in catalog:
                        self.assertTrue(entry.msgstr.strip(), f"{addon}/{lang}.po: {entry.msgid!r}")
                        self.assertNotIn("fuzzy", entry.flags, entry.msgid)
                        self.assertEqual(
                            sorted(PLACEHOLDER.findall(entry.msgid)),
                            sorted(PLACEHOLDER.findall(entry.msgstr)),
                            f"{addon}/{lang}.po changes the placeholders of {entry.msgid!r}",
                        )


@tagged("post_install", "-at_install")
class TestTranslationsLoaded(ClubCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in LANGS:
            cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(list(ADDONS), list(LANGS), overwrite=True)
        cls._setup_club()

    def test_direction_right_to_left(self):
        for code in LANGS:
            self.assertEqual(self.env["res.lang"]._lang_get(code).direction, "rtl")

    def test_rtl_stylesheet_mirrored(self):
        """Arabic pages are laid out right to left: the web client and the portal
        link stylesheets mirrored by rtlcss (without it Odoo serves left-to-right
        ones under the right-to-left name)."""
        user = new_test_user(self.env, login="rtl_user", groups="base.group_user")
        user.lang = "ar_001"
        portal = new_test_user(self.env, login="rtl_portal", groups="base.group_portal")
        portal.lang = "ar_001"
        for login, url, bundle in (
            ("rtl_user", "/odoo", "web.assets_web"),
            ("rtl_portal", "/my", "web.assets_frontend"),
        ):
            with self.subTest(url=url):
                self.authenticate(login, login)
                # the first request builds the bundles: slow on a loaded machine
                page = self.url_open(url, timeout=180).text
                links = re.findall(r'href="(/web/assets/[^"]*/%s\.rtl\.min\.css)"' % bundle, page)
                self.assertTrue(links, f"{url} links no right-to-left {bundle} stylesheet")
                css = self.url_open(links[0], timeout=180).text
                # Bootstrap's "margin start": margin-left left to right, margin-right here
                rule = re.search(r"\.ms-auto\s*\{([^}]*)\}", css)
                self.assertTrue(rule, "no .ms-auto rule in the right-to-left stylesheet")
                self.assertIn("margin-right:auto", rule[1].replace(" ", ""))
                self.assertNotIn("margin-left", rule[1])
        # the portal marks the page right to left for the member's language
        self.authenticate("rtl_portal", "rtl_portal")
        self.assertRegex(self.url_open("/my").text, r'id="wrapwrap"[^>]*class="[^"]*\bo_rtl\b')

    def test_key_terms_translated(self):
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                env = self.env(context=dict(self.env.context, lang=code))
                IrModel = env["ir.model"]
                self.assertEqual(IrModel._get("touch.plan.touch").name, expected["touch_model"])
                self.assertEqual(IrModel._get("loyalty.club.tier").name, expected["tier_model"])
                kinds = dict(env["touch.plan.touch"].fields_get(["kind"])["kind"]["selection"])
                self.assertEqual(kinds["newsletter"], expected["newsletter"])
                self.assertEqual(kinds["holiday_card"], expected["holiday_card"])
                channels = dict(env["utm.source"].fields_get(["channel"])["channel"]["selection"])
                self.assertEqual(channels["referral"], expected["referral_channel"])
                self.assertEqual(
                    env.ref("touch_plan.touch_plan_lifetime").name, expected["plan_lifetime"]
                )
                self.assertEqual(
                    env.ref("touch_plan.touch_plan_advocate").name, expected["plan_advocate"]
                )
                template = env.ref("touch_plan.mail_template_touch_followup")
                self.assertEqual(template.subject, expected["followup_subject"])

    def test_mail_template_rendered_in_client_language(self):
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                partner = self.env["res.partner"].create(
                    {"name": "Layla Client", "email": "layla@example.com", "lang": code}
                )
                template = self.env.ref("touch_plan.mail_template_touch_followup")
                values = template._generate_template(partner.ids, ("subject", "body_html"))
                rendered = values[partner.id]
                self.assertEqual(
                    rendered["subject"],
                    expected["followup_subject"].replace("{{ object.name }}", "Layla Client"),
                )
                self.assertIn("Layla Client", rendered["body_html"])
                self.assertIn('dir="rtl"', rendered["body_html"])
                self.assertIn(expected["referral_ask"], rendered["body_html"])
                self.assertNotIn("Know someone who could use our help?", rendered["body_html"])

    def test_form_view_label_translated(self):
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                result = self.env["touch.plan"].with_context(lang=code).get_views([(False, "form")])
                arch = result["views"]["form"]["arch"]
                page = expected["form_page"]
                self.assertIn(f'string="{page}"', arch)
                self.assertIn(expected["plan_lifetime"], arch)  # the name's placeholder
                self.assertNotIn('string="Steps"', arch)
                fields = result["models"]["touch.plan"]["fields"]
                self.assertEqual(fields["yearly_target"]["string"], expected["form_field"])

    def test_portal_page_right_to_left(self):
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                login = f"club_rtl_{code.lower()}"
                user = new_test_user(self.env, login=login, groups="base.group_portal")
                user.partner_id.lang = code
                url_code = self.env["res.lang"]._get_data(code=code).url_code
                self.authenticate(login, login)
                response = self.url_open(f"/{url_code}/my/club")
                self.assertEqual(response.status_code, 200)
                page = response.text
                start = page.find("o_portal_wrap")
                self.assertIn(expected["portal"], page, page[start : start + 1500])
                self.assertRegex(page, r'id="wrapwrap"[^>]*class="[^"]*\bo_rtl\b')
                self._make_member(user.partner_id, tier=self.gold)
                page = self.url_open(f"/{url_code}/my/club").text
                self.assertRegex(page, r'id="wrapwrap"[^>]*class="[^"]*\bo_rtl\b')
                self.assertIn(expected["portal_history"], page)
                self.assertNotIn("Points history", page)
                # the tier history arrow turns with the page: an icon flipped under
                # .o_rtl, tier names isolated, no hard-coded left-to-right arrow
                self.assertIn(expected["tier_history"], page)
                self.assertRegex(
                    page,
                    r'<bdi>[^<]*</bdi>\s*<i class="fa fa-long-arrow-right[^"]*"[^>]*'
                    + 'aria-label="%s"' % re.escape(expected["moved_to"]),
                )
                self.assertNotIn("→", page)

    def test_downgrade_mail_in_member_language(self):
        """The downgrade mail speaks the member's language, tier name included,
        and has no English fallback when the member leaves the tiers."""
        names = {"ar_001": "ذهبي", "fa_IR": "طلایی"}
        template = self.env.ref("loyalty_club.mail_template_club_downgrade")
        for code, expected in EXPECTED.items():
            with self.subTest(lang=code):
                self.gold.with_context(lang=code).name = names[code]
                partner = self.env["res.partner"].create(
                    {"name": "Omid Member", "email": "omid@example.com", "lang": code}
                )
                card = self._make_member(partner, tier=self.gold)
                rendered = template._generate_template(card.ids, ("subject", "body_html"))
                self.assertEqual(
                    rendered[card.id]["subject"], expected["downgrade_subject"].format(names[code])
                )
                self.assertIn(names[code], rendered[card.id]["body_html"])
                self.assertNotIn("Gold", rendered[card.id]["subject"])
                # below the lowest tier: no tier name, and nothing left in English
                card.with_context(loyalty_club_tier_write=True).club_tier_id = False
                rendered = template._generate_template(card.ids, ("subject", "body_html"))
                self.assertEqual(
                    rendered[card.id]["subject"], expected["downgrade_subject"].format("-")
                )
                self.assertNotIn("basic", rendered[card.id]["subject"])
                self.assertIn(expected["no_tier"], rendered[card.id]["body_html"])
                self.assertNotIn("is now at tier", rendered[card.id]["body_html"])
