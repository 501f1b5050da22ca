"""Reach PostgreSQL, or start a private cluster when none is reachable.

Order: the server named by the usual libpq variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD) when one answers with a role other than ``postgres``;
otherwise a private cluster kept under ``$RELSELL_PGDATA`` (default
``/var/tmp/relsell-pg-<uid>``), listening on a Unix socket only and started
as the current user, or as the ``postgres`` system user when running as root
(PostgreSQL refuses to run as root).
"""

import contextlib
import fcntl
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from .odoo_env import Missing, say

PRIVATE_ROLE = "odoo"


def _connect(**params):
    import psycopg2  # noqa: PLC0415 - installed with Odoo, checked before

    return psycopg2.connect(connect_timeout=5, **params)


def _pg_bindir():
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
    )
    for bindir in reversed(candidates):
        if os.path.exists(os.path.join(bindir, "initdb")):
            return bindir
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise Missing(
        "PostgreSQL server programs (initdb, pg_ctl) were not found; install "
        "Debian's `postgresql` package (apt-get install postgresql) or set "
        "PGHOST/PGPORT/PGUSER to a running server"
    )


def _external():
    if not any(os.environ.get(v) for v in ("PGHOST", "PGPORT", "PGUSER")):
        return None
    params = {"dbname": "postgres"}
    try:
        conn = _connect(**params)
    except Exception as exc:
        say(
            f"harness: PostgreSQL from PG* variables is not reachable ({exc}); "
            "starting a private cluster"
        )
        return None
    with conn, conn.cursor() as cr:
        cr.execute("SELECT current_user, current_setting('server_version_num')::int")
        user, version = cr.fetchone()
    conn.close()
    if user == "postgres":
        say(
            "harness: PG* variables connect as `postgres`, which Odoo refuses; "
            "starting a private cluster"
        )
        return None
    if version < 130000:
        raise Missing(f"PostgreSQL 13 or newer is needed, the server runs {version}")
    return {
        "host": os.environ.get("PGHOST", ""),
        "port": os.environ.get("PGPORT", "5432"),
        "user": user,
        "password": os.environ.get("PGPASSWORD", ""),
    }


def _as_owner(owner, cmd):
    if os.geteuid() == 0:
        return ["runuser", "-u", owner, "--"] + cmd
    return cmd


def _owner():
    uid = os.geteuid()
    if uid:
        return pwd.getpwuid(uid).pw_name
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise Missing(
            "running as root, a private PostgreSQL cluster needs the `postgres` "
            "system user, which does not exist; install Debian's `postgresql`"
        ) from exc
    return "postgres"


class Cluster:
    """A private PostgreSQL cluster under ``base``, on a Unix socket only.

    ``durable`` keeps PostgreSQL's crash safety (fsync and synchronous
    commits): the run command's demo database lives there. Throwaway test and
    bench clusters trade it for speed, and get 1 GB of shared buffers.
    ``clock`` is an environment that moves the server's clock (libfaketime),
    for ``test --today``.
    """

    def __init__(self, base, port, durable=True, clock=None):
        self.base, self.port, self.durable, self.clock = base, str(port), durable, clock
        self.data, self.sockets, self.logfile = (
            os.path.join(base, n) for n in ("data", "run", "postgres.log")
        )
        self.owner = _owner()
        self.pg = {"host": self.sockets, "port": self.port, "user": PRIVATE_ROLE, "password": ""}

    def start(self):
        bindir = _pg_bindir()
        os.makedirs(self.base, exist_ok=True)
        with open(os.path.join(self.base, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if _answers(self.pg):
                return self.pg
            if os.geteuid() == 0:
                shutil.chown(self.base, self.owner)
            os.makedirs(self.sockets, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.sockets, self.owner)
            if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
                say(f"harness: creating a private PostgreSQL cluster in {self.data}")
                subprocess.run(
                    _as_owner(
                        self.owner,
                        [
                            os.path.join(bindir, "initdb"),
                            "-D",
                            self.data,
                            "-U",
                            PRIVATE_ROLE,
                            "-A",
                            "trust",
                            "-E",
                            "UTF8",
                            "--locale=C.UTF-8",
                        ],
                    ),
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            say(
                "harness: starting the private PostgreSQL cluster "
                f"(socket {self.sockets}, port {self.port})"
            )
            options = f"-k {self.sockets} -p {self.port} -c listen_addresses='' "
            options += "-c max_connections=200"
            if not self.durable:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                # PostgreSQL's default (128 MB) is for small machines; a server
                # for a large book keeps its hot tables and indexes in memory
                options += " -c shared_buffers=1GB"
            environment = dict(os.environ, **(self.clock or {}))
            subprocess.run(
                _as_owner(
                    self.owner,
                    [
                        os.path.join(bindir, "pg_ctl"),
                        "-D",
                        self.data,
                        "-l",
                        self.logfile,
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ],
                ),
                check=True,
                stdout=subprocess.DEVNULL,
                env=environment,
            )
            for _attempt in range(30):
                if _answers(self.pg):
                    return self.pg
                time.sleep(1)
        raise Missing(f"the private PostgreSQL cluster did not start; see {self.logfile}")

    def stop(self):
        subprocess.run(
            _as_owner(
                self.owner,
                [os.path.join(_pg_bindir(), "pg_ctl"), "-D", self.data, "-m", "fast", "stop"],
            ),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def _answers(pg):
    try:
        _connect(host=pg["host"], port=pg["port"], user=pg["user"], dbname="postgres").close()
    except Exception:
        return False
    return True


def ensure_postgres():
    """The server of the PG* variables, or the durable private cluster (run command)."""
    base = os.environ.get("RELSELL_PGDATA", f"/var/tmp/relsell-pg-{os.geteuid()}")
    port = os.environ.get("RELSELL_PGPORT", "54329")
    return _external() or Cluster(base, port, durable=True).start()


@contextlib.contextmanager
def throwaway_postgres(clock=None):
    """The server of the PG* variables, or a private cluster made for one command.

    With ``clock`` (the test command's --today), always a private cluster,
    whose clock moves with the Odoo processes'.
    """
    external = None if clock else _external()
    if external:
        yield external
        return
    base = tempfile.mkdtemp(prefix="relsell-pg-")
    cluster = Cluster(base, _free_port(), durable=False, clock=clock)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_connection(pg):
    conn = _connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg.get("password") or None,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


def database_exists(pg, name):
    with admin_connection(pg) as conn, conn.cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return bool(cr.fetchone())


def drop_database(pg, name):
    conn = admin_connection(pg)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cr.execute(f'DROP DATABASE IF EXISTS "{name}"')  # name made by the harness
    finally:
        conn.close()


def installed_modules(pg, name, modules):
    if not database_exists(pg, name):
        return set()
    conn = _connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg.get("password") or None,
        dbname=name,
    )
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT name FROM ir_module_module WHERE state = 'installed' AND name = ANY(%s)",
                (list(modules),),
            )
            return {row[0] for row in cr.fetchall()}
    except Exception:
        return set()
    finally:
        conn.close()


SOURCE_KEY = "relsell.source_fingerprint.%s"


def _db_connection(pg, name):
    return _connect(
        host=pg["host"],
        port=pg["port"],
        user=pg["user"],
        password=pg.get("password") or None,
        dbname=name,
    )


def source_fingerprints(pg, name, modules):
    """``{module: fingerprint}`` of the addons' code the database was last set up
    with (recorded by :func:`record_source_fingerprints`); {} when unknown."""
    if not database_exists(pg, name):
        return {}
    conn = _db_connection(pg, name)
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT key, value FROM ir_config_parameter WHERE key = ANY(%s)",
                ([SOURCE_KEY % module for module in modules],),
            )
            found = dict(cr.fetchall())
        return {m: found[SOURCE_KEY % m] for m in modules if SOURCE_KEY % m in found}
    except Exception:
        return {}
    finally:
        conn.close()


def record_source_fingerprints(pg, name, fingerprints):
    conn = _db_connection(pg, name)
    try:
        with conn, conn.cursor() as cr:
            for module, fingerprint in fingerprints.items():
                cr.execute(
                    """INSERT INTO ir_config_parameter (key, value, create_date, write_date)
                       VALUES (%s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
                       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""",
                    (SOURCE_KEY % module, fingerprint),
                )
    finally:
        conn.close()
