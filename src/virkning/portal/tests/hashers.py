from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2(Argon2PasswordHasher):
    """Argon2id with small costs, for tests only (the same algorithm and hash format, about 1 ms a hash)."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1
