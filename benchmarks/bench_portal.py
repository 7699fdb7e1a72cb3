"""Load test of the portal on loopback: N concurrent job-centre users register citizens and read their unit's
status for a bounded time, then the registrations are counted in the database (none lost, none duplicated).

    python benchmarks/bench_portal.py                      # 50 users, 60 s, SQLite in a temporary folder
    python benchmarks/bench_portal.py --users 10 --seconds 10 --database postgresql://app:pw@127.0.0.1:5432/db

Traffic goes only to 127.0.0.1 (a `virkning portal` server started here); every loop stops at the deadline.
Each user logs in, then repeats: register a new citizen through the JSON API (POST, CSRF token), read the unit's
status as JSON, open the status page. Prints throughput, latency percentiles per request kind and errors.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DESIGN = ROOT / "src" / "virkning" / "examples" / "seniorvikar" / "design.yaml"
PASSWORD = "bench-password-2018"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(users: int, units: int) -> list[tuple[str, int]]:
    """Programme, units and one job-centre user per simulated person; returns (user name, unit id)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from virkning.portal.models import Profile, Programme, Unit

    programme = Programme.objects.create(name="Seniorvikar", design_path=str(DESIGN))
    unit_list = [Unit.objects.create(programme=programme, name=f"Seniorvikar Enhed {i + 1:02d}") for i in range(units)]
    hashed = make_password(PASSWORD)  # one argon2 hash for all: seeding is not what is measured
    out = []
    for i in range(users):
        user = get_user_model().objects.create(username=f"bruger{i:03d}", password=hashed)
        unit = unit_list[i % units]
        Profile.objects.create(user=user, role="jobcenter").units.set([unit])
        out.append((user.username, unit.pk))
    return out


class Session:
    """A browser-like HTTP session by hand: Secure cookies are kept although the loopback server speaks HTTP."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        h = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=h)
        resp = self.conn.getresponse()
        data = resp.read()
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return resp.status, data

    def login(self, username: str) -> None:
        status, page = self.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}".encode()
        status, _ = self.request("POST", "/login/", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                           "Referer": "http://127.0.0.1/login/"})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")


def worker(port: int, username: str, unit: int, index: int, seconds: float, results: list, lock, ready):
    s = Session(port)
    local = []
    try:
        s.login(username)
    except Exception as exc:  # counted as an error of kind login
        with lock:
            results.append(("login", 0.0, repr(exc)[:80]))
        ready.wait()
        return
    ready.wait()  # every user logged in (argon2 hashing is slow by design): the measured traffic starts together
    deadline = time.perf_counter() + seconds
    seq = 0
    while time.perf_counter() < deadline:
        seq += 1
        # a unique, synthetic CPR number per (user, sequence): day 01-28, month from the user, year 50-64
        cpr = f"{seq % 28 + 1:02d}{index % 12 + 1:02d}{50 + seq // 28 % 15:02d}{(index * 97 + seq // 420) % 10000:04d}"
        body = json.dumps({"unit": unit, "cpr": cpr, "data": {
            "indkaldelsesdato": "2018-03-01", "deltaget": "ja", "moededato": "2018-03-08", "opskrevet": "ja",
            "opskrivningsdato": "2018-03-10"}}).encode()
        for kind, method, path, payload in (
                ("register", "POST", "/api/registreringer/", body),
                ("status_api", "GET", f"/api/status/{unit}/?maaned=2018-03", None),
                ("status_page", "GET", f"/status/{unit}/?maaned=2018-03", None)):
            if time.perf_counter() >= deadline:
                break
            t0 = time.perf_counter()
            try:
                headers = {"Content-Type": "application/json", "X-CSRFToken": s.cookies.get("csrftoken", ""),
                           "Referer": "http://127.0.0.1/"} if method == "POST" else {}
                status, _ = s.request(method, path, payload, headers)
                ok = status == (201 if kind == "register" else 200)
                local.append((kind, time.perf_counter() - t0, None if ok else f"HTTP {status}"))
            except Exception as exc:
                local.append((kind, time.perf_counter() - t0, repr(exc)[:80]))
                s = Session(port)
                s.login(username)
    with lock:
        results.extend(local)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--units", type=int, default=10)
    ap.add_argument("--database", default=None, help="postgresql://... (default: SQLite in a temporary folder)")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    os.environ.update(VIRKNING_PORTAL_REQUIRE_2FA="0")
    from virkning.portal.server import configure, migrate

    configure(home, args.database)
    migrate()
    from virkning.portal.scoping import system_scope

    with system_scope():
        accounts = seed(args.users, args.units)
    port = free_port()
    env = dict(os.environ, VIRKNING_PORTAL_HOME=str(home))
    if args.database:
        env["VIRKNING_PORTAL_DATABASE"] = args.database
    server = subprocess.Popen([sys.executable, "-m", "virkning.cli", "portal", "--home", str(home), "--port",
                               str(port)] + (["--database", args.database] if args.database else []),
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"the portal server exited with code {server.returncode} before it listened")
                time.sleep(0.2)
        else:
            raise SystemExit(f"the portal server did not listen on port {port} within a minute")
        results: list = []
        lock = threading.Lock()
        ready = threading.Barrier(len(accounts) + 1)
        threads = [threading.Thread(target=worker, args=(port, u, unit, i, args.seconds, results, lock, ready))
                   for i, (u, unit) in enumerate(accounts)]
        for t in threads:
            t.start()
        ready.wait(timeout=300)
        start = time.perf_counter()
        for t in threads:
            t.join(timeout=args.seconds + 120)
        elapsed = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=30)
    from virkning.portal.models import Registration
    from virkning.portal.scoping import Scope

    with system_scope():
        qs = Registration.objects.scoped(Scope.system())
        stored, distinct = qs.count(), qs.values("unit_id", "cpr_hash").distinct().count()
    ok_registrations = sum(1 for k, _, e in results if k == "register" and e is None)
    errors = [e for _, _, e in results if e is not None]
    print(f"{args.users} users, {elapsed:.1f} s, database {'PostgreSQL' if args.database else 'SQLite'}")
    print(f"requests: {len(results)}, throughput {len(results) / elapsed:.1f} requests/s, errors {len(errors)}")
    for kind in ("register", "status_api", "status_page"):
        lat = sorted(t for k, t, e in results if k == kind)
        if lat:
            p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
            print(f"  {kind:12s} n={len(lat):6d}  median {statistics.median(lat) * 1000:7.1f} ms  "
                  f"p95 {p95 * 1000:7.1f} ms  max {lat[-1] * 1000:7.1f} ms")
    if errors:
        print("  first errors:", sorted(set(errors))[:5])
    print(f"registrations answered 201: {ok_registrations}; stored: {stored}; distinct (unit, citizen): {distinct}")
    lost, dup = ok_registrations - stored, stored - distinct
    print(f"lost: {lost}, duplicated: {dup}")
    sys.exit(0 if lost == 0 and dup == 0 and ok_registrations > 0 else 1)


if __name__ == "__main__":
    main()
