"""Defaults declared once: every module that needs one of these numbers imports it from here.

DISCLOSURE_THRESHOLD: the smallest number of persons a published number may rest on (Statistics Denmark's rule
of at least 5 units per cell); a design file may raise it, never lower it below 3.
SMD_THRESHOLD: an absolute standardised mean difference above this marks a covariate as imbalanced (the common
rule of thumb, also cobalt's default `m.threshold` in practice).
VR_THRESHOLD: a variance ratio (treated / control) above this or below its inverse marks a continuous covariate
(cobalt's `v.threshold`; 2 is the common rule that the ratio should lie between 0.5 and 2, Rubin 2001).
KS_THRESHOLD: a Kolmogorov-Smirnov statistic (largest distance between the groups' eCDFs) above this marks a
covariate (cobalt's `ks.threshold`; cobalt sets no default, 0.1 follows the SMD rule's scale).
"""

DISCLOSURE_THRESHOLD = 5
MIN_DISCLOSURE_THRESHOLD = 3
SMD_THRESHOLD = 0.1
VR_THRESHOLD = 2.0
KS_THRESHOLD = 0.1
SEED = 2018
N_BOOT = 499
HORIZON_MONTHS = 7
# Upper bounds of resource options (why: in design/types.py, where they are checked).
MAX_HORIZON = 120
MAX_BOOT = 10_000
MAX_RATIO = 20
MAX_DISCLOSURE_THRESHOLD = 100
