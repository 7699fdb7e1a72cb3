"""A frikommune experiment in the synthetic registers: an interview rule for insured unemployed people, started
at staggered dates in 9 trial municipalities, 18 comparison municipalities, and the true effects on register
indicators and person outcomes (seed 002). `design` (the rule, the units, the twins), `interviews` (`samtale`
events), `indicators` (indicator sums and the effect tables). Run it with `generate(..., programme="frikommune")`.
"""
