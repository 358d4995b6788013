"""Command line: ``python -m raetut verify`` runs every numerical check of the book."""

import argparse
import sys
import time

DESCRIPTION = 'raetut: the numerics behind the book "What regularized auto-encoders learn".'

EPILOG = """\
verify runs every numerical check of the paper's claims (raetut.checks.run_all) and
prints a table: claim | measured | expected | tolerance | PASS/FAIL, then the wall time.

exit status: 0 if every check passed, 1 if any failed, 2 for a usage error.
"""


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m raetut",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="command")
    commands.add_parser("verify", help="run every numerical check and print the table",
                        description="Run every numerical check and print the table.")
    return parser


def _verify():
    from .checks import format_table, run_all

    start = time.perf_counter()
    results = run_all()
    elapsed = time.perf_counter() - start
    print(format_table(results))
    failed = [r for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)}/{len(results)} checks passed in {elapsed:.1f} s")
    for r in failed:
        print(f"FAILED: {r.claim} ({r.detail})")
    return 1 if failed else 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("python -m raetut: error: a command is required (try --help)", file=sys.stderr)
        return 2
    return _verify()


if __name__ == "__main__":
    sys.exit(main())
