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
        "views/touch_plan_views.xml",
        "data/touch_plan_key_date_type_data.xml",
        "data/touch_plan_key_date_data.xml",
        "wizard/touch_plan_occasion_fill_views.xml",
        "views/touch_plan_occasion_views.xml",
        "views/touch_plan_key_date_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/touch_plan_menus.xml",
    ],
    "demo": [
        "demo/touch_plan_occasion_demo.xml",
        "demo/touch_plan_key_date_demo.xml",
    ],
    "application": True,
    "installable": True,
}
