"""Live comparison with the MatchIt installed on this machine (skipped without Rscript and MatchIt).

A fresh data set is matched by R and by virkning; the matched pairs and the ATT must be identical. The
installed MatchIt is compared with compat="matchit-4.5.1-gcc" when it is version 4.5.1 (the Debian build),
otherwise with the default mode (later MatchIt versions contain the fixes).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap

import numpy as np
import pandas as pd
import pytest

import virkning

pytestmark = [pytest.mark.r, pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")]

SCRIPT = textwrap.dedent("""
    suppressPackageStartupMessages({
      ok <- requireNamespace("MatchIt", quietly = TRUE) && requireNamespace("jsonlite", quietly = TRUE)})
    if (!ok) { cat('{"skip": true}'); quit(save = "no") }
    library(MatchIt)
    args <- commandArgs(trailingOnly = TRUE)
    d <- read.csv(args[1])
    out <- list(version = as.character(packageVersion("MatchIt")))
    specs <- list(a = list(link = "linear.logit", exact = ~sex, caliper = 0.25),
                  b = list(exact = ~sex + region, ratio = 2),
                  c = list(link = "linear.logit", replace = TRUE))
    for (nm in names(specs)) {
      m <- suppressWarnings(do.call(matchit, c(list(formula = treat ~ age + prior + sex + region, data = d),
                                               specs[[nm]])))
      mm <- m$match.matrix
      pairs <- lapply(seq_len(ncol(mm)), function(j) {
        ok <- !is.na(mm[, j]); cbind(as.integer(rownames(mm)[ok]), as.integer(mm[ok, j]), j)})
      out[[nm]] <- list(pairs = do.call(rbind, pairs), weights = unname(m$weights))
    }
    cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE))
""")


def test_live_matchit_equals_virkning(tmp_path):
    rng = np.random.default_rng(2024)
    n = 900
    age = rng.integers(50, 66, n)
    prior = np.round(rng.beta(2, 2, n), 4)
    sex = rng.choice(["K", "M"], n)
    region = rng.choice(["Nord", "Syd", "Midt"], n)
    lin = -1.2 + 0.06 * (age - 57) - 1.4 * prior + 0.3 * (sex == "M")
    d = pd.DataFrame({"treat": (rng.random(n) < 1 / (1 + np.exp(-lin))).astype(int), "age": age, "prior": prior,
                      "sex": sex, "region": region})
    d.to_csv(tmp_path / "d.csv", index=False)
    (tmp_path / "run.R").write_text(SCRIPT)
    proc = subprocess.run(["Rscript", str(tmp_path / "run.R"), str(tmp_path / "d.csv")], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    if res.get("skip"):
        pytest.skip("MatchIt or jsonlite is not installed in R")
    compat = "matchit-4.5.1-gcc" if res["version"] == "4.5.1" else "none"
    calls = {"a": {"distance": "logit", "exact": ["sex"], "caliper": 0.25},
             "b": {"distance": "ps", "exact": ["sex", "region"], "ratio": 2},
             "c": {"distance": "logit", "replace": True}}
    for name, kw in calls.items():
        m = virkning.match(d, "treat", ["age", "prior", "sex", "region"], compat=compat, **kw)
        ours = {(t + 1, c + 1, s) for t, c, s in m.pairs[["treated", "control", "slot"]].itertuples(index=False)}
        theirs = {tuple(int(v) for v in row) for row in res[name]["pairs"]}
        assert ours == theirs, name
        np.testing.assert_allclose(m.weights, res[name]["weights"], rtol=1e-12, atol=1e-12)
