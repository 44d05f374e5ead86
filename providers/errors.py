"""One exception tree for shoporg; every error says where and what to do.

::

    ShoporgError
     ├── ConfigError            org.yaml is invalid; carries every ConfigIssue (file:line:col)
     ├── BackendError           an account-system call failed; carries kind, name, operation
     │    ├── NotFoundError          the object does not exist (a state, for read/delete)
     │    ├── RuleViolation          a platform rule refused the change (quota, locks, ...)
     │    ├── ConflictError          the object exists with different identity-bearing data
     │    ├── TransientError         retry may help (network blip, 5xx, injected fault)
     │    │    └── ThrottledError        the platform asked us to wait ``retry_after`` seconds
     │    ├── AuthError              credentials missing or refused; names the config keys to set
     │    └── ManualStepRequired     no API can do it: a person must, following ``runbook``
     └── EngineError            the Pulumi engine is missing or could not be built / run

Backends raise these and only these; library errors (sqlite3, httpx) are translated at the
backend boundary so callers never see them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


class ShoporgError(Exception):
    """Base of every error shoporg raises on purpose."""


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One problem in a config file, printable as ``file:line:col: message``."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(ShoporgError):
    """org.yaml is invalid. Holds every issue, sorted by position, not just the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class BackendError(ShoporgError):
    """An account-system operation failed. Names the object kind, its name and the operation."""

    def __init__(self, kind: str, name: str, operation: str, message: str, hint: str = "") -> None:
        self.kind = kind
        self.name = name
        self.operation = operation
        self.message = message
        self.hint = hint
        text = f"{kind} {name!r}: {operation} failed: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)


class NotFoundError(BackendError):
    """The object does not exist in the account system."""


class RuleViolation(BackendError):
    """A platform rule refused the change (seat quota, immutable login, binding lock, ...).

    ``rule`` is a stable machine-readable name such as ``seat_quota`` or ``channel_limit``.
    """

    def __init__(
        self, kind: str, name: str, operation: str, message: str, rule: str, hint: str = ""
    ) -> None:
        self.rule = rule
        super().__init__(kind, name, operation, message, hint)


class ConflictError(BackendError):
    """An object with the same identity exists but differs, so it cannot be adopted."""


class TransientError(BackendError):
    """A failure that may go away on retry."""


class ThrottledError(TransientError):
    """The platform throttled us; wait ``retry_after`` seconds before retrying."""

    def __init__(
        self, kind: str, name: str, operation: str, message: str, retry_after: float
    ) -> None:
        self.retry_after = retry_after
        super().__init__(kind, name, operation, message, f"retry after {retry_after:g}s")


class AuthError(BackendError):
    """Credentials are missing or were refused."""


@dataclass(frozen=True)
class Runbook:
    """One manual step: what a person does in which seller-centre page, for whom.

    ``text`` is the rendered instruction (``providers/runbooks/templates``); the other
    fields are its structured form, exposed as the resource output ``manual_step`` so
    reports can group and list the steps. Never holds a secret.
    """

    platform: str
    kind: str
    operation: str  # create | update | delete
    account_id: str
    name: str  # the object, e.g. "tb-youpin/zhang-wei"
    page: str  # the seller-centre page, as its menus name it
    text: str
    person: str | None = None  # whom the step is for (the member), if anyone
    fields: Mapping[str, str] = field(default_factory=dict, hash=False)
    #: A third party the step waits on (a creator's consent, the main-account holder's
    #: activation): the platform's read-back completes it once they act, not an operator.
    waits_on: str | None = None

    def as_output(self) -> dict[str, object]:
        """The ``manual_step`` resource output (plain JSON-able values)."""
        return {
            "platform": self.platform,
            "kind": self.kind,
            "operation": self.operation,
            "account": self.account_id,
            "object": self.name,
            "page": self.page,
            "person": self.person,
            "fields": dict(self.fields),
            **({"waits_on": self.waits_on} if self.waits_on else {}),
        }


class ManualStepRequired(BackendError):
    """The platform has no API for this change; a person must make it by hand.

    A create or update that raises this leaves the resource ``pending`` with the runbook in
    its outputs; a delete fails with the runbook text (it is never pretended done).
    """

    def __init__(self, runbook: Runbook) -> None:
        self.runbook = runbook
        super().__init__(
            runbook.kind, runbook.name, runbook.operation,
            f"manual step required on {runbook.platform}: {runbook.text}",
        )


class EngineError(ShoporgError):
    """The Pulumi engine is missing, could not be built, or failed to run."""
