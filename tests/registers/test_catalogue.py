import re

import pandas as pd
import pytest

from virkning.errors import CatalogueError
from virkning.registers.catalogue import STATES, load_catalogue

SEED_CODES = {
    "ledig": ["111", "115", "121", "213", "214", "215", "216", "217", "218", "219"],
    "efterløn": ["621"], "fleksydelse": ["622"], "førtidspension": ["783"],
    "udvandret": ["997"], "folkepension": ["998"], "død": ["999"],
}


def test_shipped_catalogue_has_every_seed_code_with_its_state():
    cat = load_catalogue()
    state = cat.state_of()
    for s, codes in SEED_CODES.items():
        for code in codes:
            assert state[code] == s, code
    assert set(cat.codes("tilbagetrukket")) >= {"621", "622", "783", "997", "998", "999"}
    assert set(cat.table["state"]) <= set(STATES)
    assert cat.table["source"].str.strip().ne("").all()
    assert len(cat) >= 100


def test_groups():
    cat = load_catalogue()
    assert "111" in cat.codes("passiv_ledig") and "213" not in cat.codes("passiv_ledig")
    assert "213" in cat.codes("aktiv")
    assert "999" not in cat.codes("ydelse") and "111" in cat.codes("ydelse")
    with pytest.raises(CatalogueError, match="not a state or group"):
        cat.codes("arbejdsløs")


def test_user_override_replaces_and_adds(tmp_path):
    path = tmp_path / "mine.csv"
    pd.DataFrame(
        {"code": ["121", "555"], "label": ["Feriedagpenge", "Lokal kode"], "state": ["andet", "kontanthjælp"],
         "activation": ["0", "0"], "benefit": ["1", "1"], "retirement": ["0", "0"], "source": ["own", "own"]}
    ).to_csv(path, index=False)
    base = load_catalogue()
    cat = load_catalogue(path)
    assert cat.state_of()["121"] == "andet" and cat.state_of()["555"] == "kontanthjælp"
    assert len(cat) == len(base) + 1


def test_broken_user_catalogue_names_row_and_rule(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,label,state,activation,benefit,retirement,source\n12,x,ledig,0,1,0,s\n130,y,arbejdsløs,0,1,0,s\n")
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(path)
    msg = str(exc.value)
    assert "row 1, column 'code'" in msg and "row 2, column 'state'" in msg


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\xff\xfe\x00c\x00o", "not UTF-8 text (byte 0)"),
    (b'code,label\n"111,x\n', "not a readable CSV"),
    (None, "is a folder"),
])
def test_an_unreadable_catalogue_is_named(tmp_path, content, message):
    """A user's catalogue that is no CSV at all gets a catalogue error naming the file, not an internal error."""
    path = tmp_path / "codes.csv"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    with pytest.raises(CatalogueError, match=re.escape(f"codes.csv: {message}")):
        load_catalogue(path)
