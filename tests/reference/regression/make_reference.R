# Reference fits for tests/estimate/test_regression_reference.py: lm() with classical, HC1 (sandwich::vcovHC) and
# cluster-robust (sandwich::vcovCL, type "HC1" = Stata's CR1) variances on lpm_data.csv.
# Run from the repository root:  Rscript tests/reference/regression/make_reference.R
suppressPackageStartupMessages({library(sandwich); library(lmtest); library(jsonlite)})
here <- "tests/reference/regression"
d <- read.csv(file.path(here, "lpm_data.csv"))
d$ydelse <- factor(d$ydelse)  # levels sorted: kontanthjaelp (reference), ressourceforloeb, sygedagpenge
rhs <- "mand + alder40 + indvandrer + erhvervsfaglig + hospital + handicap + hist_virk + hist_timer + ydelse"
pack <- function(fit, V, df) {
  ct <- coeftest(fit, vcov. = V, df = df)
  ci <- coefci(fit, vcov. = V, df = df, level = 0.95)
  list(se = unname(sqrt(diag(V))), t = unname(ct[, 3]), p = unname(ct[, 4]), ci_low = unname(ci[, 1]),
       ci_high = unname(ci[, 2]), vcov = unname(V), df = df)
}
out <- list(R = R.version.string, sandwich = as.character(packageVersion("sandwich")),
            lmtest = as.character(packageVersion("lmtest")), formula_rhs = rhs, fits = list())
for (y in c("virk", "afklaring", "timer", "hours")) {
  fit <- lm(as.formula(paste(y, "~", rhs)), data = d)  # na.omit: each outcome on its complete rows
  used <- d[as.integer(rownames(model.frame(fit))), ]
  G <- length(unique(used$kommune))
  n <- nobs(fit); k <- length(coef(fit))
  out$fits[[y]] <- list(
    terms = names(coef(fit)), coef = unname(coef(fit)), n = n, n_clusters = G, r2 = summary(fit)$r.squared,
    classical = pack(fit, vcov(fit), n - k),
    hc1 = pack(fit, vcovHC(fit, type = "HC1"), n - k),
    cluster = pack(fit, vcovCL(fit, cluster = ~kommune, type = "HC1"), G - 1))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "sandwich_reference.json"))
