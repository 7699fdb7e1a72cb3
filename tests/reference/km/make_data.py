"""Writes km_data.csv: first-exit months with censoring and matching weights, for the Kaplan-Meier reference."""
import numpy as np
import pandas as pd

rng = np.random.default_rng(11)
n = 400
treat = np.repeat([1, 0], n // 2)
first = np.where(rng.random(n) < 0.6, rng.integers(1, 9, n), np.nan)
followup = np.where(rng.random(n) < 0.7, 8, rng.integers(1, 8, n))
first = np.where(first > followup, np.nan, first)  # an exit after the end of follow-up is not observed
weights = np.where(treat == 1, 1.0, rng.choice([0.5, 1.0, 2.0], n))
pd.DataFrame({"treat": treat, "first": first, "followup": followup, "weights": weights}).to_csv("km_data.csv", index=False)
