"""The run, test, bench and pot commands."""

import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from . import machine
from . import pg as pglib
from .odoo_env import (
    CLOCK,
    PRODUCT_ADDONS,
    ROOT,
    SCENARIO_ADDONS,
    Missing,
    env,
    find_odoo,
    odoo_command,
    odoo_python,
    say,
)

# how long one Odoo process of a command may run before the harness stops it
TEST_TIMEOUT = int(os.environ.get("RELSELL_TEST_TIMEOUT", "3600"))
INSTALL_TIMEOUT = int(os.environ.get("RELSELL_INSTALL_TIMEOUT", "1800"))

OURS = re.compile(r"touch[._]plan|lead[._]tracking|loyalty[._]club|relationship_scenarios")
# loggers whose warnings mean an addon is installed wrongly (bad manifest,
# field or view definitions, models without access rules, data files)
INSTALL_LOGGERS = re.compile(
    r"^odoo\.(modules|fields|models|tools\.convert|addons\.base\.models\.ir_(ui_view|model))"
)
LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) "
    r"(?P<logger>[\w.]+): (?P<message>.*)$"
)
REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIPPED = re.compile(r"^skipped ")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LogWatch:
    """Reads Odoo's log as it comes: echoes what matters, keeps the verdict."""

    def __init__(self, logfile):
        self.logfile = logfile
        self.problems = []
        self.report = None
        self.skipped = []
        self._echo = False

    def feed(self, line):
        self.logfile.write(line)
        match = LINE.match(line)
        if not match:
            if self._echo:
                sys.stdout.write(line)
            return
        level, logger, message = match["level"], match["logger"], match["message"]
        self._echo = False
        report = REPORT.search(message)
        if report:
            self.report = tuple(int(n) for n in report.groups())
        if (
            logger == "odoo.tests.stats"
            or logger.startswith("odoo.modules.module")
            and "Ran" in message
        ):
            sys.stdout.write(line)
        if SKIPPED.match(message) and OURS.search(logger):
            self.skipped.append(message)
        serious = level in ("ERROR", "CRITICAL")
        ours = level == "WARNING" and (
            OURS.search(logger) or OURS.search(message) or INSTALL_LOGGERS.match(logger)
        )
        if serious or ours:
            if not REPORT.search(message):
                self.problems.append(f"{level} {logger}: {message}")
            sys.stdout.write(line)
            self._echo = True


def run_odoo(cmd, logfile, timeout):
    """Run one Odoo process, reading its log; kill it (and its children) after ``timeout`` s."""
    watch = LogWatch(logfile)
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(),
        start_new_session=True,
    ) as proc:
        timer = threading.Timer(timeout, _kill, (proc, watch, timeout))
        timer.start()
        try:
            for line in proc.stdout:
                watch.feed(line)
            returncode = proc.wait()
        finally:
            timer.cancel()
    return returncode, watch


def _kill(proc, watch, timeout):
    watch.problems.append(f"Odoo was still running after {timeout} s and was stopped")
    say(f"harness: Odoo was still running after {timeout} s; stopping it")
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _prepare():
    """Odoo 18, then everything else the commands need (installed when missing)."""
    info = find_odoo()
    machine.ensure_all()
    return info


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def check_browser_tests():
    """Odoo skips its browser tours, and counts them as passed, without these two."""
    probe = subprocess.run(
        [odoo_python(), "-c", "import websocket"], capture_output=True, text=True, check=False
    )
    if probe.returncode:
        raise Missing(
            f"the websocket-client package is not importable by {odoo_python()!r}, so Odoo "
            "would skip the browser tests; install it with `pip install -r tests/requirements.txt`"
        )
    if not any(shutil.which(name) for name in BROWSERS):
        raise Missing(
            "no Chromium or Chrome binary is on the PATH, so Odoo would skip the browser "
            "tests; install Debian's chromium (`apt-get install chromium`, as .ci/run does)"
        )


def _clock(today):
    """Environment that moves the clocks of Odoo and PostgreSQL to ``today``.

    ``today`` is ``YYYY-MM-DD`` (09:00 UTC that day) or ``YYYY-MM-DDTHH:MM``
    (that time, UTC): a late hour finds code that mixes the server's UTC date
    with the user's, which differ there (Europe/Brussels is already tomorrow).
    """
    if not today:
        return {}
    try:
        if "T" in today or " " in today:
            target = datetime.datetime.fromisoformat(today.replace(" ", "T"))
        else:
            target = datetime.datetime.combine(datetime.date.fromisoformat(today), datetime.time(9))
    except ValueError as exc:
        raise Missing(f"--today {today!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from exc
    library = machine.libfaketime()
    if not library:
        raise Missing("--today needs libfaketime; install it with `apt-get install faketime`")
    target = target.replace(tzinfo=datetime.timezone.utc)
    offset = int(target.timestamp() - time.time())
    return {"LD_PRELOAD": library, "FAKETIME": f"{offset:+d}", "FAKETIME_DONT_RESET": "1"}


def test(args):
    try:
        info = _prepare()
        check_browser_tests()
        CLOCK.update(_clock(args.today))
        with pglib.throwaway_postgres(clock=CLOCK) as pg:
            return _test(args, info, pg)
    except Missing as missing:
        return str(missing)


def _test(args, info, pg):
    if CLOCK:
        say(f"harness: Odoo and PostgreSQL run as if it were {args.today} (libfaketime)")
    addons = [a for a in args.addons.split(",") if a] or list(PRODUCT_ADDONS + SCENARIO_ADDONS)
    database = f"relsell_test_{os.getpid()}_{int(time.time())}"
    tags = args.tags or ",".join(f"/{name}" for name in addons)
    logpath = args.log or os.path.join(tempfile.gettempdir(), f"{database}.log")
    say(f"harness: Odoo {'.'.join(map(str, info['version']))} from {info['file']}")
    say(
        f"harness: installing {', '.join(addons)} into {database} and running their tests "
        f"(full log: {logpath})"
    )
    cmd = odoo_command(
        info,
        pg,
        database,
        "-i",
        ",".join(addons),
        "--test-enable",
        f"--test-tags={tags}",
        "--stop-after-init",
        f"--http-port={free_port()}",
        "--log-level=info",
        "--max-cron-threads=0",
        "--workers=0",
        with_tests=True,
    )
    results = []
    with open(logpath, "w") as logfile:
        returncode, watch = run_odoo(cmd, logfile, TEST_TIMEOUT)
    if not args.keep:
        pglib.drop_database(pg, database)

    failed, errors, total = watch.report or (0, 0, 0)
    verdict = []
    if watch.report is None:
        with open(logpath) as logfile:
            tail = logfile.readlines()[-15:]
        verdict.append("Odoo did not report a test run; the log ends with:\n" + "".join(tail))
    if total == 0:
        verdict.append("no test ran")
    if watch.skipped:
        verdict.append(
            f"{len(watch.skipped)} test(s) of ours were skipped: " + "; ".join(watch.skipped)
        )
    if watch.problems and not (failed or errors):
        verdict.append(f"{len(watch.problems)} error or warning line(s) logged")
    if returncode and not (failed or errors):
        verdict.append(f"odoo exited with status {returncode}")
    results.append(("odoo tests", total - failed - errors, failed + errors, verdict))

    if not args.no_install_check and not args.addons:
        for addon in PRODUCT_ADDONS:
            results.append(install_alone(info, pg, addon))
    if not args.no_run_check and not args.addons and not CLOCK:
        results.append(run_check())

    passed = sum(r[1] for r in results)
    broken = sum(r[2] for r in results) + sum(1 for r in results if r[3] and not r[2])
    say("")
    for name, ok, bad, notes in results:
        say(f"harness: {name}: {ok} passed, {bad} failed" + "".join(f"\n  - {n}" for n in notes))
    say(f"{passed} passed, {broken} failed, {len(watch.skipped)} skipped")
    return 1 if broken else 0


UNINSTALL = """
module = env['ir.module.module'].search([('name', '=', {addon!r})])
module.button_immediate_uninstall()
env.cr.commit()
assert module.state == 'uninstalled', module.state
print('uninstalled', {addon!r})
"""


def install_alone(info, pg, addon):
    """Install one addon alone (with its demo data) into an empty database, then uninstall it."""
    database = f"relsell_alone_{addon}_{os.getpid()}"
    say(f"harness: installing {addon} alone into {database}, then uninstalling it")
    notes = []
    logpath = os.path.join(tempfile.gettempdir(), f"{database}.log")
    with open(logpath, "w") as logfile:
        code, watch = run_odoo(
            odoo_command(
                info,
                pg,
                database,
                "-i",
                addon,
                "--stop-after-init",
                "--log-level=info",
                "--max-cron-threads=0",
                "--http-port=0",
                "--no-http",
            ),
            logfile,
            INSTALL_TIMEOUT,
        )
        if code or watch.problems:
            notes.append(f"install failed (status {code}; log {logpath})")
        else:
            shell = subprocess.run(
                odoo_command(
                    info, pg, database, "--no-http", "--log-level=warn", subcommand="shell"
                ),
                input=UNINSTALL.format(addon=addon),
                capture_output=True,
                text=True,
                env=env(),
                check=False,
                timeout=INSTALL_TIMEOUT,
            )
            logfile.write(shell.stdout + shell.stderr)
            if shell.returncode or f"uninstalled {addon}" not in shell.stdout:
                notes.append(
                    f"uninstall failed: {(shell.stderr.strip().splitlines() or ['?'])[-1]}"
                )
            elif re.search(r" (ERROR|CRITICAL) ", shell.stderr):
                notes.append(f"uninstall logged errors (log {logpath})")
    pglib.drop_database(pg, database)
    return (f"{addon} installs alone and uninstalls", 0 if notes else 1, 1 if notes else 0, notes)


def run(args):
    try:
        info = _prepare()
        pg = pglib.ensure_postgres()
    except Missing as missing:
        return str(missing)
    say(f"harness: Odoo {'.'.join(map(str, info['version']))} from {info['file']}")
    if args.reset and pglib.database_exists(pg, args.db):
        pglib.drop_database(pg, args.db)
    installed = pglib.installed_modules(pg, args.db, PRODUCT_ADDONS)
    missing = sorted(set(PRODUCT_ADDONS) - installed)
    # a database set up with older code of the addons (after a git pull) is
    # updated first, or Odoo would serve the new code on the old tables
    current = {addon: _source_fingerprint(addon) for addon in PRODUCT_ADDONS}
    recorded = pglib.source_fingerprints(pg, args.db, PRODUCT_ADDONS)
    stale = sorted(a for a in installed if recorded.get(a) != current[a])
    if missing or stale:
        logpath = os.path.join(tempfile.gettempdir(), f"{args.db}-install.log")
        steps = []
        if missing:
            steps.append(f"installing {', '.join(missing)} with demo data")
        if stale:
            steps.append(f"updating {', '.join(stale)} to the code of this checkout")
        say(
            f"harness: {' and '.join(steps)} in {args.db} "
            f"(a few minutes the first time; log {logpath})"
        )
        options = (["-i", ",".join(missing)] if missing else []) + (
            ["-u", ",".join(stale)] if stale else []
        )
        with open(logpath, "w") as logfile:
            code, watch = run_odoo(
                odoo_command(
                    info,
                    pg,
                    args.db,
                    *options,
                    "--stop-after-init",
                    "--no-http",
                    "--log-level=info",
                ),
                logfile,
                INSTALL_TIMEOUT,
            )
        if code or watch.problems:
            return f"error: setting up the addons in {args.db} failed; see {logpath}"
        pglib.record_source_fingerprints(pg, args.db, current)
    say(
        f"harness: Odoo serves http://localhost:{args.port}/ (database {args.db}); Ctrl+C "
        "stops it. Log in as admin / admin (manager of everything), rep / rep (a sales rep "
        "with today's calls, cards and gifts in their activities), or on the portal as "
        "portal / portal (a club member: /my/club)."
    )
    cmd = odoo_command(info, pg, args.db, f"--http-port={args.port}", "--http-interface=127.0.0.1")
    try:
        return subprocess.call(cmd, env=env())
    except KeyboardInterrupt:
        return 0


def _source_fingerprint(addon):
    """A digest of the addon's files (names and contents), to notice new code."""
    digest = hashlib.sha1()
    folder = ROOT / addon
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


BENCH_RUNNER = """
import runpy
module = runpy.run_path({path!r}, run_name="bench")
module["main"](env, {sizes!r})
env.cr.commit()
"""


def bench(args):
    """Install the addons (no demo) into a fresh database and run tests/bench/bench_*.py."""
    try:
        info = _prepare()
        with pglib.throwaway_postgres() as pg:
            return _bench(args, info, pg)
    except Missing as missing:
        return str(missing)


def _bench(args, info, pg):
    bench_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
    scripts = sorted(
        os.path.join(bench_dir, name)
        for name in os.listdir(bench_dir)
        if name.startswith("bench_") and name.endswith(".py") and args.only in name
    )
    if not scripts:
        return "error: no benchmark matches"
    sizes = [int(size) for size in args.sizes.split(",") if size]
    database = f"relsell_bench_{os.getpid()}"
    logpath = os.path.join(tempfile.gettempdir(), f"{database}.log")
    say(f"harness: installing the addons without demo data into {database} (log {logpath})")
    with open(logpath, "w") as logfile:
        code, watch = run_odoo(
            odoo_command(
                info,
                pg,
                database,
                "-i",
                ",".join(PRODUCT_ADDONS),
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
                "--no-http",
            ),
            logfile,
            INSTALL_TIMEOUT,
        )
    status = 0
    if code or watch.problems:
        say("harness: installing the addons failed; no benchmark ran")
        status = 1
    figures = []
    for script in scripts if not status else ():
        for size in sizes:
            # one process per size: its peak memory and caches are its own
            say(f"\n== {os.path.basename(script)} (N={size:,}) ==")
            code, lines = _bench_process(info, pg, database, script, size)
            figures.extend(lines)
            status = status or code
    if figures:
        say("\nharness: benchmark figures (one line per benchmark and size)")
        for line in figures:
            say(line)
    if not args.keep:
        pglib.drop_database(pg, database)
    return status


def _bench_process(info, pg, database, script, size):
    """Run ``script``'s ``main(env, [size])`` in its own ``odoo shell``; echo its output."""
    with subprocess.Popen(
        odoo_command(info, pg, database, "--no-http", "--log-level=warn", subcommand="shell"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(),
    ) as proc:
        proc.stdin.write(BENCH_RUNNER.format(path=script, sizes=[size]))
        proc.stdin.close()
        lines = []
        for line in proc.stdout:
            sys.stdout.write(line)
            if line.startswith("bench: "):
                lines.append(line.rstrip("\n"))
        return proc.wait(), lines


def pot(args):
    """Write <addon>/i18n/<addon>.pot for each addon, exported by Odoo from a fresh install."""
    try:
        info = _prepare()
        with pglib.throwaway_postgres() as pg:
            return _pot(args, info, pg)
    except Missing as missing:
        return str(missing)


def _pot(args, info, pg):
    addons = [a for a in args.addons.split(",") if a] or list(PRODUCT_ADDONS)
    database = f"relsell_pot_{os.getpid()}"
    logpath = os.path.join(tempfile.gettempdir(), f"{database}.log")
    status = 0
    with open(logpath, "w") as logfile:
        code, watch = run_odoo(
            odoo_command(
                info,
                pg,
                database,
                "-i",
                ",".join(addons),
                "--stop-after-init",
                "--without-demo=all",
                "--log-level=warn",
                "--no-http",
            ),
            logfile,
            INSTALL_TIMEOUT,
        )
        if code or watch.problems:
            status = f"error: installing {', '.join(addons)} failed; see {logpath}"
        for addon in addons if not status else ():
            target = os.path.join(ROOT, addon, "i18n", f"{addon}.pot")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            code, watch = run_odoo(
                odoo_command(
                    info,
                    pg,
                    database,
                    f"--i18n-export={target}",
                    f"--modules={addon}",
                    "--stop-after-init",
                    "--no-http",
                    "--log-level=warn",
                ),
                logfile,
                INSTALL_TIMEOUT,
            )
            say(f"harness: wrote {target}" if not code else f"harness: exporting {addon} failed")
            status = status or code
    pglib.drop_database(pg, database)
    return status


RUN_CHECK_TIMEOUT = 1800


def run_check():
    """The run command on a machine without a cluster: demo database served, addons installed.

    Runs ``python3 tests/harness run`` as a user would, with its private cluster
    in a temporary folder and another port, then asks the server over HTTP and
    JSON-RPC.
    """
    name = "the run command serves the demo"
    say(f"harness: checking that {name} (fresh cluster, another port)")
    base = tempfile.mkdtemp(prefix="relsell-run-")
    port = free_port()
    environment = {k: v for k, v in env().items() if not k.startswith("PG")}
    environment.update(RELSELL_PGDATA=base, RELSELL_PGPORT=str(free_port()))
    logpath = os.path.join(tempfile.gettempdir(), "relsell-run-check.log")
    notes = []
    with open(logpath, "w") as logfile:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "harness"), "run", "--port", str(port)],
            stdout=logfile,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
        try:
            notes = _check_served(proc, port, logpath)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            pglib.Cluster(base, environment["RELSELL_PGPORT"]).stop()
            shutil.rmtree(base, ignore_errors=True)
    return (name, 0 if notes else 1, 1 if notes else 0, notes)


def _check_served(proc, port, logpath):
    deadline = time.time() + RUN_CHECK_TIMEOUT
    url = f"http://127.0.0.1:{port}"
    while time.time() < deadline:
        if proc.poll() is not None:
            return [f"the run command exited with status {proc.returncode} (log {logpath})"]
        try:
            with urllib.request.urlopen(f"{url}/web/login", timeout=10) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        time.sleep(3)
    else:
        return [f"/web/login did not answer 200 within {RUN_CHECK_TIMEOUT} s (log {logpath})"]
    with open(logpath) as log:
        printed = log.read()
    notes = [] if "log in as admin / admin" in printed.lower() else ["no login instructions"]
    uid = _jsonrpc(url, "common", "login", ["relationship_demo", "admin", "admin"])
    if not uid:
        return notes + ["admin / admin cannot log in over JSON-RPC"]
    installed = _jsonrpc(
        url,
        "object",
        "execute_kw",
        [
            "relationship_demo",
            uid,
            "admin",
            "ir.module.module",
            "search_read",
            [[["name", "in", list(PRODUCT_ADDONS)], ["state", "=", "installed"]]],
            {"fields": ["name"]},
        ],
    )
    missing = set(PRODUCT_ADDONS) - {row["name"] for row in installed}
    if missing:
        notes.append(f"not installed: {', '.join(sorted(missing))}")
    return notes


def _jsonrpc(url, service, method, args):
    payload = {"jsonrpc": "2.0", "method": "call", "id": 1}
    payload["params"] = {"service": service, "method": method, "args": args}
    request = urllib.request.Request(
        f"{url}/jsonrpc",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.load(response)
    if "error" in answer:
        raise Missing(f"JSON-RPC {service}.{method} failed: {answer['error']}")
    return answer["result"]
