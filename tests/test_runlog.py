"""What a run tells its user (issue 19): warnings summarised at the end, choices in --help, the variant and
bootstrap progress (tests/analyses/effect/test_pipeline.py and tests/estimate/test_curves.py check those)."""

import re
import typing
import warnings

import pytest
from rich.console import Console
from typer.testing import CliRunner

from virkning import cli, cli_evidence
from virkning.runlog import Lines, WarningLog


class Caveat(UserWarning):
    pass


def test_warnings_are_shown_once_each_and_summarised():
    err = Console(record=True, width=200, force_terminal=False)
    with WarningLog(err) as log:
        warnings.simplefilter("always")
        for _ in range(3):
            warnings.warn("few controls in  some\ncells", Caveat)
        warnings.warn("another", RuntimeWarning)
    shown = err.export_text().splitlines()
    assert len(shown) == 4 and all(re.match(r"^\d\d:\d\d:\d\d warning: ", s) for s in shown)
    assert log.summary() == ["4 warnings in this run (2 distinct):",
                             "- Caveat: few controls in some cells (3 times)",
                             "- RuntimeWarning: another"]
    assert WarningLog(err).summary() == []
    # the filters are restored afterwards: the run's "always" does not leak
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")
        warnings.warn("quiet", Caveat)
    assert caught == []


def test_run_ends_with_the_summary(monkeypatch, capsys):
    def app(**kw):
        warnings.warn("bootstrap: 2 of 99 replicates failed", Caveat)
        warnings.warn("bootstrap: 2 of 99 replicates failed", Caveat)
        return 0

    monkeypatch.setattr(cli, "app", app)
    assert cli.run([]) == 0
    err = capsys.readouterr().err
    # shown when they arise (how often depends on the filters: pytest shows each), then one closing line each
    assert re.search(r"\d warnings? in this run \(1 distinct\):\n- Caveat: bootstrap: 2 of 99 replicates failed"
                     r"( \(2 times\))?$", err.rstrip()), err


def test_lines_skip_a_repeated_step():
    err = Console(record=True, width=200, force_terminal=False)
    with Lines(err, "Evaluating ...") as s:
        s.update("Evaluating ...")
        s.update("Evaluating: variant 1 of 4: kun opskrevne: matching ...")
    lines = err.export_text().splitlines()
    assert len(lines) == 2 and lines[1].endswith("variant 1 of 4: kun opskrevne: matching ...")


def _choices(command, option: str) -> tuple[str, ...]:
    hint = typing.get_type_hints(command)[option]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return typing.get_args(args[0]) if args and typing.get_origin(args[0]) is typing.Literal else typing.get_args(hint)


def test_choices_are_the_package_lists_and_shown_in_help():
    from virkning.evidence.report.data import RULES
    from virkning.indicators import PERIODS, TARGET_GROUPS
    from virkning.registers.engine import ENGINES
    from virkning.report.render import LANGUAGES
    from virkning.synth.runner import POPULATIONS, PROGRAMMES

    assert _choices(cli.synth, "programme") == PROGRAMMES
    assert _choices(cli.synth, "population") == tuple(POPULATIONS)
    assert _choices(cli.indicators, "period") == tuple(PERIODS)
    assert _choices(cli.indicators, "target") == tuple(TARGET_GROUPS)
    for command in (cli_evidence.evidence_check, cli_evidence.evidence_report):
        assert _choices(command, "rule") == RULES
    for command in (cli_evidence.evidence_report, cli.indicators):
        assert _choices(command, "language") == LANGUAGES
    for command in (cli.validate, cli.evaluate, cli.monitor):
        assert _choices(command, "engine") == ENGINES
    runner = CliRunner()
    for args, shown in ((["synth", "--help"], "<parquet|csv>"), (["evaluate", "--help"], "<duckdb|spark>"),
                        (["evidence", "report", "--help"], "<default|jobeffekter>"),
                        (["indicators", "--help"], "<month|quarter|half-year|year>")):
        res = runner.invoke(cli.app, args, env={"COLUMNS": "200"})
        assert res.exit_code == 0 and shown in res.output, (args, res.output)


def test_version():
    from virkning import __version__

    res = CliRunner().invoke(cli.app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == __version__


@pytest.mark.parametrize("bad", [["--engine", "oracle"]])
def test_a_value_outside_the_choices_is_a_usage_error(tmp_path, bad):
    res = CliRunner().invoke(cli.app, ["evaluate", str(tmp_path / "d.yaml"), "--out", str(tmp_path / "o"), *bad],
                             env={"COLUMNS": "300"})
    assert res.exit_code == 2 and "'oracle' is not one of 'duckdb', 'spark'" in res.output


def test_the_spinner_shows_square_brackets_as_written():
    """rich's spinner reads its text as markup; a design's names may hold square brackets."""
    import io
    import time

    from virkning import runlog

    buf = io.StringIO()
    terminal = Console(file=buf, force_terminal=True, markup=False, width=80)
    with runlog.status(terminal, terminal, "variant [x]") as s:
        time.sleep(0.2)
        s.update("variant [bold]y[/bold]")
        time.sleep(0.2)
    assert "variant [x]" in buf.getvalue() and "variant [bold]y[/bold]" in buf.getvalue()
