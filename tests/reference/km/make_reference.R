# Weighted Kaplan-Meier cumulative incidence by group with R's survival package (reference for km_curve).
# Run from this folder after `python make_data.py`: Rscript make_reference.R
library(survival)
d <- read.csv("km_data.csv")
d$time <- ifelse(is.na(d$first), d$followup, d$first)
d$event <- as.integer(!is.na(d$first))
out <- data.frame()
for (g in c(1, 0)) {
  s <- survfit(Surv(time, event) ~ 1, data = d[d$treat == g, ], weights = weights)
  f <- stepfun(s$time, c(1, s$surv))
  out <- rbind(out, data.frame(treat = g, month = 1:8, cum_incidence = 1 - f(1:8)))
}
write.csv(out, "km_reference.csv", row.names = FALSE)
