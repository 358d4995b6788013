"""Command line: ``python -m raetut verify`` runs every check in :mod:`raetut.checks`."""

import argparse
import sys
import time

DESCRIPTION = 'raetut: the numerics behind the book "What regularized auto-encoders learn".'

EPILOG = """\
verify runs every check registered in raetut.checks (each chapter's module, each check
with the chapter's own settings) and prints a table: claim | kind | measured | expected |
tolerance | PASS/FAIL, then the count by kind and the wall time. Kinds: identity (two
independent computations agree to round-off), algebra (an identity true for every input,
which checks the code only), numerical (an order, a coefficient, a discretisation error),
statistical (a sample statistic against its null distribution), heuristic (a threshold
with a wide margin but no error rate).

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
    verify = commands.add_parser(
        "verify", help="run every registered check and print the table",
        description="Run every check registered in raetut.checks and print the table.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("--list", action="store_true",
                        help="list the registered checks (name, chapter, kind); run nothing")
    verify.add_argument("--chapter", type=int, metavar="N", help="only chapter N's checks")
    verify.add_argument("--json", action="store_true",
                        help="print the records as JSON (every field) instead of a table")
    return parser


def _counts(items):
    kinds = {}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def _verify(args):
    from . import checks

    if args.chapter is not None and args.chapter not in checks.CHAPTERS:
        print(f"python -m raetut verify: error: --chapter must be one of {checks.CHAPTERS}; "
              f"got {args.chapter}", file=sys.stderr)
        return 2
    entries = checks.registry(args.chapter)
    if args.list:
        width = max(len(e.name) for e in entries)
        for e in entries:
            print(f"ch{e.chapter:02d}  {e.kind:<11}  {e.name:<{width}}  {e.summary}")
        print(f"\n{len(entries)} checks: {_counts(entries)}")
        return 0

    def progress(entry, result, seconds):
        if not args.json:
            mark = "PASS" if result.passed else "FAIL"
            print(f"  [{mark}] ch{entry.chapter:02d} {entry.name} ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)

    start = time.perf_counter()
    results = checks.run_all(args.chapter, progress=progress)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if not r.passed]
    if args.json:
        print(checks.to_json(results))
    else:
        print(checks.format_table(results))
        print(f"\n{len(results) - len(failed)}/{len(results)} checks passed in {elapsed:.1f} s "
              f"({_counts(results)})")
        for r in failed:
            print(f"FAILED: {r.name}: {r.claim} ({r.detail})")
    return 1 if failed else 0


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("python -m raetut: error: a command is required (try --help)", file=sys.stderr)
        return 2
    return _verify(args)


if __name__ == "__main__":
    sys.exit(main())
