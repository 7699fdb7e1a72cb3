"""The portal's suite again on PostgreSQL: a throwaway cluster (Debian's postgresql binaries, run as a non-root
user), an application role that is no superuser (so row-level security binds it), and a child pytest run of every
portal test with VIRKNING_PORTAL_TEST_DATABASE pointing at it. Skipped when PostgreSQL is not installed, unless
VIRKNING_REQUIRE_POSTGRES=1 (as .ci/run sets)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


_BIN = pg_bindir()
_missing = None if _BIN else "needs PostgreSQL (Debian package postgresql; .ci/run installs it)"
if _missing and os.environ.get("VIRKNING_REQUIRE_POSTGRES") == "1":
    raise RuntimeError(f"VIRKNING_REQUIRE_POSTGRES=1 but {_missing}")
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(bool(_missing), reason=_missing or "")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str], user: str | None, **kw) -> subprocess.CompletedProcess:
    """PostgreSQL refuses to run as root: as root, run the command as `user`."""
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kw)


@pytest.fixture(scope="module")
def cluster():
    """(database URL for the application role, the cluster's log); the cluster is removed afterwards."""
    user = None
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
    root = Path(tempfile.mkdtemp(prefix="virkning-pg-"))
    os.chmod(root, 0o755)
    data, log = root / "data", root / "server.log"
    if user:
        shutil.chown(root, user)
    port = _free_port()
    try:
        _as_owner([str(_BIN / "initdb"), "-D", str(data), "-U", "admin", "--auth=trust", "-E", "UTF8",
                   "--no-locale"], user)
        _as_owner([str(_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                   f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off", "start"], user)
        psql = str(_BIN / "psql") if (_BIN / "psql").exists() else "psql"
        sql = ("CREATE ROLE virkning_app LOGIN PASSWORD 'app-pw' CREATEDB NOSUPERUSER NOBYPASSRLS; "
               "CREATE DATABASE virkning_portal OWNER virkning_app;")
        for stmt in sql.split("; "):
            subprocess.run([psql, "-h", "127.0.0.1", "-p", str(port), "-U", "admin", "-d", "postgres", "-v",
                            "ON_ERROR_STOP=1", "-c", stmt], check=True, capture_output=True, timeout=60)
        yield f"postgresql://virkning_app:app-pw@127.0.0.1:{port}/virkning_portal", log
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run((["runuser", "-u", user, "--"] if user else []) +
                           [str(_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_portal_suite_on_postgresql(cluster):
    url, log = cluster
    env = dict(os.environ, VIRKNING_PORTAL_TEST_DATABASE=url, VIRKNING_PORTAL_EXPECT_POSTGRES="1")
    here = Path(__file__).resolve().parent
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "pytest", str(here), "-m", "not postgres", "-q", "-p",
                          "no:cacheprovider", "-o", "addopts="], env=env, capture_output=True, text=True,
                         timeout=600, cwd=here.parents[3])
    tail = "\n".join((run.stdout + run.stderr).splitlines()[-60:])
    assert run.returncode == 0, f"portal suite failed on PostgreSQL:\n{tail}"
    if os.environ.get("VIRKNING_REQUIRE_BROWSER") == "1":  # in CI nothing of the suite may be skipped there
        assert "skipped" not in run.stdout.splitlines()[-1], tail
    print(f"portal suite on PostgreSQL: {run.stdout.splitlines()[-1]} ({time.perf_counter() - started:.0f} s)")
