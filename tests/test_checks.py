"""Tests of raetut.checks: every check passes with the library's objects and fails on wrong ones."""

import subprocess
import sys

import pytest

from raetut import checks


@pytest.fixture(scope="module")
def results():
    return checks.run_all()


@pytest.fixture(scope="module")
def mixture():
    return checks.default_mixture_1d()


CHECK_NAMES = [entry.name for entry in checks.registry()]


def test_run_all_runs_every_check_once(results):
    assert [r.name for r in results] == CHECK_NAMES
    assert len({r.claim for r in results}) == len(results)
    assert all(isinstance(r, checks.CheckResult) for r in results)
    assert all(r.kind in checks.KINDS and r.chapter in checks.CHAPTERS for r in results)


@pytest.mark.parametrize("index", range(len(CHECK_NAMES)), ids=CHECK_NAMES)
def test_every_check_passes_with_defaults(results, index):
    r = results[index]
    assert r.passed, f"{r.claim}: measured {r.measured}, expected {r.expected} ± {r.tolerance}"
    # one-sided claims (a bound, "not a gradient") give their verdict to record(passed=...)
    assert abs(r.measured - r.expected) <= r.tolerance or r.kind != "identity"


# ------------------------------------------------------- each check fails on wrong input


# ---------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: checks.run_all(rng=0), TypeError, "rng"),
        (lambda: checks.format_table([1, 2]), TypeError, "results"),
    ],
)
def test_checks_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- table and CLI


def test_format_table_lists_every_result():
    good = checks.CheckResult("a claim", 2.0004, 2.0, 0.1, True)
    bad = checks.CheckResult("another, longer claim", 0.5, 0.0, 1e-3, False, "why")
    lines = checks.format_table([good, bad]).splitlines()
    assert len(lines) == 4
    assert lines[0].startswith("claim") and lines[0].endswith("result")
    assert lines[2].endswith("PASS") and "2" in lines[2]
    assert lines[3].endswith("FAIL") and lines[3].startswith("another, longer claim")
    assert len({len(line) for line in lines[2:]}) == 1  # aligned columns


def _run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "raetut", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_verify_passes():
    # the whole command line, end to end, on one chapter (every chapter would repeat the
    # module's run_all, which takes about 80 s, in a second process)
    names = [entry.name for entry in checks.registry(chapter=2)]
    completed = _run_cli("verify", "--chapter", "2")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.count("| PASS") == len(names) > 0
    assert "FAIL" not in completed.stdout
    assert f"{len(names)}/{len(names)} checks passed in" in completed.stdout


def test_cli_verify_prints_every_check(results, monkeypatch, capsys):
    from raetut import __main__ as cli

    monkeypatch.setattr(checks, "run_all", lambda chapter=None, progress=None: results)
    assert cli.main(["verify"]) == 0
    out = capsys.readouterr().out
    assert out.count("| PASS") == len(CHECK_NAMES)
    assert "FAIL" not in out
    assert f"{len(CHECK_NAMES)}/{len(CHECK_NAMES)} checks passed in" in out


def test_cli_exits_1_when_a_check_fails(monkeypatch, capsys):
    from raetut import __main__ as cli

    failing = checks.CheckResult("made to fail", 1.0, 0.0, 0.1, False)
    monkeypatch.setattr(checks, "run_all", lambda chapter=None, progress=None: [failing])
    assert cli.main(["verify"]) == 1
    assert "made to fail" in capsys.readouterr().out


def test_cli_usage_errors_and_help():
    unknown = _run_cli("bogus")
    assert unknown.returncode == 2
    assert "invalid choice" in unknown.stderr
    missing = _run_cli()
    assert missing.returncode == 2 and "command is required" in missing.stderr
    helped = _run_cli("--help")
    assert helped.returncode == 0 and "verify" in helped.stdout

