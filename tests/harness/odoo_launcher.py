"""Start Odoo as its own ``odoo-bin`` does.

A real script file, so that Odoo can re-execute itself (it does after
installing modules in server mode), which ``python -m odoo`` cannot.
"""

import os
import sys

os.environ["TZ"] = "UTC"
sys.path.pop(0)  # this folder: keep the harness's modules out of Odoo's way

import odoo

if __name__ == "__main__":
    odoo.cli.main()
