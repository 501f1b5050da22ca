"""Find the installed Odoo 18 and build its command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_ADDONS = ("touch_plan", "lead_tracking", "loyalty_club", "loyalty_club_pos")
TEST_ADDONS_DIR = ROOT / "tests" / "addons"
SCENARIO_ADDONS = ("relationship_scenarios",)


class Missing(SystemExit):
    """A prerequisite is missing: exit with one clear sentence."""

    def __init__(self, sentence):
        super().__init__(f"error: {sentence}")


VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
_FOUND = {}


def odoo_python():
    """The interpreter that runs Odoo: ODOO_PYTHON, else the project's .venv, else python3."""
    if "python" in _FOUND:
        return _FOUND["python"]
    if os.environ.get("ODOO_PYTHON"):
        return os.environ["ODOO_PYTHON"]
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else "python3"


_PROBE = """
import json, os, odoo, odoo.release as r
root = os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__)))
paths = [p for p in (os.path.join(root, 'addons'),) if os.path.isdir(p)]
print(json.dumps({'version': list(r.version_info[:2]), 'addons': paths,
                  'file': odoo.__file__}))
"""

NOT_FOUND = (
    "Odoo 18 is not installed: run `make odoo` (it installs Odoo 18.0 into .venv/ from "
    "ODOO_SOURCE, by default the official repository), or set ODOO_PYTHON to a Python "
    "that imports Odoo 18"
)


def _probe(python):
    try:
        out = subprocess.run(
            [python, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except FileNotFoundError:
        return None
    if out.returncode:
        return None
    info = json.loads(out.stdout.strip().splitlines()[-1])
    info["python"] = python
    return info


def find_odoo():
    """Return {'version', 'addons', 'file', 'python'} of the Odoo 18 the commands use.

    ODOO_PYTHON when set; otherwise the project's .venv when it imports Odoo 18
    (``make odoo`` builds it), otherwise ``python3``.
    """
    if os.environ.get("ODOO_PYTHON"):
        candidates = [os.environ["ODOO_PYTHON"]]
    else:
        candidates = [str(VENV_PYTHON)] if VENV_PYTHON.exists() else []
        candidates.append("python3")
    found = [info for info in map(_probe, candidates) if info]
    for info in found:
        if info["version"][0] == 18:
            _FOUND["python"] = info["python"]
            return info
    if found:
        info = found[0]
        raise Missing(
            f"{info['python']!r} imports Odoo {info['version'][0]}.{info['version'][1]} "
            f"from {info['file']}, but these addons need Odoo 18.0; run `make odoo` to "
            "install Odoo 18.0 into .venv/"
        )
    raise Missing(NOT_FOUND)


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


# the test command's --today: libfaketime variables for Odoo and its PostgreSQL
CLOCK = {}


def env():
    environment = dict(os.environ, **CLOCK)
    environment["TZ"] = "UTC"
    environment.setdefault("PYTHONUNBUFFERED", "1")
    return environment


def say(message):
    print(message, flush=True)
    sys.stdout.flush()
