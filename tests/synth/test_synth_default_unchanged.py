"""The default output must not change when programmes are added: hashes of small runs, recorded before.

CSV files and truth.json are compared byte for byte. Parquet files are compared by content: the SHA-256 of the
table read back in the declared column types (writer.SCHEMAS) and written as CSV, because how a file encodes its
values (the writer's version in its metadata, the order of a dictionary page) is not data. The CSV hashes were taken
from `main` at 01c88f8 (before the Flere-skal-med and frikommune programmes existed) with the pinned numpy 2.4.6,
pandas 3.1.1 and pyarrow 26.0.1; the Parquet content hashes from the files that code wrote (byte hashes until the
writer passed text as dictionary codes). A failure after a change to `virkning.synth` means the Seniorvikar
registers changed, which breaks every stored reference number taken from them.

truth.json of the seniors run was re-recorded once with the registers unchanged: the true effects are now measured
from the month of the meeting week's Thursday, the index month the analysis uses for participants and pool alike.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from virkning.synth import generate
from virkning.synth.writer import SCHEMAS

RECORDED = {
    "parquet": (
        {"persons": 12_000, "seed": 2018},
        {
            "benefits.parquet": "123ef534c482516a003f117c78b18c85b7d268bf51e703a88ceeb0ee2a142aa5",
            "employment.parquet": "a544747065dcce059e835f6f231724371247daa0958d87bb10d3386b9b39635a",
            "events.parquet": "7a214543a3f219344d11878511c6de7692e28ea84916c502bde04dad79fe176c",
            "persons.parquet": "7bda6c41cd8b7ded94316bd1ee7fb9107f4117d5c643e164a1dfb3e8f8a261e6",
            "truth.json": "89c17b28f87b47af032a0b13ab0c515b659b8e0ee28df3fca0b624fff75ce575",
        },
    ),
    "csv": (
        {"persons": 6_000, "seed": 5, "fmt": "csv"},
        {
            "benefits.csv": "280f2415b69247612eed634c01474b942d1dd73a2f67793ef91a8fad2979a91c",
            "employment.csv": "dd04527e98d1465f5387e313e31b781241057fe5b7aba63055360bcc83408ea0",
            "events.csv": "6e99529dabda7bcdad6f6f11b50212b1ca355e68c4df245082d969251607755f",
            "persons.csv": "d7c5e84735aa585ae87a13c7a71e0d2ced9ffa9a6124e19a67b03dae81bd6e27",
            "truth.json": "3f539e8a2f205ebf179375bacd582479498029cb762278143b4f21b7fb94a7b8",
        },
    ),
    "seniors": (
        {"persons": 6_000, "seed": 7, "population": "seniors"},
        {
            "benefits.parquet": "c3dd714001a36c08d71f6deedd0dfb45d54a92ecb504571552977684d5d88b12",
            "employment.parquet": "de265117b9104e4f2969e2097a0cc94a5a9487070b134419b751bf6277b8dad9",
            "events.parquet": "fda60c0799d0b4bff4c224b5f6da4e90777bbba245d68a9359e0455f8e6d1096",
            "persons.parquet": "8c2a58248cb5d9e01b03c7bac1877614b2d30191a7f8dbf31647d659686b7763",
            "truth.json": "4547baf79e8372e0bdf4781cc0267ddb9abfeaa7233190bcb5eb35d5e8d0dbb3",  # index month: Thursday's
        },
    ),
}


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_default_programme_output_is_byte_identical(tmp_path, case):
    kwargs, expected = RECORDED[case]
    generate(tmp_path / case, **kwargs)
    got = {p.name: _digest(p) for p in sorted((tmp_path / case).iterdir())}
    assert got == expected


def _digest(path: Path) -> str:
    if path.suffix != ".parquet":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    values = io.BytesIO()
    pacsv.write_csv(pq.read_table(path).cast(SCHEMAS[path.stem]), values)
    return hashlib.sha256(values.getvalue()).hexdigest()
