"""What an output reveals about counts of persons, declared by the analysis that publishes it.

An analysis describes its published tables to the gate with a `Model`:

- cells: every count of persons the output shows (`count`) or lets a reader compute (`latent`: e.g. the persons
  who are not in a level when a share of a known group is shown), each with a key naming the group it counts. The
  same key in two tables is the same number: hiding it hides it everywhere;
- relations: linear equalities between cells that a reader knows: a total and its parts (`total`: units and the
  whole, levels of a category and the group, a step of a flow and the next step plus those removed, a cumulative
  count and the month's count), and the relation a published share creates (`share`: numerator = share x
  denominator);
- series: curves whose points may only be published when what happened since the last published point (events,
  censorings) is 0 or at least the threshold (`series`);
- dependents: published numbers computed from others (a difference, its interval, an SMD) that must be hidden
  when any of them is (`depends`);
- fixed cells: counts an earlier output of the same programme already published (last month's status report):
  they cannot be taken back, so the gate protects around them;
- costs: what withholding a count loses (default 1). Secondary suppression withholds the cheapest numbers that
  protect, so an analysis gives a high cost to the counts its results rest on (the matched sample of an effect
  evaluation) and the gate withholds an intermediate row of a flow instead.

Places are (table, row, column) of the output's data frames; the gate blanks the places of what it hides.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

Key = Hashable


@dataclass(frozen=True)
class Place:
    table: str
    row: int
    column: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row + 1}, {self.column}"


@dataclass
class Relation:
    """sum(coef * cell) = 0; `places` are where the share that creates it is printed (hiding it drops the relation
    and blanks every place)."""

    coefs: dict[Key, float]
    places: list[Place] = field(default_factory=list)
    kind: str = "total"  # total | share


@dataclass
class SeriesPoint:
    places: tuple[Place, ...]
    increments: dict[str, float]  # counts since the previous point (events, censorings...)
    label: str = ""


@dataclass
class Series:
    name: str
    points: list[SeriesPoint]


@dataclass
class Model:
    cells: dict[Key, float] = field(default_factory=dict)
    places: dict[Key, list[Place]] = field(default_factory=dict)  # shown cells and where they are printed
    latent: set[Key] = field(default_factory=set)
    signed: set[Key] = field(default_factory=set)
    totals: set[Key] = field(default_factory=set)  # margins: the gate hides inner cells before them
    bounds: dict[Key, tuple[float, float]] = field(default_factory=dict)  # what is known of withheld counts
    fixed: set[Key] = field(default_factory=set)
    fixed_hidden: set[Key] = field(default_factory=set)
    relations: list[Relation] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    dependents: list[tuple[tuple[Place, ...], tuple]] = field(default_factory=list)  # (places, keys or places)
    notes: list[str] = field(default_factory=list)
    costs: dict[Key, float] = field(default_factory=dict)  # what withholding a count loses (default 1)
    _shares: dict = field(default_factory=dict, repr=False)

    # ---- cells ---------------------------------------------------------------------------------------------------
    def _value(self, key: Key, value) -> None:
        if value is None or value != value:  # NaN: nothing to protect
            return
        old = self.cells.get(key)
        if old is not None and abs(float(old) - float(value)) > 1e-9:
            raise ValueError(f"disclosure model: cell {key!r} declared with two values ({old} and {value})")
        self.cells[key] = float(value)

    def count(self, place: Place, key: Key, value) -> Key:
        """A count of persons printed at `place`."""
        self._value(key, value)
        if key in self.cells:
            self.places.setdefault(key, []).append(place)
        return key

    def latent_count(self, key: Key, value, signed: bool = False) -> Key:
        """A count of persons the output does not print but lets a reader compute; `signed` for a change between
        two counts, which may be negative (e.g. persons who left a group since last month)."""
        self._value(key, value)
        if key in self.cells and key not in self.places:
            self.latent.add(key)
            if signed:
                self.signed.add(key)
        return key

    def published_before(self, key: Key, value, shown: bool, bounds: tuple[float, float] | None = None) -> Key:
        """A count an earlier output printed (`shown`) or withheld; either way this output must agree with it. For a
        withheld count, `bounds` is what the earlier outputs let a reader know of it (its derivable range)."""
        self._value(key, value)
        (self.fixed if shown else self.fixed_hidden).add(key)
        if not shown and bounds is not None:
            self.bounds[key] = bounds
        return key

    def cost(self, key: Key, weight: float) -> None:
        """What withholding this count loses, relative to the default 1: secondary suppression withholds cheaper
        numbers first (the highest weight declared for a key counts)."""
        if not weight > 0:
            raise ValueError(f"disclosure model: the cost of withholding {key!r} must be positive, got {weight}")
        self.costs[key] = max(float(weight), self.costs.get(key, 0.0))

    # ---- relations -----------------------------------------------------------------------------------------------
    def total(self, total: Key, parts: Iterable[Key]) -> None:
        """total = sum(parts), for cells already declared (undeclared parts are skipped: they hold no count)."""
        parts = [p for p in parts if p in self.cells]
        if total not in self.cells or not parts:
            return
        coefs: dict[Key, float] = {total: 1.0}
        for p in parts:
            coefs[p] = coefs.get(p, 0.0) - 1.0
        self.relations.append(Relation(coefs))
        if len(parts) > 1:
            self.totals.add(total)

    def difference(self, larger: Key, smaller: Key, gap: Key) -> None:
        """larger = smaller + gap, declaring the gap as a latent count (persons removed by a step, a month's
        increment of a cumulative count)."""
        # a smaller count above the larger one says the groups are not nested (e.g. all respondents of a survey
        # against the population registered so far): then the gap is no group of persons and no relation holds
        if larger in self.cells and smaller in self.cells and self.cells[larger] >= self.cells[smaller]:
            self.latent_count(gap, self.cells[larger] - self.cells[smaller])
            self.total(larger, [smaller, gap])

    def share(self, place: Place, numerator: Key, denominator: Key, complement: Key | None = None) -> None:
        """A published share numerator / denominator at `place`: with the denominator known, the numerator is, and
        so is the rest of the group (`complement`, declared as a latent count when given)."""
        if numerator in self.cells and denominator in self.cells and self.cells[denominator] > 0:
            same = self._shares.get((numerator, denominator))
            if same is not None:  # the same share printed again (e.g. in two tables): one relation, two places
                same.places.append(place)
                return
            ratio = self.cells[numerator] / self.cells[denominator]
            rel = Relation({numerator: 1.0, denominator: -ratio}, places=[place], kind="share")
            self._shares[(numerator, denominator)] = rel
            self.relations.append(rel)
            if complement is not None:
                self.difference(denominator, numerator, complement)
        else:
            self.depends([place], [numerator, denominator])

    def depends(self, places: Sequence[Place], on: Iterable) -> None:
        """`places` are computed from `on` (keys or places): hidden when any of them is."""
        self.dependents.append((tuple(places), tuple(on)))

    def add_series(self, name: str, points: list[SeriesPoint]) -> None:
        self.series.append(Series(name, points))
