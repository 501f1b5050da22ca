# Copyright 2026 Relationship Selling contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Lead Tracking",
    "summary": "Where leads and customers come from: first-touch attribution, "
    "referrals, speed to lead, cost per customer and conversion",
    "version": "18.0.1.1.0",
    "category": "Sales/CRM",
    "author": "Relationship Selling contributors",
    "maintainers": ["relationship-selling"],
    "development_status": "Alpha",
    "license": "LGPL-3",
    "depends": ["crm", "touch_plan"],
    "external_dependencies": {"python": ["phonenumbers", "xlsxwriter"]},
    "data": [
        "security/lead_tracking_security.xml",
        "security/ir.model.access.csv",
        "data/utm_source_data.xml",
        "data/mail_activity_type_data.xml",
        "data/ir_cron_data.xml",
        "data/touch_plan_nurture_data.xml",
        "views/utm_source_views.xml",
        "views/lead_tracking_source_rule_views.xml",
        "views/lead_tracking_spend_views.xml",
        "views/crm_lead_views.xml",
        "views/crm_team_views.xml",
        "views/res_partner_views.xml",
        "views/mail_activity_type_views.xml",
        "report/lead_tracking_funnel_report_views.xml",
        "report/lead_tracking_cost_report_views.xml",
        "wizard/lead_tracking_report_export_views.xml",
        "wizard/lead_tracking_duplicate_wizard_views.xml",
        "views/lead_tracking_menus.xml",
    ],
    "demo": ["demo/lead_tracking_demo.xml"],
    "assets": {
        "web.assets_tests": [
            "lead_tracking/static/tests/tours/**/*",
        ],
    },
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
