"""Find the installed Odoo 18 and build its command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_ADDONS = ("touch_plan", "lead_tracking", "loyalty_club")
TEST_ADDONS_DIR = ROOT / "tests" / "addons"
SCENARIO_ADDONS = ("relationship_scenarios",)


class Missing(SystemExit):
    """A prerequisite is missing: exit with one clear sentence."""

    def __init__(self, sentence):
        super().__init__(f"error: {sentence}")


def odoo_python():
    return os.environ.get("ODOO_PYTHON", "python3")


_PROBE = """
import json, os, odoo, odoo.release as r
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
paths = [p for p in (os.path.join(root, 'addons'),) if os.path.isdir(p)]
print(json.dumps({'version': list(r.version_info[:2]), 'addons': paths,
                  'file': odoo.__file__}))
"""


def find_odoo():
    """Return {'version', 'addons', 'file'} of the Odoo that python imports."""
    python = odoo_python()
    try:
        out = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError as exc:
        raise Missing(f"the Python interpreter {python!r} (ODOO_PYTHON) was not found") from exc
    if out.returncode:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise Missing(
            f"Odoo 18 is not importable by {python!r} ({last}); install Odoo 18.0 "
            "so that `import odoo` works, or point ODOO_PYTHON at a Python that has it"
        )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    if info["version"][0] != 18:
        raise Missing(
            f"{python!r} imports Odoo {info['version'][0]}.{info['version'][1]} "
            f"from {info['file']}, but these addons need Odoo 18.0"
        )
    return info


def addons_path(info, with_tests=False):
    paths = [str(ROOT)] + list(info["addons"])
    if with_tests:
        paths.append(str(TEST_ADDONS_DIR))
    extra = os.environ.get("ODOO_ADDONS_PATH")
    if extra:
        paths.extend(p for p in extra.split(",") if p)
    return ",".join(paths)


def odoo_command(info, pg, database, *args, with_tests=False, subcommand=None):
    cmd = [
        odoo_python(),
        str(Path(__file__).with_name("odoo_launcher.py")),
        *([subcommand] if subcommand else []),
        f"--addons-path={addons_path(info, with_tests)}",
        f"--db_host={pg['host']}",
        f"--db_port={pg['port']}",
        f"--db_user={pg['user']}",
        "-d",
        database,
        f"--db-filter=^{database}$",
    ]
    if pg.get("password"):
        cmd.append(f"--db_password={pg['password']}")
    return cmd + list(args)


def env():
    environment = dict(os.environ)
    environment["TZ"] = "UTC"
    environment.setdefault("PYTHONUNBUFFERED", "1")
    return environment


def say(message):
    print(message, flush=True)
    sys.stdout.flush()
