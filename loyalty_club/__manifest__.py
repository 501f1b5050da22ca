# Copyright 2026 Relationship Selling contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Loyalty Club",
    "summary": "A customer club on Odoo loyalty programs: tiers with periodic "
    "reviews, expiring points, customer value scores and a member portal",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "author": "Relationship Selling contributors",
    "maintainers": ["relationship-selling"],
    "development_status": "Alpha",
    "license": "LGPL-3",
    "depends": ["sale_loyalty", "touch_plan"],
    "external_dependencies": {"python": ["xlsxwriter"]},
    "data": [
        "security/loyalty_club_security.xml",
        "security/ir.model.access.csv",
        "views/loyalty_club_tier_views.xml",
        "views/loyalty_program_views.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/loyalty_card_views.xml",
        "views/loyalty_history_views.xml",
        "views/loyalty_club_tier_history_views.xml",
        "views/loyalty_club_review_views.xml",
        "views/portal_templates.xml",
        "report/loyalty_club_card_report.xml",
        "views/loyalty_club_menus.xml",
    ],
    "demo": ["demo/loyalty_club_demo.xml"],
    "application": True,
    "installable": True,
}
