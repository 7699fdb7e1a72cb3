"""Outcomes without matching (seed 001, Flere skal med): groups from case-system records and register rules,
outcome trajectories by month since each person's index, units compared (size and volume bands, the spread of
unit shares, a success criterion per unit), seniority bands and linear probability models.

    spec       the `trajectories:` section of the design file           -> `TrajectoriesSpec`, `compile_trajectories`
    compute    groups, month outcomes, curves, units, seniority          -> `run_design`, `TrajectoryResult`
    lpm        Tabel 4-4: linear probability models of the group's outcomes
    publish    the tables, what they reveal to the disclosure gate      -> `publish`
    sections   the report sections (Danish and English) and figures    -> `render`

docs/trajectories.md describes the methods and choices.
"""

from __future__ import annotations

from virkning.analyses.base import Context, Kind
from virkning.analyses.trajectories.compute import TrajectoryResult, run_design
from virkning.analyses.trajectories.spec import TrajectoriesSpec, TrajectoryDesign, compile_trajectories


def run(design, ctx: Context) -> TrajectoryResult:
    """The trajectories analysis of a checked design (`virkning.design.Design`) on the context's registers."""
    return run_design(design.analyses["trajectories"], ctx)


def publish(result: TrajectoryResult, threshold: int):
    from virkning.analyses.trajectories.publish import publish as _publish

    return _publish(result, threshold)


def render(output, language: str, numbering=None):
    from virkning.analyses.trajectories.sections import trajectory_sections

    return trajectory_sections(dict(output.bundle), language, numbering)


KIND = Kind(key="trajectories", title=("Forløb uden matching", "Trajectories without matching"),
            spec=TrajectoriesSpec, section="trajectories", command="evaluate", compile=compile_trajectories,
            run=run, publish=publish, render=render)

__all__ = ["KIND", "TrajectoriesSpec", "TrajectoryDesign", "TrajectoryResult", "compile_trajectories", "run_design",
           "publish", "render", "run"]
