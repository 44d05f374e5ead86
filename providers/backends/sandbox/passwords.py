"""Salted password hashes: the only form in which the sandbox keeps a secret.

Initial sub-account passwords, Shopee shop and wallet passwords are stored as
``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``; the plaintext never reaches a table or
the audit log. The iteration count is modest on purpose: an organization of thousands of
members is created in one ``pulumi up`` against a test system, and the hashes protect demo
data, not real customer credentials. The count is stored with each hash so it can be raised.

``SHOPORG_SANDBOX_HASH_ITERATIONS`` sets it for new hashes: the benchmarks use it to show
how much of an ``up`` is the simulated platform's own hashing (it runs on our CPU, where a
real platform's runs on its servers); verifying reads the count stored with each hash.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

ITERATIONS = 20_000


def iterations() -> int:
    return max(1, int(os.environ.get("SHOPORG_SANDBOX_HASH_ITERATIONS", ITERATIONS)))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    count = iterations()
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
