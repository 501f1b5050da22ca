"""``make odoo``: install Odoo 18.0 into the project's ``.venv/``.

The source comes from ``ODOO_SOURCE``: a git URL or a local git repository
(cloned shallow, branch ``ODOO_BRANCH``, 18.0 by default), or a local source
tree (used where it is). The default is the official repository. A copy of
the last clone is kept in ``~/.cache/relsell/`` so that a machine that has
once fetched Odoo can build ``.venv/`` again when the source is out of reach.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from . import machine
from .odoo_env import ROOT, VENV_PYTHON, Missing, say

DEFAULT_SOURCE = "https://github.com/odoo/odoo.git"
VENV = ROOT / ".venv"
CHECKOUT = VENV / "src" / "odoo"
# cbor2 5.4.2 (Odoo's pin for Python < 3.12) only builds with an older
# setuptools; PIP_CONSTRAINT also reaches pip's isolated build environments.
BUILD_CONSTRAINTS = "setuptools<70\n"


def _cache(branch):
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "relsell" / f"odoo-{branch}.git"


def _git(*args, cwd=None, check=True):
    return subprocess.run(
        ["git", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=check
    )


def _is_source_tree(path):
    return (path / "odoo" / "release.py").exists() and (path / "requirements.txt").exists()


def _url(source):
    path = Path(source).expanduser()
    if path.exists():
        return f"file://{path.resolve()}"  # shallow clones need a URL
    return source


def _clone(url, branch, target):
    tmp = target.with_name(target.name + ".new")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    result = _git("clone", "-q", "--depth", "1", "--branch", branch, url, tmp, check=False)
    if result.returncode:
        shutil.rmtree(tmp, ignore_errors=True)
        return result.stderr.strip().splitlines()[-1:] or ["git clone failed"]
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return None


def checkout_source(source, branch):
    """Return the source tree to install, cloning it into .venv/src/odoo if needed."""
    path = Path(source).expanduser()
    if path.is_dir() and not (path / ".git").exists() and _is_source_tree(path):
        return path.resolve()
    say(f"harness: fetching Odoo {branch} from {source}")
    error = _clone(_url(source), branch, CHECKOUT)
    cache = _cache(branch)
    if error:
        if not cache.exists():
            raise Missing(
                f"Odoo {branch} could not be fetched from {source} ({error[0]}); set "
                "ODOO_SOURCE to a reachable git repository or to a local Odoo 18.0 source tree"
            )
        say(
            f"harness: {source} is out of reach ({error[0]}); using the copy kept by an "
            f"earlier `make odoo` in {cache}"
        )
        error = _clone(_url(cache), branch, CHECKOUT)
        if error:
            raise Missing(f"the kept copy {cache} could not be cloned ({error[0]})")
    else:
        head = _git("rev-parse", "HEAD", cwd=CHECKOUT).stdout.strip()
        kept = cache.exists() and _git("rev-parse", branch, cwd=cache, check=False).stdout.strip()
        if kept != head:
            shutil.rmtree(cache, ignore_errors=True)
            cache.parent.mkdir(parents=True, exist_ok=True)
            _git("clone", "-q", "--bare", "--branch", branch, _url(CHECKOUT), cache)
    if not _is_source_tree(CHECKOUT):
        raise Missing(f"{source} ({branch}) is not an Odoo source tree")
    return CHECKOUT


def _site_packages(python):
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def _venv():
    if VENV_PYTHON.exists():
        return
    probe = subprocess.run(
        [sys.executable, "-c", "import ensurepip, venv"], capture_output=True, check=False
    )
    if probe.returncode:
        machine.ensure_debian(
            {"python3-venv": (lambda: False, "creating the .venv/ virtual environment")}
        )
    say(f"harness: creating {VENV} with {sys.executable}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)


def _pip(*args, constraints=None):
    environment = dict(os.environ)
    if constraints:
        environment["PIP_CONSTRAINT"] = constraints
    cmd = [str(VENV_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    result = subprocess.run(cmd, env=environment, check=False)
    if result.returncode:
        raise Missing(f"`{' '.join(map(str, cmd))}` failed with status {result.returncode}")


def odoo(_args):
    """Install Odoo 18.0 and the project's Python requirements into .venv/."""
    source = os.environ.get("ODOO_SOURCE") or DEFAULT_SOURCE
    branch = os.environ.get("ODOO_BRANCH") or "18.0"
    try:
        machine.ensure_debian(machine.DEBIAN_BUILD)
        tree = checkout_source(source, branch)
        _venv()
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
            constraints.write(BUILD_CONSTRAINTS)
        try:
            say(f"harness: installing Odoo's requirements into {VENV} (a few minutes)")
            _pip("wheel", "packaging", constraints=constraints.name)
            _pip("-r", tree / "requirements.txt", constraints=constraints.name)
            _pip("-r", machine.REQUIREMENTS, constraints=constraints.name)
        finally:
            os.unlink(constraints.name)
        # Odoo runs from its source tree, as odoo-bin does: no console script
        (_site_packages(VENV_PYTHON) / "odoo-source.pth").write_text(f"{tree}\n")
        check = subprocess.run(
            [str(VENV_PYTHON), "-c", "import odoo.release as r; print(r.version)"],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode or not check.stdout.startswith("18."):
            raise Missing(f"{VENV_PYTHON} does not import Odoo 18 from {tree}")
    except Missing as missing:
        return str(missing)
    say(f"harness: Odoo {check.stdout.strip()} from {tree} is installed in {VENV}")
    return 0
