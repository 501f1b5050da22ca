"""Reach PostgreSQL, or start a private cluster when none is reachable.

Order: the server named by the usual libpq variables (PGHOST, PGPORT,
PGUSER, PGPASSWORD) when one answers with a role other than ``postgres``;
otherwise a private cluster kept under ``$RELSELL_PGDATA`` (default
``/var/tmp/relsell-pg-<uid>``), listening on a Unix socket only and started
as the current user, or as the ``postgres`` system user when running as root
(PostgreSQL refuses to run as root).
"""

import fcntl
import glob
import os
import pwd
import shutil
import subprocess
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


def _private():
    uid = os.geteuid()
    base = os.environ.get("RELSELL_PGDATA", f"/var/tmp/relsell-pg-{uid}")
    port = os.environ.get("RELSELL_PGPORT", "54329")
    data, sockets, logfile = (os.path.join(base, n) for n in ("data", "run", "postgres.log"))
    owner = pwd.getpwuid(uid).pw_name
    if uid == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise Missing(
                "running as root, a private PostgreSQL cluster needs the `postgres` "
                "system user, which does not exist; install Debian's `postgresql`"
            ) from exc
        owner = "postgres"
    bindir = _pg_bindir()
    pg = {"host": sockets, "port": port, "user": PRIVATE_ROLE, "password": ""}

    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _answers(pg):
            return pg
        if uid == 0:
            shutil.chown(base, owner)
        os.makedirs(sockets, exist_ok=True)
        if uid == 0:
            shutil.chown(sockets, owner)
        if not os.path.exists(os.path.join(data, "PG_VERSION")):
            say(f"harness: creating a private PostgreSQL cluster in {data}")
            subprocess.run(
                _as_owner(
                    owner,
                    [
                        os.path.join(bindir, "initdb"),
                        "-D",
                        data,
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
        say(f"harness: starting the private PostgreSQL cluster (socket {sockets}, port {port})")
        options = (
            f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_owner(
                owner,
                [
                    os.path.join(bindir, "pg_ctl"),
                    "-D",
                    data,
                    "-l",
                    logfile,
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
        )
        for _attempt in range(30):
            if _answers(pg):
                return pg
            time.sleep(1)
    raise Missing(f"the private PostgreSQL cluster did not start; see {logfile}")


def _answers(pg):
    try:
        _connect(host=pg["host"], port=pg["port"], user=pg["user"], dbname="postgres").close()
    except Exception:
        return False
    return True


def ensure_postgres():
    return _external() or _private()


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
