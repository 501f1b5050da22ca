from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Holidays out of the box on an existing database.

    The new ``greeting`` flag of occasions was computed from their library
    names when its column was added (days of mourning get no card). Fill the
    companies' countries as an install does, then re-plan the future holiday
    cards of running clients once, without the days of mourning.
    """
    env = api.Environment(cr, SUPERUSER_ID, {})
    Occasion = env["touch.plan.occasion"]
    Occasion._fill_company_calendars()
    Occasion.with_context(active_test=False).search([])._replan_holiday_touches()
