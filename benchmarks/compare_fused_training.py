"""How far fit() with the fused objectives moves from the old path on the chapters' setups.

``raetut.fit`` trains the DAE, rCAE and CAE through fused primitives with hand-derived
gradients (``raetut._fused``); before, autograd differentiated the composition of
``raetut.criteria`` and the model. Both are the same function and gradient up to
round-off, which L-BFGS then amplifies along the run. For chapter 6's main DAE and an
rCAE with its settings, chapter 6's three-point toy, and chapter 9's three models, the
script trains both ways from the same generator and prints the largest relative
difference of the final loss and of the parameters (max |p_new - p_old| / max |p_old|).

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/compare_fused_training.py``
"""

import numpy as np
from _timing import print_table

from raetut import training
from raetut.checks import ch06, ch09


def both_paths(train):
    out = []
    for fused in (False, True):
        training._USE_FUSED = fused
        out.append(train())
    training._USE_FUSED = True
    return out


def main():
    rows = []
    n, h, level = ch06.MAIN_CONFIG

    def ch06_setup(criterion, lvl):
        def train():
            ch06.train_autoencoder.cache_clear() if hasattr(ch06.train_autoencoder,
                                                            "cache_clear") else None
            t = ch06.train_autoencoder(criterion, n, h, lvl)
            return [(f"ch06 {criterion} (n={n}, H={h}, {lvl})", t.params, t.loss_history)]
        return train

    def ch06_toy():
        ch06.train_three_points.cache_clear()
        t = ch06.train_three_points()
        return [("ch06 three-point toy (H=20, 100 corruptions)", t.params, t.loss_history)]

    def ch09_models():
        ch09.chapter_models.cache_clear()
        return [(f"ch09 {name}", m.params, m.loss_history)
                for name, m in ch09.chapter_models().items()]

    for train in (ch06_setup("dae", level), ch06_setup("rcae", level**2), ch06_toy, ch09_models):
        old, new = both_paths(train)
        for (name, p_old, l_old), (_, p_new, l_new) in zip(old, new, strict=True):
            rows.append([name, f"{len(l_old) - 1} / {len(l_new) - 1}", f"{l_old[-1]:.6g}",
                         f"{abs(l_new[-1] - l_old[-1]) / abs(l_old[-1]):.1e}",
                         f"{np.max(np.abs(p_new - p_old)) / np.max(np.abs(p_old)):.1e}"])
    print("fit(): fused objective vs autograd through the composition (same seeds)")
    print_table(["setup", "iterations old / new", "final loss (old)", "loss rel. diff",
                 "params max rel. diff"], rows)


if __name__ == "__main__":
    main()
