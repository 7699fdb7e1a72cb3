"""The synthetic registration sheet is the same bytes for the same seed on any day and at any second (its workbook
was stamped with the clock)."""

import shutil
import time

import pytest


@pytest.mark.parametrize("seed", [3])
def test_same_seed_same_registration_workbook(synth_folder, tmp_path, seed):
    from virkning.synth.sheets import write_monitoring_data

    written = []
    for run in ("a", "b"):
        folder = tmp_path / run
        folder.mkdir()
        for p in synth_folder.iterdir():
            if p.is_file() and p.suffix in (".json", ".parquet", ".csv"):
                shutil.copy(p, folder / p.name)
        write_monitoring_data(folder, seed=seed)
        written.append((folder / "registration.xlsx").read_bytes())
        time.sleep(1.1)  # the zip entries' times and docProps/core.xml count seconds
    assert len(written[0]) > 10_000 and written[0] == written[1]
