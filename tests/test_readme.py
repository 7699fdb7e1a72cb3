"""The README's Python code runs as written (issue 19): every ```python block, in an empty folder."""

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run(tmp_path, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "the README has no python block"
    here = os.getcwd()
    os.chdir(tmp_path)  # the snippet writes its synthetic registers to ./data
    try:
        namespace: dict = {}
        for code in blocks:
            exec(compile(code, str(README), "exec"), namespace)
    finally:
        os.chdir(here)
    # the snippet's data frame has a true effect of 800 on re78: the estimate lies within 4 standard errors
    effect = namespace["m"].effect("re78")
    assert abs(effect.att - 800) < 4 * effect.se
    assert len(namespace["X"]) == 100 and "origin_group" in namespace["X"]
