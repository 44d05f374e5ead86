"""Salted password hashes: the only form in which the sandbox keeps a secret.

Initial sub-account passwords, Shopee shop and wallet passwords are stored as
``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``; the plaintext never reaches a table or
the audit log. The count is stored with each hash, so it can change without breaking old ones.

How much stretching a hash needs depends on what it hides. Stretching multiplies the cost
of each *guess*, which is what protects a password a person chose (shop and wallet
passwords, typed at ``shoporg sandbox``): those get :data:`CHOSEN_ITERATIONS`. An initial
sub-account password is a random 96-bit token shoporg generates (``secrets.token_urlsafe(12)``);
2**96 guesses are out of reach at any count, so — as services store API tokens — one salted
HMAC round (:data:`GENERATED_ITERATIONS`) hides it as well as 20,000 would. It matters: an
organization of thousands of members is created in one ``up``, the simulated platform hashes
on our CPU where a real one hashes on its servers, and 20,000 rounds were 19 ms per
sub-account (85 s of CPU at 10,000 resources, benchmarks/RESULTS.md).

The sub-account create hashes *before* its write transaction: a hash computed under
``BEGIN IMMEDIATE`` holds the file's write lock for its whole duration and serialises every
other writer (shop and wallet passwords, one per Shopee account, still hash inside theirs:
the wallet rule compares with the shop password's hash under the same lock).

``SHOPORG_SANDBOX_HASH_ITERATIONS`` overrides the count of new hashes of both kinds (the
benchmarks use it to show the hashing's share); verifying reads the count stored with each hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

CHOSEN_ITERATIONS = 20_000
GENERATED_ITERATIONS = 1


def iterations(default: int) -> int:
    return max(1, int(os.environ.get("SHOPORG_SANDBOX_HASH_ITERATIONS", default)))


def hash_password(password: str, *, generated: bool = False) -> str:
    """The stored form of ``password``; ``generated`` for a random token (see the module)."""
    salt = secrets.token_bytes(16)
    count = iterations(GENERATED_ITERATIONS if generated else CHOSEN_ITERATIONS)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, count)
    return f"pbkdf2_sha256${count}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    scheme, iterations, salt, digest = stored.split("$")
    if scheme != "pbkdf2_sha256":
        raise ValueError(f"unknown password hash scheme {scheme!r}")
    candidate = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), bytes.fromhex(salt), int(iterations)
    )
    return hmac.compare_digest(candidate.hex(), digest)
