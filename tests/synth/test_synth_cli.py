"""`virkning synth --programme`: the option reaches the generator, each programme's counts are printed, and a
wrong name exits 1 with the list of programmes."""

import json

from typer.testing import CliRunner

from virkning.cli import app

runner = CliRunner()


def test_programme_option(tmp_path):
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "f"), "--persons", "2000", "--programme", "frikommune"])
    assert res.exit_code == 0, res.output
    assert "2015-01-01 to 2019-12-31" in res.output and "comparison municipalities" in res.output
    assert json.loads((tmp_path / "f" / "truth.json").read_text())["programme"] == "frikommune"
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "s"), "--persons", "2000"])
    assert res.exit_code == 0 and "participants (first informationsmøde)" in res.output
    assert "programme" not in json.loads((tmp_path / "s" / "truth.json").read_text())  # Seniorvikar as before
    res = runner.invoke(app, ["synth", "--out", str(tmp_path / "x"), "--persons", "2000", "--programme", "flere"],
                        env={"COLUMNS": "300"})
    # a usage error since the choices are the option's type (shown in --help, issue 19)
    assert res.exit_code == 2 and "'flere' is not one of 'seniorvikar', 'flere_skal_med', 'frikommune'" in res.output
