# Test-only addon: cross-addon scenarios of the three relationship-selling
# addons. It lives in tests/addons, which only the test harness puts on the
# addons path; it is never packaged nor installed in production.
{
    "name": "Relationship Selling: cross-addon scenarios (tests only)",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Relationship Selling contributors",
    "license": "LGPL-3",
    "depends": ["touch_plan", "lead_tracking", "loyalty_club", "loyalty_club_pos"],
    "installable": True,
}
