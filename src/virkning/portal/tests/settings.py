"""Settings for the portal's tests: fixed keys, a throwaway home, SQLite unless VIRKNING_PORTAL_TEST_DATABASE names a
PostgreSQL database (the `postgres` test starts a cluster and runs this suite again with it)."""

import atexit
import os
import shutil
import tempfile

os.environ["VIRKNING_PORTAL_HOME"] = tempfile.mkdtemp(prefix="virkning-portal-test-")
atexit.register(shutil.rmtree, os.environ["VIRKNING_PORTAL_HOME"], ignore_errors=True)
os.environ["VIRKNING_PORTAL_SECRET_KEY"] = "test-secret-key-not-for-production-" + "x" * 20
os.environ["VIRKNING_PORTAL_CPR_HASH_KEY"] = "11" * 32
os.environ["VIRKNING_PORTAL_CPR_KEYS"] = "7Lh5Y8S1J3xg2m7d4mC4wq0bVX0pS6Y1c2f3e4d5a6E="
os.environ["VIRKNING_PORTAL_DATABASE"] = os.environ.get("VIRKNING_PORTAL_TEST_DATABASE", "")
os.environ.setdefault("VIRKNING_PORTAL_REQUIRE_2FA", "0")

from virkning.portal.settings import *  # noqa: E402,F401,F403,I001

PASSWORD_HASHERS = ["virkning.portal.tests.hashers.QuickArgon2"]  # noqa: F811  (argon2id, test-sized costs)
