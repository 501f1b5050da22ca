"""18.0.1.3.0: the planned touches by date replace the index of the state.

The daily job looks for the planned touches due by now, a few among the
millions of a large book: a partial index on the date of the planned touches
(created by ``touch.plan.touch.init``) finds them alone, while the index of the
state (a handful of values) served no query and cost every inserted touch.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("DROP INDEX IF EXISTS touch_plan_touch__state_index"))
