"""Plant small bugs in raetut's numerical modules and count how many ``verify`` catches.

A check is only as good as the wrong answers it rejects. This script measures that for the
whole registry: it copies the package to a scratch folder, makes one small change at a time
in a numerical module (a flipped sign, a changed constant, a reversed comparison), runs
``python -m raetut verify`` on the changed copy, and counts the change as *caught* when
verify exits non-zero (a check failed or raised) or exceeds the time limit. Changes that are
caught by no check are listed, so that one can see which claims lack a discriminating check.

Usage, from the project root::

    python tools/plant_bugs.py --n-bugs 40 --seed 0 [--modules optimal,densities]

The sample of sites is drawn with ``numpy.random.default_rng(seed)`` among all mutable
sites of the chosen modules, so a run is reproducible. Some planted changes do not change
behaviour at all (e.g. in an error message's arithmetic or in code that the book's claims
never reach); the catch rate is therefore a lower bound on the checks' power.
"""

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NUMERICAL = ("densities", "criteria", "optimal", "models", "fields", "sampling", "diagnostics",
             "_grid")

_SWAP_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
_SWAP_CMP = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}


def _sites(tree):
    """Every mutable node of a module, as (kind, node) pairs, in source order."""
    docstrings = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(
                body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings.add(id(body[0].value))
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in _SWAP_BINOP:
            sites.append(("binop", node))
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(
                node.ops[0]) in _SWAP_CMP:
            sites.append(("compare", node))
        elif (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
              and not isinstance(node.value, bool) and id(node) not in docstrings
              and node.value not in (0, 1)):
            sites.append(("constant", node))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            sites.append(("negation", node))
    return sorted(sites, key=lambda s: (s[1].lineno, s[1].col_offset))


def _mutate(kind, node):
    """Change one node in place; returns a short description."""
    if kind == "binop":
        old = type(node.op)
        node.op = _SWAP_BINOP[old]()
        return f"{old.__name__} -> {type(node.op).__name__}"
    if kind == "compare":
        old = type(node.ops[0])
        node.ops = [_SWAP_CMP[old]()]
        return f"{old.__name__} -> {type(node.ops[0]).__name__}"
    if kind == "constant":
        old = node.value
        node.value = old + 1 if isinstance(old, int) else old * 1.1
        return f"{old!r} -> {node.value!r}"
    node_operand = node.operand
    node.op = ast.UAdd()
    return f"-{ast.unparse(node_operand)} -> +{ast.unparse(node_operand)}"


def _verify(package_parent, timeout):
    env = dict(os.environ, PYTHONPATH=str(package_parent), OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    start = time.perf_counter()
    try:
        completed = subprocess.run([sys.executable, "-m", "raetut", "verify"], env=env,
                                   capture_output=True, text=True, timeout=timeout,
                                   cwd=package_parent)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - start
    verdict = "passed" if completed.returncode == 0 else "caught"
    return verdict, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-bugs", type=int, default=40, help="how many bugs to plant")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample of sites")
    parser.add_argument("--modules", default=",".join(NUMERICAL),
                        help="comma-separated raetut modules to plant bugs in")
    args = parser.parse_args(argv)
    if args.n_bugs < 1:
        parser.error("--n-bugs must be >= 1")
    modules = [m.strip() for m in args.modules.split(",") if m.strip()]
    unknown = [m for m in modules if not (ROOT / "raetut" / f"{m}.py").exists()]
    if unknown:
        parser.error(f"--modules: no such raetut module(s): {unknown}")

    candidates = []
    for module in modules:
        tree = ast.parse((ROOT / "raetut" / f"{module}.py").read_text())
        candidates += [(module, i) for i in range(len(_sites(tree)))]
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(candidates), size=min(args.n_bugs, len(candidates)), replace=False)

    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        shutil.copytree(ROOT / "raetut", scratch / "raetut",
                        ignore=shutil.ignore_patterns("__pycache__"))
        verdict, baseline = _verify(scratch, timeout=600)
        if verdict != "passed":
            print("verify fails on the unchanged package; nothing to measure", file=sys.stderr)
            return 2
        timeout = max(30.0, 3 * baseline)
        print(f"{len(candidates)} sites in {', '.join(modules)}; planting {len(chosen)} "
              f"(seed {args.seed}); unchanged verify takes {baseline:.0f} s", flush=True)
        counts = {"caught": 0, "timeout": 0, "passed": 0}
        missed = []
        for k, index in enumerate(sorted(chosen), 1):
            module, site = candidates[index]
            path = scratch / "raetut" / f"{module}.py"
            original = path.read_text()
            tree = ast.parse(original)
            kind, node = _sites(tree)[site]
            what = _mutate(kind, node)
            path.write_text(ast.unparse(tree))
            verdict, seconds = _verify(scratch, timeout)
            path.write_text(original)
            counts[verdict] += 1
            where = f"{module}.py:{node.lineno}"
            print(f"[{k:3d}/{len(chosen)}] {verdict:<7} {where:<22} {kind:<8} {what} "
                  f"({seconds:.0f} s)", flush=True)
            if verdict == "passed":
                missed.append(f"{where} {kind} {what}")
        caught = counts["caught"] + counts["timeout"]
        print(f"\ncaught {caught}/{len(chosen)} = {100 * caught / len(chosen):.0f} % "
              f"({counts['caught']} by a failing check, {counts['timeout']} by the time limit)")
        if missed:
            print("not caught:\n  " + "\n  ".join(missed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
