"""Live comparison of the Rosenbaum bounds with Rosenbaum's R packages on fresh data (skipped without Rscript,
DOS2, sensitivitymv, sensitivity2x2xk and jsonlite)."""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import numpy as np
import pandas as pd
import pytest

from virkning.estimate import bounds_for_sets

pytestmark = [pytest.mark.r, pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")]

SCRIPT = textwrap.dedent("""
    pk <- c("DOS2", "sensitivitymv", "sensitivity2x2xk", "jsonlite")
    if (!all(sapply(pk, requireNamespace, quietly = TRUE))) { cat('{"skip": true}'); quit(save = "no") }
    suppressPackageStartupMessages(for (p in pk) library(p, character.only = TRUE))
    a <- commandArgs(trailingOnly = TRUE)
    pairs <- read.csv(a[1]); sets <- as.matrix(read.csv(a[2])); bin <- read.csv(a[3])
    g <- c(1, 1.5, 2.5)
    ids <- unique(bin$set); tab <- array(0, c(2, 2, length(ids)))
    for (k in seq_along(ids)) { s <- bin$set == ids[k]; t <- bin$treated[s]; y <- bin$y[s]
      tab[, , k] <- c(sum(t & y), sum(!t & y), sum(t & !y), sum(!t & !y)) }
    out <- list(wilcox = sapply(g, function(x) senWilcox(pairs$t - pairs$c, gamma = x)$pval),
                m = sapply(g, function(x) senmv(sets, gamma = x)$pval),
                mh = sapply(g, function(x) mh(tab, Gamma = x)$pval))
    cat(jsonlite::toJSON(out, digits = NA))
""")


def test_bounds_equal_the_r_packages_on_fresh_data(tmp_path):
    rng = np.random.default_rng(2024)
    pairs = pd.DataFrame({"t": rng.normal(0.3, 1, 80).round(2), "c": rng.normal(0, 1, 80).round(2)})
    sets = pd.DataFrame(rng.normal(0, 1, (60, 4)) + np.array([0.4, 0, 0, 0]), columns=["t", "c1", "c2", "c3"])
    sets.loc[::5, "c3"] = np.nan  # some sets with two controls only
    rows = [(s, int(j == 0), int(rng.random() < (0.5 if j == 0 else 0.3))) for s in range(70)
            for j in range(1 + rng.integers(1, 4))]
    binary = pd.DataFrame(rows, columns=["set", "treated", "y"])
    files = [tmp_path / f for f in ("pairs.csv", "sets.csv", "binary.csv")]
    for frame, f in zip((pairs, sets, binary), files):
        frame.to_csv(f, index=False, na_rep="NA")
    script = tmp_path / "run.R"
    script.write_text(SCRIPT)
    out = json.loads(subprocess.run(["Rscript", str(script), *map(str, files)], capture_output=True, text=True,
                                    check=True, timeout=300).stdout)
    if out.get("skip"):
        pytest.skip("R packages DOS2 / sensitivitymv / sensitivity2x2xk not installed")
    g = [1, 1.5, 2.5]
    n = len(pairs)
    b = bounds_for_sets(np.repeat(np.arange(n), 2), np.tile([1, 0], n), pairs[["t", "c"]].to_numpy().ravel(),
                        gamma=g, alternative="greater")
    assert b.p_upper == pytest.approx(out["wilcox"], rel=1e-8, abs=1e-13)
    a = sets.to_numpy()
    keep = ~np.isnan(a.ravel())
    b = bounds_for_sets(np.repeat(np.arange(len(a)), 4)[keep], np.tile([1, 0, 0, 0], len(a))[keep], a.ravel()[keep],
                        gamma=g, alternative="greater")
    assert b.test == "m" and b.p_upper == pytest.approx(out["m"], rel=1e-8, abs=1e-13)
    b = bounds_for_sets(binary["set"], binary["treated"], binary["y"], gamma=g, alternative="greater")
    assert b.p_upper == pytest.approx(out["mh"], rel=1e-8, abs=1e-13)
