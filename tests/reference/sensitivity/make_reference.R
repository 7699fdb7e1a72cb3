# Reference outputs for virkning.estimate.sensitivity (Rosenbaum bounds), from Rosenbaum's own R packages.
#
# Run from the repository root:  Rscript tests/reference/sensitivity/make_reference.R
# Needs R (>= 4.2) with the CRAN packages DOS2, sensitivitymv, sensitivity2x2xk (and their imports) and jsonlite.
# Writes the data sets used (CSV) and reference.json next to this script.

suppressPackageStartupMessages({
  library(DOS2); library(sensitivitymv); library(sensitivity2x2xk); library(jsonlite)
})
out_dir <- "tests/reference/sensitivity"
versions <- sapply(c("DOS2", "sensitivitymv", "sensitivity2x2xk"), function(p) as.character(packageVersion(p)))
ref <- list(R = R.version.string, packages = as.list(versions))

# ---- data sets (public data shipped with the packages) --------------------------------------------
data(werfel, package = "DOS2")   # 39 welders and matched controls, DNA damage (Werfel et al. 1998; DOS sec. 3.5)
data(lead, package = "DOS2")     # 33 exposed children and matched controls, blood lead (Morton et al. 1982)
data(tbmetaphase, package = "sensitivitymv")  # 15 sets of 1 treated + 1 or 2 controls (Rosenbaum 2007, Table 3)
data(mercury, package = "sensitivitymv")      # 397 sets of 1 treated + 2 controls (NHANES)
data(lead150, package = "sensitivitymv")      # 150 sets of 1 treated + 5 controls (Rosenbaum 2013)
write.csv(data.frame(welder = werfel$serpc_p, control = werfel$cerpc_p), file.path(out_dir, "werfel.csv"),
          row.names = FALSE)
write.csv(data.frame(exposed = lead$exposed, control = lead$control), file.path(out_dir, "lead.csv"),
          row.names = FALSE)
wide <- function(m) { m <- as.matrix(m); colnames(m) <- c("treated", paste0("control", seq_len(ncol(m) - 1))); m }
write.csv(wide(tbmetaphase), file.path(out_dir, "tbmetaphase.csv"), row.names = FALSE, na = "")
write.csv(wide(mercury), file.path(out_dir, "mercury.csv"), row.names = FALSE)
write.csv(wide(lead150), file.path(out_dir, "lead150.csv"), row.names = FALSE)

# ---- Wilcoxon signed rank, pairs (DOS2::senWilcox = normal approximation, senWilcoxExact = exact) -----
d <- werfel$serpc_p - werfel$cerpc_p
g_w <- c(1, 1.5, 2, 2.5, 3, 3.5, 4, 5)
ref$werfel_signed_rank <- list(
  gamma = g_w,
  normal = sapply(g_w, function(g) senWilcox(d, gamma = g)$pval),
  exact = sapply(g_w, function(g) senWilcoxExact(d, gamma = g)),
  exact_shift_0935 = senWilcoxExact(d - 0.0935, gamma = 3),   # DOS Table 3.3: one-sided CI at Gamma 3
  exact_shift_0936 = senWilcoxExact(d - 0.0936, gamma = 3))
g_l <- c(1, 2, 3, 4, 4.25, 5, 6)
ref$lead_signed_rank <- list(gamma = g_l, normal = sapply(g_l, function(g) senWilcox(lead$dif, gamma = g)$pval))

# ---- M-statistics (sensitivitymv::senmv) ----------------------------------------------------------
senmv_case <- function(y, gammas, ...) {
  r <- lapply(gammas, function(g) senmv(y, gamma = g, ...))
  list(gamma = gammas, pval = sapply(r, `[[`, "pval"), deviate = sapply(r, `[[`, "deviate"),
       statistic = sapply(r, `[[`, "statistic"), expectation = sapply(r, `[[`, "expectation"),
       variance = sapply(r, `[[`, "variance"))
}
erp <- cbind(werfel$serpc_p, werfel$cerpc_p)
ref$m_werfel_trim1 <- senmv_case(erp, c(1, 2, 3, 3.5), trim = 1)          # Rosenbaum (2007), Table 1
ref$m_werfel_default <- senmv_case(erp, c(1, 2, 3))
ref$m_werfel_inner <- senmv_case(erp, c(1, 2, 3), method = "i")
ref$m_tbmetaphase_trim1 <- senmv_case(as.matrix(tbmetaphase), c(1, 1.5, 2), trim = 1)  # Rosenbaum (2007), sec. 4.3
ref$m_mercury_default <- senmv_case(as.matrix(mercury), c(1, 5, 10, 15))
ref$m_mercury_inner <- senmv_case(as.matrix(mercury), c(1, 10, 15), method = "i")
ref$m_lead150_trim2 <- senmv_case(lead150, c(1, 1.5, 2), trim = 2)      # Rosenbaum (2013), Table 1

# ---- binary outcomes (sensitivity2x2xk::mh exact, mhLS normal with exact moments) ------------------
# Each matched set is a 2 x 2 table: [treated, control] x [outcome 1, outcome 0].
set_tables <- function(set, treated, y) {
  ids <- unique(set)
  tab <- array(0, c(2, 2, length(ids)))
  for (k in seq_along(ids)) {
    s <- set == ids[k]
    tab[1, 1, k] <- sum(treated[s] == 1 & y[s] == 1); tab[1, 2, k] <- sum(treated[s] == 1 & y[s] == 0)
    tab[2, 1, k] <- sum(treated[s] == 0 & y[s] == 1); tab[2, 2, k] <- sum(treated[s] == 0 & y[s] == 0)
  }
  tab
}
binary_case <- function(tab, gammas) {
  list(gamma = gammas,
       exact_upper = sapply(gammas, function(g) mh(tab, Gamma = g)$pval),
       exact_lower = sapply(gammas, function(g) mh(tab, Gamma = 1 / g)$pval),
       normal_upper = sapply(gammas, function(g) mhLS(tab, Gamma = g)$pval),
       expectation = sapply(gammas, function(g) mhLS(tab, Gamma = g)$Expectation),
       variance = sapply(gammas, function(g) mhLS(tab, Gamma = g)$Variance),
       statistic = mh(tab, Gamma = 1)$A)
}
# Hammond (1964) as used by Rosenbaum (2002, p. 112): 122 discordant pairs, in 110 the smoker died of lung cancer.
ham <- array(0, c(2, 2, 122))
for (k in 1:122) if (k <= 110) { ham[1, 1, k] <- 1; ham[2, 2, k] <- 1 } else { ham[1, 2, k] <- 1; ham[2, 1, k] <- 1 }
ref$hammond <- binary_case(ham, c(1, 2, 3, 4, 5, 6))
# Synthetic matched sets: 1 treated with 1 to 4 controls, and a few sets with 2 treated; binary outcome.
set.seed(20240518)
rows <- list()
for (s in 1:80) {
  nt <- if (s %% 10 == 0) 2 else 1
  nc <- sample(1:4, 1)
  base <- runif(1, 0.1, 0.6)
  y <- c(rbinom(nt, 1, min(1, base * 1.6)), rbinom(nc, 1, base))
  rows[[s]] <- data.frame(set = s, treated = c(rep(1, nt), rep(0, nc)), y = y)
}
sets <- do.call(rbind, rows)
write.csv(sets, file.path(out_dir, "binary_sets.csv"), row.names = FALSE)
ref$binary_sets <- binary_case(set_tables(sets$set, sets$treated, sets$y), c(1, 1.25, 1.5, 2, 3))
# Satagopan et al. (2001), BRCA1 and breast cancer by age (sensitivity2x2xk's example), as two strata.
both <- array(c(18, 51, 11, 673, 39, 652, 21, 2699), c(2, 2, 2))
ref$satagopan <- binary_case(both, c(1, 5, 9.3, 12))

writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out_dir, "reference.json"))
cat("wrote", file.path(out_dir, "reference.json"), "\n")
