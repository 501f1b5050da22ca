# Copyright 2026 Relationship Selling contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Loyalty Club at the Point of Sale",
    "summary": "The customer club at the till: Point of Sale orders earn with tier "
    "multipliers, spend and refund through the club's points ledger",
    "version": "18.0.1.0.0",
    "category": "Sales/Point of Sale",
    "author": "Relationship Selling contributors",
    "maintainers": ["relationship-selling"],
    "development_status": "Alpha",
    "license": "LGPL-3",
    "depends": ["loyalty_club", "pos_loyalty"],
    "data": [],
    "assets": {
        "point_of_sale._assets_pos": [
            "loyalty_club_pos/static/src/**/*",
        ],
        "web.assets_tests": [
            "loyalty_club_pos/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
