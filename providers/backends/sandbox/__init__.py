"""The sandbox: an embedded, persistent, multi-tenant account system in one SQLite file.

It behaves like the five seller centres of SPEC.md (every "Platform rule" is enforced and
raises a :class:`~shoporg.errors.RuleViolation` with a stable ``rule`` name), keeps an
append-only audit log, takes an injectable clock, and can inject faults and latency.
``shoporg sandbox ...`` (``providers/cli/sandbox.py``) is its seller centre on the command line.

Module map: ``backend.py`` (the protocol, one transaction per call), ``seller_center.py``
(hand changes), ``db.py`` / ``schema.py`` (connections, migrations), ``clock.py``,
``faults.py``, ``settings.py``, ``audit.py``, ``passwords.py``, and one rule module per kind:
``accounts.py``, ``departments.py``, ``roles.py``, ``sub_accounts.py``, ``grants.py``,
``bindings.py``, ``chat_groups.py``, ``creators.py``. Wire endpoints: ``top_server.py`` /
``top_protocol.py`` (Taobao's TOP) and ``kuaishou_server.py`` / ``kuaishou_protocol.py`` over
``kuaishou_staff.py`` (Kuaishou's merchant open platform, its staff API).
"""

from shoporg.backends.sandbox.backend import (
    SandboxBackend,
    default_company,
    default_path,
    open_sandbox,
)
from shoporg.backends.sandbox.clock import Clock, FixedClock, SystemClock
from shoporg.backends.sandbox.faults import FaultConfig
from shoporg.backends.sandbox.seller_center import SellerCenter

__all__ = [
    "Clock",
    "FaultConfig",
    "FixedClock",
    "SandboxBackend",
    "SellerCenter",
    "SystemClock",
    "default_company",
    "default_path",
    "open_sandbox",
]
