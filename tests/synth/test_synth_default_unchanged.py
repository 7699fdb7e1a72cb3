"""The default output must not change when programmes are added: file hashes of small runs, recorded before.

The hashes were taken from `main` at 01c88f8 (before the Flere-skal-med and frikommune programmes existed) with the
pinned numpy 2.4.6, pandas 3.1.1 and pyarrow 26.0.1. Parquet files carry the writer's version in their metadata, so
a pyarrow upgrade changes the Parquet hashes but not the CSV ones or truth.json: re-record them then (the
generator's own change log must say the data did not change). A failure after a change to `virkning.synth` means
the Seniorvikar registers changed, which breaks every stored reference number taken from them.

truth.json of the seniors run was re-recorded once with the registers unchanged: the true effects are now measured
from the month of the meeting week's Thursday, the index month the analysis uses for participants and pool alike.
"""

from __future__ import annotations

import hashlib

import pytest

from virkning.synth import generate

RECORDED = {
    "parquet": (
        {"persons": 12_000, "seed": 2018},
        {
            "benefits.parquet": "87c9b3c485e2d738167f2d2943754e0d3468713de07c898f1ffc9c644279fc37",
            "employment.parquet": "9667ef5eb5281933a65bd3f68f18a64f58af286b7c29e23710a1a6b2effe3943",
            "events.parquet": "e079c4353b84eb4008a8546a61665044244404b112be5acb94f16245549ef7bc",
            "persons.parquet": "277043469b02cce2aa01f6abfd5cc21bd1a2987ffe00429e05f6d4e428a576f9",
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
            "benefits.parquet": "dc3af92afb8fade564ba5d63c4500bce630d8ecf5ad588ecf29fdc5085dcfdf7",
            "employment.parquet": "6198a44cad3d9f47157d0d21cfb03ee00dfd3713d4df2342bb5a488f68abb553",
            "events.parquet": "d984bb47f6e0413cedff3cfd0c037d0f01a41787f7f50d4a15cfe6faeba682b0",
            "persons.parquet": "49eb6ffca4640a06b96cf319e7bce19e0d7c9383324a68b125a800d8ab10859d",
            "truth.json": "4547baf79e8372e0bdf4781cc0267ddb9abfeaa7233190bcb5eb35d5e8d0dbb3",  # index month: Thursday's
        },
    ),
}


@pytest.mark.parametrize("case", sorted(RECORDED))
def test_default_programme_output_is_byte_identical(tmp_path, case):
    kwargs, expected = RECORDED[case]
    generate(tmp_path / case, **kwargs)
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((tmp_path / case).iterdir())}
    assert got == expected
