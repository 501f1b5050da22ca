"""Run and test harness for the relationship-selling addons.

It finds an installed Odoo 18 through ``python3`` (or ``$ODOO_PYTHON``),
reaches PostgreSQL or starts a private cluster, and drives ``odoo`` as a
subprocess. It never installs Odoo itself.
"""
