# Copyright 2026 Relationship Selling contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Touch Plan",
    "summary": "The 33 touches a year system: yearly contact plans that turn "
    "into reps' activities and emails sent on the right dates",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "author": "Relationship Selling contributors",
    "maintainers": ["relationship-selling"],
    "development_status": "Alpha",
    "license": "LGPL-3",
    "depends": ["mail", "calendar", "contacts", "resource"],
    "external_dependencies": {
        "python": ["holidays", "hijridate", "python-dateutil", "xlsxwriter"],
    },
    "data": [
        "security/touch_plan_security.xml",
        "security/ir.model.access.csv",
        "data/touch_plan_key_date_type_data.xml",
        "data/touch_plan_key_date_data.xml",
        "data/mail_activity_type_data.xml",
        "data/mail_template_data.xml",
        "data/touch_plan_data.xml",
        "data/ir_cron_data.xml",
        "views/touch_plan_views.xml",
        "views/touch_plan_touch_views.xml",
        "views/touch_plan_enrollment_views.xml",
        "views/res_partner_touch_plan_views.xml",
        "views/mail_activity_views.xml",
        "wizard/touch_plan_enroll_wizard_views.xml",
        "wizard/touch_plan_occasion_fill_views.xml",
        "views/touch_plan_occasion_views.xml",
        "views/touch_plan_key_date_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/touch_plan_menus.xml",
    ],
    "demo": [
        "demo/touch_plan_demo.xml",
    ],
    "application": True,
    "installable": True,
}
