#!/bin/sh
# Build MatchIt 4.5.1 with two upstream bug fixes into a private R library, for make_reference.R.
#
#   sh tests/reference/matchit/build_matchit_fixed.sh SOURCE LIBDIR
#
# SOURCE: the MatchIt 4.5.1 sources, a directory or MatchIt_4.5.1.tar.gz (CRAN archive, or the upstream git
# repository kosukeimai/MatchIt at commit 9762dc6 "Updates for submission").
# LIBDIR: an empty directory that becomes the R library holding the patched build.
#
# Both patches touch src/nn_matchC_vec.cpp only, the nearest-neighbour routine for a distance vector:
# 1. abs( -> std::abs( : with GCC, abs() on a double resolved to the integer abs, so distances were compared
#    after truncation to integers (fixed upstream in 4.5.4: "calipers would not work properly on some
#    systems", issue #163).
# 2. check_in(d_ord[k], row) -> check_in(d_ord[k] + 1, row): the controls already matched to a treated unit
#    are stored 1-based but were looked up 0-based, so with ratio > 1 the unit could receive the same control
#    again (with replacement) or skip an unrelated one (fixed upstream in 4.5.3, issue #159).
set -eu
src=$1
lib=$2
work=$(mktemp -d)
if [ -d "$src" ]; then cp -R "$src" "$work/MatchIt"; else tar -xzf "$src" -C "$work"; fi
f="$work/MatchIt/src/nn_matchC_vec.cpp"
sed -i 's/\([^:]\)abs(/\1std::abs(/g; s/check_in(d_ord\[k\], row)/check_in(d_ord[k] + 1, row)/g' "$f"
grep -q "std::abs(distance\[k_left\] - dti)" "$f"
test "$(grep -c 'check_in(d_ord\[k\] + 1, row)' "$f")" -eq 2
mkdir -p "$lib"
R CMD INSTALL --no-docs --no-multiarch --library="$lib" "$work/MatchIt"
rm -rf "$work"
