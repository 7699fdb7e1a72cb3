# Reference meta-analyses for tests/estimate/test_meta.py, from metafor (Debian package r-cran-metafor).
# Run from the repository root:  Rscript tests/reference/meta/make_reference.R
# Writes dat_bcg.csv (the BCG vaccine trials with log risk ratios) and metafor_reference.json.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
here <- "tests/reference/meta"

# dat.bcg: 13 trials of the BCG vaccine against tuberculosis (Colditz et al. 1994, JAMA 271:698-702), as shipped
# in metafor's data package; yi = log risk ratio, vi = its sampling variance (escalc, measure "RR").
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_out <- data.frame(study = paste0(bcg$author, " (", bcg$year, ")"), trial = bcg$trial, author = bcg$author,
                      year = bcg$year, tpos = bcg$tpos, tneg = bcg$tneg, cpos = bcg$cpos, cneg = bcg$cneg,
                      ablat = bcg$ablat, metric = "log risk ratio", yi = as.numeric(bcg$yi), vi = as.numeric(bcg$vi))
write.csv(bcg_out, file.path(here, "dat_bcg.csv"), row.names = FALSE)

# a homogeneous set where tau^2 is truncated at 0 (made-up numbers, written here)
homog <- data.frame(yi = c(0.10, 0.12, 0.08, 0.11, 0.09), vi = c(0.010, 0.020, 0.015, 0.012, 0.030))
sets <- list(bcg = data.frame(yi = as.numeric(bcg$yi), vi = as.numeric(bcg$vi)), bcg_first2 = NULL, homog = homog)
sets$bcg_first2 <- sets$bcg[1:2, ]

tight <- list(threshold = 1e-12, maxiter = 10000)  # solve REML to full precision (default threshold is 1e-5)
one <- function(d, method, test, control) {
  fit <- rma(yi, vi, data = d, method = method, test = test, control = control)
  pr <- predict(fit)
  w <- weights(fit)
  list(method = method, test = test, k = fit$k, estimate = as.numeric(fit$b), se = fit$se, stat = fit$zval,
       p = fit$pval, ci_low = fit$ci.lb, ci_high = fit$ci.ub, tau2 = fit$tau2, tau2_se = fit$se.tau2,
       i2 = fit$I2, h2 = fit$H2, q = fit$QE, q_p = fit$QEp,
       pi_low = if (is.null(pr$pi.lb)) NA else pr$pi.lb, pi_high = if (is.null(pr$pi.ub)) NA else pr$pi.ub,
       weights = unname(w), printed = capture.output(print(fit)))
}
out <- list(R = R.version.string, metafor = as.character(packageVersion("metafor")), cases = list())
for (nm in names(sets)) {
  d <- sets[[nm]]
  out$cases[[nm]] <- list(yi = d$yi, vi = d$vi, fits = list(
    REML = one(d, "REML", "z", tight), DL = one(d, "DL", "z", list()), FE = one(d, "FE", "z", list()),
    REML_knha = one(d, "REML", "knha", tight), DL_knha = one(d, "DL", "knha", list()),
    REML_default_control = one(d, "REML", "z", list())))
}
# forest-plot study intervals (normal, level 95)
s <- summary(bcg)
out$bcg_study_ci <- list(ci_low = as.numeric(s$ci.lb), ci_high = as.numeric(s$ci.ub))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(here, "metafor_reference.json"))
