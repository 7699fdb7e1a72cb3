# Reference outputs of MatchIt for virkning's matching tests.
#
# Usage (from the repository root):
#   Rscript tests/reference/matchit/make_reference.R                 # installed MatchIt -> installed/
#   Rscript tests/reference/matchit/make_reference.R /path/to/lib    # MatchIt in that library -> fixed/
#
# The second form is meant for MatchIt 4.5.1 rebuilt with two upstream bug fixes of its nearest-neighbour
# routine for a distance vector (see build_matchit_fixed.sh); only the cases that run through that routine
# are written for it. The installed Debian build of 4.5.1 compares distances after truncation to integers
# (GCC resolves abs() on a double to the integer abs), so its "nearest" neighbours are not the nearest.
#
# The options added later (discard, reestimate, covariate calipers, antiexact, the ATC) are written to
# extended/<flavour>/, so the files of the first cases never change.
#
# Inputs: lalonde.csv.gz and sim.csv (written by make_inputs.py). For every case the script writes
#   <case>_pairs.csv  treated row, control row (1-based row numbers of the input) and slot
#   <case>_units.csv  matched units: row, treat, weights, subclass, distance
#   <case>.json       settings, caliper, propensity coefficients, sample sizes, summary(m, un = TRUE)
#                     balance tables, and the ATT with cluster-robust SEs from lm() + sandwich::vcovCL().

suppressPackageStartupMessages({
  args <- commandArgs(trailingOnly = TRUE)
  lib <- if (length(args) >= 1) args[1] else NULL
  library(MatchIt, lib.loc = lib)
  library(sandwich)
  library(jsonlite)
})

file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
here <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg))) else "."
flavour <- if (is.null(lib)) "installed" else "fixed"
out_dir <- file.path(here, flavour)
dir.create(out_dir, showWarnings = FALSE)

lalonde <- read.csv(file.path(here, "lalonde.csv.gz"))
lalonde <- within(lalonde, {
  age2 <- age^2; educ2 <- educ^2; re74sq <- re74 * re74; re75sq <- re75 * re75
  u74 <- as.integer(re74 == 0); u75 <- as.integer(re75 == 0)
})
sim <- read.csv(file.path(here, "sim.csv"))

f_dw <- treat ~ age + age2 + educ + educ2 + black + hisp + marr + nodegree + re74 + re75 + re74sq + re75sq +
  u74 + u75
f_sim <- treat ~ age + educ + prior_emp + sick + benefit_weeks + sex + region + origin + akasse

# name, data, formula, outcome, matchit arguments, uses the vector-distance routine?
cases <- list(
  list("lalonde_nn", "lalonde", f_dw, "re78", list(), TRUE),
  list("lalonde_nn_logit", "lalonde", f_dw, "re78", list(link = "linear.logit"), TRUE),
  list("lalonde_nn_smallest", "lalonde", f_dw, "re78", list(link = "linear.logit", m.order = "smallest"), TRUE),
  list("lalonde_nn_data", "lalonde", f_dw, "re78", list(m.order = "data"), TRUE),
  list("lalonde_replace", "lalonde", f_dw, "re78", list(replace = TRUE), TRUE),
  list("lalonde_ratio2", "lalonde", f_dw, "re78", list(ratio = 2), TRUE),
  list("lalonde_ratio2_replace", "lalonde", f_dw, "re78", list(ratio = 2, replace = TRUE), TRUE),
  list("lalonde_exact", "lalonde", f_dw, "re78", list(link = "linear.logit", exact = ~black + nodegree), TRUE),
  list("lalonde_caliper", "lalonde", f_dw, "re78", list(link = "linear.logit", caliper = 0.2), TRUE),
  list("lalonde_caliper_ps", "lalonde", f_dw, "re78", list(caliper = 0.2), TRUE),
  list("lalonde_ratio2_caliper", "lalonde", f_dw, "re78", list(link = "linear.logit", ratio = 2, caliper = 0.1), TRUE),
  list("lalonde_mahvars", "lalonde", f_dw, "re78",
       list(link = "linear.logit", caliper = 0.2, mahvars = ~age + educ + re74 + re75), FALSE),
  list("sim_exact2", "sim", f_sim, "y", list(link = "linear.logit", exact = ~sex + region), TRUE),
  list("sim_exact2_ps", "sim", f_sim, "y", list(exact = ~sex + region), TRUE),
  list("sim_exact4_caliper", "sim", f_sim, "y",
       list(link = "linear.logit", exact = ~sex + region + origin + akasse, caliper = 0.25), TRUE),
  list("sim_exact4_ratio2", "sim", f_sim, "y", list(link = "linear.logit", exact = ~sex + region + origin + akasse,
                                                     ratio = 2), TRUE),
  list("sim_exact2_replace", "sim", f_sim, "y", list(link = "linear.logit", exact = ~sex + region, replace = TRUE,
                                                      ratio = 2), TRUE),
  list("sim_mahvars", "sim", f_sim, "y", list(link = "linear.logit", exact = ~sex, caliper = 0.3,
                                               mahvars = ~age + prior_emp + benefit_weeks), FALSE),
  list("sim_mahalanobis", "sim", treat ~ age + educ + prior_emp + sick + benefit_weeks, "y",
       list(distance = "mahalanobis", exact = ~region), FALSE),
  list("sim_mahalanobis_replace", "sim", treat ~ age + prior_emp + benefit_weeks, "y",
       list(distance = "mahalanobis", exact = ~sex + region, replace = TRUE), FALSE)
)

table_to_records <- function(tab) {
  df <- as.data.frame(tab, check.names = FALSE)
  df <- cbind(term = rownames(tab), df)
  rownames(df) <- NULL
  df
}

run_case <- function(case, out_dir, extended = FALSE) {
  name <- case[[1]]; dname <- case[[2]]; f <- case[[3]]; outcome <- case[[4]]; margs <- case[[5]]; vec <- case[[6]]
  if (flavour == "fixed" && !vec) return(invisible(NULL))
  data <- get(dname)
  m <- suppressWarnings(do.call(matchit, c(list(formula = f, data = data), margs)))

  mm <- m$match.matrix
  pairs <- do.call(rbind, lapply(seq_len(ncol(mm)), function(j) {
    ok <- !is.na(mm[, j])
    data.frame(treated = as.integer(rownames(mm)[ok]), control = as.integer(mm[ok, j]), slot = rep(j, sum(ok)))
  }))
  pairs <- pairs[order(pairs$treated, pairs$slot), ]
  # rows of the match matrix are the focal units: the treated for the ATT, the controls for the ATC
  if (extended) names(pairs) <- c("focal", "matched", "slot")
  write.csv(pairs, file.path(out_dir, paste0(name, "_pairs.csv")), row.names = FALSE)

  w <- m$weights
  units <- data.frame(row = which(w > 0), treat = data$treat[w > 0], weights = w[w > 0],
                      subclass = if (is.null(m$subclass)) NA_integer_ else as.integer(as.character(m$subclass[w > 0])))
  if (!is.null(m$distance)) units$distance <- m$distance[w > 0]
  write.csv(units, file.path(out_dir, paste0(name, "_units.csv")), row.names = FALSE)

  s <- summary(m, un = TRUE)
  replace <- isTRUE(margs$replace)
  if (!replace) {
    md <- match.data(m)
    fit <- lm(reformulate("treat", outcome), data = md, weights = weights)
    V <- vcovCL(fit, cluster = ~subclass)
    clusters <- "subclass"
  } else {
    gm <- get_matches(m)
    fit <- lm(reformulate("treat", outcome), data = gm, weights = weights)
    V <- vcovCL(fit, cluster = ~subclass + id)
    clusters <- c("subclass", "id")
  }
  effect <- list(outcome = outcome, att = unname(coef(fit)["treat"]), se = sqrt(V["treat", "treat"]),
                 clusters = clusters, n_obs = nobs(fit))

  res <- list(
    case = name, data = dname, flavour = flavour,
    matchit_version = as.character(packageVersion("MatchIt", lib.loc = lib)),
    matchit_path = find.package("MatchIt", lib.loc = lib), r_version = R.version.string,
    formula = deparse1(f), args = lapply(margs, function(a) if (inherits(a, "formula")) deparse1(a) else a),
    caliper = if (is.null(m$caliper)) NULL else unname(m$caliper),
    coef = if (is.null(m$model)) NULL else as.list(coef(m$model)),
    nn = table_to_records(s$nn),
    sum_all = table_to_records(s$sum.all),
    sum_matched = table_to_records(s$sum.matched),
    effect = effect
  )
  if (extended) {
    named <- function(v) as.list(setNames(v, ifelse(names(v) == "", "distance", names(v))))
    res$args <- lapply(margs, function(a) {
      if (inherits(a, "formula")) deparse1(a) else if (!is.null(names(a))) named(a) else a
    })
    res$estimand <- m$estimand
    res$caliper <- if (is.null(m$caliper)) NULL else named(m$caliper)
    res$discarded <- I(which(m$discarded))
  }
  write_json(res, file.path(out_dir, paste0(name, ".json")), digits = NA, auto_unbox = TRUE, pretty = TRUE,
             na = "null", null = "null")
  cat(sprintf("%-26s %s  matched treated %d  ATT %.3f (SE %.3f)\n", name, flavour, sum(w > 0 & data$treat == 1),
              effect$att, effect$se))
}

for (case in cases) run_case(case, out_dir)

# Options added later (common support, covariate calipers, antiexact, the ATC). Their outputs go to
# extended/<flavour>/ so the cases above stay as they were; pairs are (focal, matched, slot), where the focal
# units are the rows of MatchIt's match matrix (the treated for the ATT, the controls for the ATC), and the
# JSON also holds the estimand, the named caliper widths ("distance" for the distance) and the discarded rows.
ext_cases <- list(
  list("lalonde_discard_both", "lalonde", f_dw, "re78", list(link = "linear.logit", discard = "both"), TRUE),
  list("lalonde_discard_control_ps", "lalonde", f_dw, "re78", list(discard = "control"), TRUE),
  list("lalonde_discard_treated", "lalonde", f_dw, "re78", list(link = "linear.logit", discard = "treated"), TRUE),
  list("lalonde_discard_reestimate", "lalonde", f_dw, "re78",
       list(link = "linear.logit", discard = "both", reestimate = TRUE, caliper = 0.2), TRUE),
  list("sim_discard_exact_ratio2", "sim", f_sim, "y",
       list(link = "linear.logit", discard = "both", exact = ~sex + region, ratio = 2), TRUE),
  list("lalonde_caliper_covs", "lalonde", f_dw, "re78",
       list(link = "linear.logit", caliper = c(0.25, age = 5, educ = 2), std.caliper = c(TRUE, FALSE, FALSE)), TRUE),
  list("lalonde_caliper_covs_std", "lalonde", f_dw, "re78", list(caliper = c(age = 0.5, re75 = 0.25)), TRUE),
  list("sim_caliper_covs_replace", "sim", f_sim, "y",
       list(link = "linear.logit", exact = ~sex, caliper = c(age = 0.3, benefit_weeks = 0.5), replace = TRUE,
            ratio = 2), TRUE),
  list("lalonde_antiexact", "lalonde", f_dw, "re78", list(link = "linear.logit", antiexact = ~marr), TRUE),
  list("sim_antiexact_ratio2", "sim", f_sim, "y",
       list(link = "linear.logit", antiexact = ~akasse, exact = ~sex, ratio = 2, caliper = c(0.5, age = 4),
            std.caliper = c(TRUE, FALSE)), TRUE),
  list("lalonde_atc_replace", "lalonde", f_dw, "re78", list(link = "linear.logit", estimand = "ATC", replace = TRUE),
       TRUE),
  list("sim_atc", "sim", f_sim, "y", list(link = "linear.logit", estimand = "ATC"), TRUE),
  list("sim_atc_exact_discard", "sim", f_sim, "y",
       list(estimand = "ATC", exact = ~sex + region, caliper = 0.1, discard = "both"), TRUE),
  list("sim_atc_ratio2_replace", "sim", f_sim, "y",
       list(link = "linear.logit", estimand = "ATC", ratio = 2, replace = TRUE, antiexact = ~sick), TRUE),
  list("lalonde_mahvars_discard", "lalonde", f_dw, "re78",
       list(link = "linear.logit", discard = "both", caliper = 0.2, mahvars = ~age + educ + re74 + re75), FALSE),
  list("sim_mahalanobis_calcov_antiexact", "sim", treat ~ age + educ + prior_emp + sick + benefit_weeks, "y",
       list(distance = "mahalanobis", exact = ~region, caliper = c(age = 2), std.caliper = FALSE,
            antiexact = ~akasse), FALSE),
  list("sim_mahvars_atc_replace", "sim", f_sim, "y",
       list(link = "linear.logit", estimand = "ATC", exact = ~sex, caliper = 0.3,
            mahvars = ~age + prior_emp + benefit_weeks, replace = TRUE), FALSE)
)
ext_dir <- file.path(here, "extended", flavour)
dir.create(ext_dir, showWarnings = FALSE, recursive = TRUE)
for (case in ext_cases) run_case(case, ext_dir, extended = TRUE)
