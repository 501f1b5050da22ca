from odoo import models, tools
from odoo.tools import SQL


class TouchPlanSqlReport(models.AbstractModel):
    """Base of the read-only analysis models backed by a PostgreSQL view.

    A report inherits it, sets ``_auto = False`` and returns its ``SELECT``
    from ``_query()``; the view is (re)created when the module is installed or
    updated. Shared by touch_plan, lead_tracking and loyalty_club.
    """

    _name = "touch.plan.sql.report"
    _description = "SQL View Report"

    def _query(self):
        """Return the :class:`~odoo.tools.SQL` ``SELECT`` the view is made of."""
        raise NotImplementedError

    def init(self):
        if self._abstract:  # the registry initialises this base model too
            return
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
