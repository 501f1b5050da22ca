from . import models
from . import report
from . import wizard


def post_init_hook(env):
    """Fill the holiday calendar of each company's country from the holidays library."""
    env["touch.plan.occasion"]._fill_company_calendars()
