"""python3 tests/harness {odoo,run,test,bench,pot} [options]: see README.rst."""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import commands, odoo_env, odoo_install


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 tests/harness")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start Odoo on a demo database with the addons")
    run.add_argument("--db", default=os.environ.get("RELSELL_DB", "relationship_demo"))
    run.add_argument("--port", type=int, default=int(os.environ.get("RELSELL_PORT", "8069")))
    run.add_argument("--reset", action="store_true", help="drop the demo database first")

    test = sub.add_parser("test", help="run every test in a fresh throwaway database")
    test.add_argument(
        "--addons", default="", help="comma-separated addons to test (default: all, plus tests/)"
    )
    test.add_argument("--tags", default="", help="extra Odoo --test-tags filter")
    test.add_argument("--keep", action="store_true", help="keep the test database")
    test.add_argument(
        "--no-install-check",
        action="store_true",
        help="skip installing and uninstalling each addon alone",
    )
    test.add_argument("--log", default="", help="write Odoo's full log to this file")
    test.add_argument(
        "--no-run-check",
        action="store_true",
        help="skip checking that the run command serves the demo on a fresh cluster",
    )
    test.add_argument(
        "--today",
        default="",
        metavar="YYYY-MM-DD[THH:MM]",
        help="run Odoo and PostgreSQL as if it were that day (09:00 UTC) or that time, UTC "
        "(libfaketime)",
    )

    bench = sub.add_parser("bench", help="run the benchmarks in tests/bench and print their tables")
    bench.add_argument(
        "--sizes",
        default="1000,10000",
        help="comma-separated numbers of clients (e.g. 1000,10000,100000)",
    )
    bench.add_argument("--only", default="", help="run only benchmarks whose name contains this")
    bench.add_argument("--keep", action="store_true", help="keep the benchmark database")

    pot = sub.add_parser("pot", help="export each addon's i18n/<addon>.pot from a fresh install")
    pot.add_argument("--addons", default="", help="comma-separated addons (default: all three)")

    sub.add_parser(
        "odoo",
        help="install Odoo 18.0 into .venv/ from ODOO_SOURCE (default: the official repository)",
    )

    args = parser.parse_args(argv)
    if args.command == "odoo":
        return odoo_install.odoo(args)
    _run_with_odoo_python()
    return getattr(commands, args.command)(args)


def _run_with_odoo_python():
    """Go on in the interpreter that runs Odoo (it has psycopg2), e.g. the project's .venv."""
    try:
        python = odoo_env.find_odoo()["python"]
    except odoo_env.Missing:
        return  # the command says so in its own words
    if python in (sys.executable, "python3") or os.environ.get("RELSELL_HARNESS_REEXEC"):
        return
    os.environ["RELSELL_HARNESS_REEXEC"] = "1"
    os.execv(python, [python, str(Path(__file__).resolve().parent), *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
