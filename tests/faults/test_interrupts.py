"""An interrupt at any point leaves the earlier output as it was or the complete new one, never a mix, and no
temporary folders behind: at every step of the writer (in process), and with real signals to a running command."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from faultkit import fingerprint, previous_output
from virkning import outputs
from virkning.outputs import Files, write_folder


def new_files() -> Files:
    files = Files()
    for i in range(6):
        files.add(f"results/table{i}.csv", f"a,b\n{i},{i}\n".encode())
    files.add("report.html", b"<html>new</html>")
    files.add("manifest.json", json.dumps({"kind": "virkning-output", "files": files.hashes()}).encode())
    return files


def complete(out: Path) -> bool:
    """The folder is a whole output: its manifest lists every file with its hash, and nothing else is there."""
    m = json.loads((out / "manifest.json").read_text())
    listed = m.get("files", {})
    present = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    return set(listed) == present and all(
        hashlib.sha256((out / p).read_bytes()).hexdigest() == h for p, h in listed.items())


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


class Stop(KeyboardInterrupt):
    pass


@pytest.mark.parametrize("step", range(12))
def test_interrupt_at_every_step_of_the_writer(tmp_path, monkeypatch, step):
    out = previous_output(tmp_path / "out")
    before = fingerprint(out)
    calls = {"n": 0}

    def tick():
        calls["n"] += 1
        if calls["n"] == step + 1:
            raise Stop

    real_write, real_replace = Path.write_bytes, os.replace
    monkeypatch.setattr(Path, "write_bytes", lambda self, data: (tick(), real_write(self, data))[1])
    monkeypatch.setattr(outputs.os, "replace", lambda a, b: (tick(), real_replace(a, b))[1])
    try:
        write_folder(out, new_files())
        finished = True
    except Stop:
        finished = False
    monkeypatch.undo()
    assert not leftovers(tmp_path)
    if finished:
        assert complete(out)
    else:
        assert out.is_dir() and (fingerprint(out) == before or complete(out))


def test_a_failing_check_changes_nothing(tmp_path):
    out = previous_output(tmp_path / "out")
    before = fingerprint(out)

    def check(folder):
        raise outputs.DisclosureAuditError("found something")

    with pytest.raises(outputs.DisclosureAuditError):
        write_folder(out, new_files(), check)
    assert fingerprint(out) == before and not leftovers(tmp_path)


def _catches(status: Path, sig: int) -> bool:
    """Whether the process of /proc/<pid>/status has a handler of its own for `sig` (its SigCgt mask)."""
    try:
        line = next(x for x in status.read_text().splitlines() if x.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(line.split()[1], 16) >> (int(sig) - 1) & 1)


@pytest.mark.slow
# Signals once the program runs (a signal during Python's own start-up, before virkning is imported, ends it the
# way Python does): early in the run and late, near the write.
@pytest.mark.parametrize("sig,delay", [(signal.SIGINT, 2.0), (signal.SIGTERM, 2.0), (signal.SIGINT, 8.0)],
                         ids=["SIGINT-early", "SIGTERM-early", "SIGINT-late"])
def test_signal_to_a_running_evaluation(synth_folder, tmp_path, sig, delay):
    root = tmp_path / "case"
    root.mkdir()
    (root / "design.yaml").write_text(
        "participants:\n  event: informationsmøde\npool:\n  states: {-1: ledig, 0: ledig}\n"
        "covariates: [age, sex, weeks_ledig_52w]\noutcomes:\n  - name: exit_beskaeftiget\n"
        f"n_boot: 99\ndata:\n  folder: {synth_folder}\n", encoding="utf-8")
    out = previous_output(root / "out")
    before = fingerprint(out)
    env = dict(os.environ, VIRKNING_LOG_DIR=str(tmp_path / "logs"))
    proc = subprocess.Popen([sys.executable, "-m", "virkning.cli", "evaluate", str(root / "design.yaml"), "--out",
                             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # count the delay from when the command runs, that is once `cli.run` catches SIGTERM (the kernel's mask of
    # caught signals): a loaded machine can spend seconds in Python's start-up and imports, where a signal ends the
    # process the way Python does (waiting for DuckDB to be loaded was not enough: the imports go on after it)
    status = Path(f"/proc/{proc.pid}/status")
    for _ in range(600):
        if proc.poll() is not None or _catches(status, signal.SIGTERM):
            break
        time.sleep(0.1)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode in (0, 130), err.decode()
    assert b"Traceback" not in err
    assert not leftovers(root)
    if proc.returncode == 130:
        assert fingerprint(out) == before or complete(out)
    else:
        assert complete(out)


def test_a_signal_after_the_command_has_returned_leaves_its_exit_code():
    """A signal while the finished process shuts down (DuckDB's and Arrow's teardown take a few tenths of a second)
    killed it, exit -2, after its work was done. Sent here from an exit handler, which runs once `main` has returned,
    it changes nothing: the exit code is the command's and nothing is printed for it."""
    code = ("import atexit, os, signal, sys, time\n"
            "atexit.register(lambda: (os.kill(os.getpid(), signal.SIGINT), os.kill(os.getpid(), signal.SIGTERM),"
            " time.sleep(0.2)))\n"
            "from virkning.cli import main\n"
            "sys.argv = ['virkning', 'synth', '--help']\n"
            "main()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Usage: virkning synth" in proc.stdout
    assert b"KeyboardInterrupt" not in proc.stderr and b"Traceback" not in proc.stderr


def test_an_interrupt_lost_in_a_collector_callback_is_delivered_again(tmp_path):
    # A signal's KeyboardInterrupt raised inside a weakref callback (or a __del__ the garbage collector runs) cannot
    # propagate: Python prints "Exception ignored" with a traceback and goes on, and the command used to finish as
    # if never interrupted. It must be delivered again and end the command as an interruption does: 130, no
    # traceback. The command here raises the signal inside such a callback, then works on for two seconds.
    script = tmp_path / "lost.py"
    script.write_text(textwrap.dedent("""
        import signal, sys, time, weakref
        from virkning import cli

        @cli.app.command("spin")
        def spin() -> None:
            class Thing:
                pass
            thing = Thing()
            ref = weakref.ref(thing, lambda r: signal.raise_signal(signal.SIGINT))
            del thing  # the callback runs here, and the interrupt is raised inside it
            for _ in range(200):
                time.sleep(0.01)
            print("finished")

        sys.exit(cli.run(["spin"]))
    """), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=120)
    assert done.returncode == 130, done.stderr.decode()
    assert b"Traceback" not in done.stderr and b"finished" not in done.stdout
    assert b"interrupted: nothing was written" in done.stderr
