"""What each connector can do by API: the one declaration the backends and the review read.

::

    connector  by API on         automated (kind, operation)
    sandbox    every platform    every pair
    taobao     taobao, tmall     (role, create)                  taobao.sellercenter.role.add
                                 (sub_account, disable / enable)  taobao.subuser.info.update
                                 and, of a sub-account update, the ``dispatch`` flag (same call)
    kuaishou   kuaishou          (sub_account, create / delete / disable / enable)
                                 and, of an update, the contact ``phone``  open.user.sub.account.*
                                 (role_grant, create / update / delete)   ...update (roleIds)
    ledger     no platform       nothing: every write is a manual step

Everything else a connector is asked to write raises
:class:`~shoporg.errors.ManualStepRequired` with a runbook. The TOP connector decides
through this table (:data:`TOP`), ``shoporg review`` lists a plan's manual steps from it
before the apply, and ``tests/backends/test_capabilities.py`` drives every write of the TOP
and ledger connectors and checks that a manual step is raised exactly where it says so.

Operations per kind come from the registry (:func:`operations`): create, update and delete,
plus disable and enable for a sub-account's status (its ``enabled`` input), which TOP sets
by API. A binding has no update: every input is identity, so a change re-creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from shoporg.backends.settings import KUAISHOU_CONNECTOR, TOP_CONNECTOR, BackendKind
from shoporg.kinds import KINDS, ROLE, ROLE_GRANT, SHOP_BINDING, SUB_ACCOUNT, Kind
from shoporg.platforms import KUAISHOU_PLATFORMS, PLATFORMS, TOP_PLATFORMS

Operation = Literal["create", "update", "delete", "disable", "enable"]

#: The input whose change is a status operation rather than an update, per kind.
STATUS_INPUT: Final[Mapping[str, str]] = {SUB_ACCOUNT.word: "enabled"}
_STATUS_OPS: Final[tuple[Operation, ...]] = ("disable", "enable")
#: Kinds whose every input is identity: the engine replaces them, never updates.
_NO_UPDATE: Final = frozenset({SHOP_BINDING.word})


def operations(kind: Kind) -> tuple[Operation, ...]:
    """The write operations a connector can be asked for on one kind."""
    ops: list[Operation] = ["create"]
    if kind.word not in _NO_UPDATE:
        ops.append("update")
    ops.append("delete")
    if kind.word in STATUS_INPUT:
        ops += _STATUS_OPS
    return tuple(ops)


def every_pair() -> tuple[tuple[str, Operation], ...]:
    """Every (kind word, operation), in registry order."""
    return tuple((k.word, op) for k in KINDS for op in operations(k))


@dataclass(frozen=True)
class Capability:
    """What one connector does by API (see the module docstring)."""

    connector: BackendKind
    platforms: frozenset[str]  # where it has an API at all
    automated: frozenset[tuple[str, Operation]]
    #: Inputs an otherwise manual update still sets by API, per kind.
    update_inputs: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: How often ``shoporg watch`` may read an account it serves (one listing per kind and
    #: account per cycle): the shortest interval its rate limits allow, in seconds.
    watch_seconds: float = 0.0

    def automates(self, kind: str, operation: Operation, platform: str) -> bool:
        return platform in self.platforms and (kind, operation) in self.automated

    def inputs_by_api(self, kind: str, platform: str) -> frozenset[str]:
        """The inputs of an update of ``kind`` this connector sets by API."""
        if platform not in self.platforms:
            return frozenset()
        return self.update_inputs.get(kind, frozenset())

    def manual_inputs(self, kind: str, platform: str, changed: Iterable[str]) -> tuple[str, ...]:
        """Of an update's changed inputs, those a person must change (empty: all by API)."""
        if self.automates(kind, "update", platform):
            return ()
        by_api = self.inputs_by_api(kind, platform)
        return tuple(sorted(k for k in changed if k not in by_api))


#: The sandbox is a local file: read it as often as a watch likes.
SANDBOX: Final = Capability("sandbox", frozenset(PLATFORMS), frozenset(every_pair()),
                            watch_seconds=5.0)
#: TOP publishes no per-app numbers (each app's quota is set in its console; a throttled call
#: answers code 7 with the ban's length, which the connector waits out): every 30 s keeps a
#: 10,000-object stack's 112 listings at about four calls a second.
TOP: Final = Capability(
    TOP_CONNECTOR, frozenset(TOP_PLATFORMS),
    frozenset({(ROLE.word, "create"), (SUB_ACCOUNT.word, "disable"), (SUB_ACCOUNT.word, "enable")}),
    {SUB_ACCOUNT.word: frozenset({"dispatch"})},
    watch_seconds=30.0,
)
#: Kuaishou's staff API: sub-accounts and their roles (a staff member's ``roleIds``); roles
#: are listed, never made, and a nickname is set only at creation. The open platform limits
#: each app per method per second (its "Exceed qps limit"): every 10 s keeps a watch far
#: below it.
KUAISHOU: Final = Capability(
    KUAISHOU_CONNECTOR, frozenset(KUAISHOU_PLATFORMS),
    frozenset({(SUB_ACCOUNT.word, op) for op in ("create", "delete", "disable", "enable")}
              | {(ROLE_GRANT.word, op) for op in ("create", "update", "delete")}),
    {SUB_ACCOUNT.word: frozenset({"phone"})},
    watch_seconds=10.0,
)
#: The ledger is this checkout's own file; nothing changes there but what a person records.
LEDGER: Final = Capability("ledger", frozenset(), frozenset(), watch_seconds=5.0)

CAPABILITIES: Final[Mapping[BackendKind, Capability]] = {
    c.connector: c for c in (SANDBOX, TOP, KUAISHOU, LEDGER)
}


__all__ = [
    "CAPABILITIES", "KUAISHOU", "LEDGER", "SANDBOX", "STATUS_INPUT", "TOP", "Capability",
    "Operation", "every_pair", "operations",
]
