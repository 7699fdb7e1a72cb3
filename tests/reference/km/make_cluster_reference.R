# Robust (clustered) standard errors of a weighted Kaplan-Meier curve with R's survival package: the reference for
# the influence functions of virkning.estimate.variance (km_influence, cluster_variance).
# Run from this folder: Rscript make_cluster_reference.R   (writes km_cluster_data.csv and km_cluster_reference.csv)
# Persons (id) have several rows, as a control person used in several index weeks; some rows are censored.
library(survival)
set.seed(20240611)
n <- 400
d <- data.frame(id = sample(1:150, n, replace = TRUE), treat = rbinom(n, 1, 0.4))
d$first <- ifelse(runif(n) < 0.55 + 0.1 * d$treat, sample(1:6, n, replace = TRUE), NA)
d$followup <- ifelse(runif(n) < 0.8, 6, sample(1:5, n, replace = TRUE))
d$first[!is.na(d$first) & d$first > d$followup] <- NA
d$weights <- round(runif(n, 0.25, 2), 2)
write.csv(d, "km_cluster_data.csv", row.names = FALSE)
d$time <- ifelse(is.na(d$first), d$followup, d$first)
d$event <- as.integer(!is.na(d$first))
out <- data.frame()
for (g in c(1, 0)) {
  s <- survfit(Surv(time, event) ~ 1, data = d[d$treat == g, ], weights = weights, id = id, robust = TRUE)
  surv <- stepfun(s$time, c(1, s$surv))
  # std.err is the SE of the survival itself when s$logse is FALSE (the robust variance), else of -log(S)
  se_s <- if (isTRUE(s$logse)) s$surv * s$std.err else s$std.err
  se <- stepfun(s$time, c(0, se_s))
  out <- rbind(out, data.frame(treat = g, month = 1:6, cum_incidence = 1 - surv(1:6), se = se(1:6)))
}
out$survival_version <- as.character(packageVersion("survival"))
write.csv(out, "km_cluster_reference.csv", row.names = FALSE)
