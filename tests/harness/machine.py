"""What the commands need from the machine, installed when missing.

Each need is checked first; what is missing is installed when the harness
runs as root (Debian's ``apt-get``, npm's ``-g``, the Odoo interpreter's
``pip``), or named in one sentence with the exact command to run otherwise.
Nothing is installed that is already there.
"""

import glob
import os
import shutil
import subprocess

from .odoo_env import ROOT, Missing, odoo_python, say

# Debian packages, each with what shows it is there and why the product needs it
DEBIAN = {
    "postgresql": (
        lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        "the database server",
    ),
    "chromium": (lambda: bool(shutil.which("chromium")), "the browser tests (tours)"),
    "wkhtmltopdf": (lambda: bool(shutil.which("wkhtmltopdf")), "PDF reports (address labels)"),
    "nodejs": (lambda: bool(shutil.which("node")), "rtlcss, for right-to-left pages"),
    "npm": (lambda: bool(shutil.which("npm")), "rtlcss, for right-to-left pages"),
    "faketime": (
        lambda: bool(libfaketime()),
        "running the tests as if on another day (--today)",
    ),
}
# what building Odoo's Python requirements needs
DEBIAN_BUILD = {
    "git": (lambda: bool(shutil.which("git")), "fetching Odoo's source"),
    "gcc": (lambda: bool(shutil.which("gcc")), "building Odoo's Python requirements"),
    "libpq-dev": (
        lambda: bool(shutil.which("pg_config")) or os.path.exists("/usr/include/postgresql"),
        "building psycopg2",
    ),
    "libldap2-dev": (
        lambda: os.path.exists("/usr/include/ldap.h"),
        "building python-ldap",
    ),
    "libsasl2-dev": (
        lambda: os.path.exists("/usr/include/sasl/sasl.h"),
        "building python-ldap",
    ),
}
NPM = {"rtlcss": "right-to-left (Arabic, Persian) pages: Odoo mirrors its CSS with it"}
REQUIREMENTS = ROOT / "tests" / "requirements.txt"


def libfaketime():
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1") + glob.glob(
        "/usr/lib/faketime/libfaketime.so.1"
    )
    return found[0] if found else None


def _root():
    return os.geteuid() == 0


def ensure_debian(needs=None):
    """Install the Debian packages of ``needs`` (default: all) that are missing."""
    needs = DEBIAN if needs is None else needs
    missing = [name for name, (present, _why) in needs.items() if not present()]
    if not missing:
        return
    command = f"apt-get install -y {' '.join(missing)}"
    why = "; ".join(f"{name}: {needs[name][1]}" for name in missing)
    if not _root() or not shutil.which("apt-get"):
        raise Missing(f"Debian packages are missing ({why}); install them with `sudo {command}`")
    say(f"harness: installing {', '.join(missing)} from Debian ({why})")
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], environment)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], environment)


def ensure_npm():
    missing = [name for name in NPM if not shutil.which(name)]
    if not missing:
        return
    command = f"npm install -g {' '.join(missing)}"
    why = "; ".join(f"{name}: {NPM[name]}" for name in missing)
    if not _root():
        raise Missing(f"npm packages are missing ({why}); install them with `sudo {command}`")
    say(f"harness: installing {', '.join(missing)} from npm ({why})")
    _run(["npm", "install", "-g", "--no-fund", "--no-audit", "--silent", *missing])


def python_requirements_missing(python):
    """Names in tests/requirements.txt that ``python`` lacks (by distribution)."""
    probe = (
        "import sys, importlib.metadata as m\n"
        "from packaging.requirements import Requirement\n"
        "missing = []\n"
        "for line in open(sys.argv[1]):\n"
        "    line = line.split('#')[0].strip()\n"
        "    if not line: continue\n"
        "    req = Requirement(line)\n"
        "    try: version = m.version(req.name)\n"
        "    except m.PackageNotFoundError: missing.append(req.name); continue\n"
        "    if version not in req.specifier: missing.append(req.name)\n"
        "print(' '.join(missing))\n"
    )
    out = subprocess.run(
        [python, "-c", probe, str(REQUIREMENTS)], capture_output=True, text=True, check=False
    )
    if out.returncode:  # no packaging module: let pip decide
        return ["?"]
    return out.stdout.split()


def ensure_python_requirements(python=None):
    python = python or odoo_python()
    missing = python_requirements_missing(python)
    if not missing:
        return
    command = f"{python} -m pip install -r tests/requirements.txt"
    if not _root() and not _in_venv(python):
        raise Missing(
            f"Python packages are missing ({', '.join(missing)}: phone matching, holidays, "
            f"the API and browser tests); install them with `{command}`"
        )
    say(f"harness: installing {', '.join(missing)} into {python} (tests/requirements.txt)")
    _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", REQUIREMENTS])


def _in_venv(python):
    return str(ROOT / ".venv") in str(python)


def ensure_all():
    """Everything the test, bench and run commands need besides Odoo itself."""
    ensure_debian()
    ensure_npm()
    ensure_python_requirements()


def _run(cmd, environment=None):
    result = subprocess.run([str(c) for c in cmd], env=environment, check=False)
    if result.returncode:
        raise Missing(f"`{' '.join(map(str, cmd))}` failed with status {result.returncode}")
