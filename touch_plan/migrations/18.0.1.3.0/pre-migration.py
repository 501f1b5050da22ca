"""18.0.1.3.0: lighter rows for the touches of a large book.

- The plan, client and company of a touch are its enrollment's, read through
  it: their copies in touch_plan_touch are dropped. Each cost every inserted
  touch (about 3,000,000 for 100,000 clients) a foreign-key check and the
  client's an index entry.
- The daily job looks for the planned touches due by now, a few among the
  millions: a partial index on the date of the planned touches (created by
  ``touch.plan.touch.init``) finds them alone, while the index of the state
  (a handful of values) served no query and cost every inserted touch.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("DROP INDEX IF EXISTS touch_plan_touch__state_index"))
    # the touch report's view reads them: made again from the enrollment by its init()
    cr.execute(SQL("DROP VIEW IF EXISTS touch_plan_touch_report"))
    cr.execute(
        SQL(
            """ALTER TABLE touch_plan_touch
                 DROP COLUMN IF EXISTS plan_id,
                 DROP COLUMN IF EXISTS partner_id,
                 DROP COLUMN IF EXISTS company_id"""
        )
    )
