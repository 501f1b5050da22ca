"""18.0.1.2.0: fewer indexes on touch_plan_touch.

The engine inserts a whole cycle of touches per client (about 3,000,000 rows
for 100,000 clients), and every index costs each of them. The enrollment's
index duplicates the first column of the unique key; the plan's and company's
have a handful of values and serve no query; the done date's now leaves out
the planned touches (NULL), as Odoo's ``btree_not_null`` index does. Dropped
before the update so that Odoo creates the done date's partial index anew.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    for column in ("enrollment_id", "plan_id", "company_id", "done_date"):
        cr.execute(
            SQL(
                "DROP INDEX IF EXISTS %s",
                SQL.identifier(f"touch_plan_touch__{column}_index"),
            )
        )
