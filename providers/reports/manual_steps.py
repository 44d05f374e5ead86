"""The manual steps a change will raise, known before the apply.

::

    Plan step (update, sub_account sp-youpin/zhu-yan, enabled true → false)
      → the account's connector (BackendSettings.connector_for: stack config)
      → its capability (shoporg.backends.capabilities): (sub_account, disable) by API?
      → no: one ManualStep, its page and text rendered by shoporg.runbooks

A plan step becomes the operations a connector is asked for: a create, an update, a delete
(a replace is a create and a delete); a sub-account's ``enabled`` flip is a disable or an
enable, and of the rest of an update only the inputs the connector cannot set by API count.
Whatever the connector's capability does not automate is listed, grouped platform →
account, with the page the runbook names. The same table decides in the TOP connector, so
the review and the apply agree on what becomes a manual step. A stack on the sandbox (the
default) raises none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from shoporg.backends.capabilities import CAPABILITIES, STATUS_INPUT, Operation
from shoporg.backends.settings import BackendKind, BackendSettings
from shoporg.kinds import BY_WORD, KINDS, kind_of
from shoporg.platforms import PLATFORMS
from shoporg.reports.context import Context
from shoporg.reports.model import ManualAccount, ManualPlatform, ManualStep
from shoporg.reports.world import Obj, Step
from shoporg.runbooks import PLATFORM_NAMES, runbook
from shoporg.runbooks import Operation as RunbookOp

ConnectorOf = Callable[[str, str], BackendKind]  # (account id, platform) -> connector
_ORDER = {k.word: i for i, k in enumerate(KINDS)}
_OPS: tuple[Operation, ...] = ("create", "update", "disable", "enable", "delete")


def connectors_of(settings: BackendSettings | None) -> ConnectorOf:
    """The stack's routing (``shoporg:backend`` / ``shoporg:connectors``); none: sandbox."""
    if settings is None:
        return lambda account, platform: "sandbox"
    return settings.connector_for


def _asked(step: Step) -> list[tuple[Operation, tuple[str, ...]]]:
    """The operations a connector is asked for, with an update's changed inputs."""
    if step.op == "create":
        return [("create", ())]
    if step.op == "delete":
        return [("delete", ())]
    if step.op == "replace":
        return [("create", ()), ("delete", ())]
    changed = step.changed_keys()
    status = STATUS_INPUT.get(step.kind)
    out: list[tuple[Operation, tuple[str, ...]]] = []
    rest = tuple(k for k in changed if k != status)
    if rest:
        out.append(("update", rest))
    if status is not None and status in changed:
        out.append(("enable" if step.obj.get(status) else "disable", ()))
    return out


def person_of(ctx: Context, o: Obj) -> str | None:
    """Whose object it is, "<name> (<member id>)" (None: no one's); the manual-step objects
    of the kinds that belong to a person say it too."""
    member = o.get("member_id")
    return f"{ctx.member_name(str(member))} ({member})" if member else None


def _object(ctx: Context, step: Step, o: Obj) -> str:
    """The object in the review's words (whose sub-account, which role, which shop): its
    kind's ``Kind.manual_object``, written in the kind's module; a step of no registered
    kind by its kind and name."""
    kind = BY_WORD.get(step.kind)
    if kind is None:
        return f"{step.kind.replace('_', ' ')} {step.name}"
    return kind.manual_object(ctx, o)


def _fields(step: Step, o: Obj, operation: Operation, inputs: tuple[str, ...]
            ) -> dict[str, Any]:
    """What the runbook shows: the declared inputs of a create, the identity of a delete,
    the new values of an update's manual inputs, the status of a disable / enable (as the
    connectors word it). Inputs hold no secret: a password is an output, never an input."""
    if operation in ("disable", "enable"):
        return {"status": "disabled" if operation == "disable" else "active"}
    if operation == "update":
        return {k: o.get(k) for k in inputs}
    keys = kind_of(step.ref).identity if operation == "delete" else tuple(o.inputs)
    return {k: o.get(k) for k in keys if k != "account_id"}


def manual_steps(ctx: Context, connector_of: ConnectorOf) -> tuple[ManualPlatform, ...]:
    """The plan's manual steps, grouped platform → account (see the module docstring)."""
    found: dict[str, list[tuple[int, str, int, ManualStep]]] = defaultdict(list)
    for step in ctx.plan.steps:
        account = step.obj.account
        platform = ctx.platform(account)
        if platform not in PLATFORM_NAMES:
            continue  # an account neither org.yaml declares: nothing to route
        capability = CAPABILITIES[connector_of(account, platform)]
        for operation, changed in _asked(step):
            inputs: tuple[str, ...] = ()
            if operation == "update":
                inputs = capability.manual_inputs(step.kind, platform, changed)
                if not inputs:
                    continue
            elif capability.automates(step.kind, operation, platform):
                continue
            # A replace's delete is about the old object, its create about the new one.
            o = (step.old if operation == "delete" else step.new) or step.obj
            as_runbook: RunbookOp = "update" if operation in ("disable", "enable") \
                else operation  # type: ignore[assignment]
            person = person_of(ctx, o)
            book = runbook(platform, step.kind, as_runbook, account_id=account, name=step.name,
                           fields=_fields(step, o, operation, inputs), person=person)
            found[account].append((_ORDER.get(step.kind, len(_ORDER)), step.name,
                                   _OPS.index(operation), ManualStep(
                kind=step.kind, name=step.name, operation=operation, account=account,
                object=_object(ctx, step, o), page=book.page, person=person, inputs=inputs,
                runbook=book.text,
            )))
    return _grouped(ctx, found, connector_of)


def _grouped(ctx: Context, found: Mapping[str, list[tuple[int, str, int, ManualStep]]],
             connector_of: ConnectorOf) -> tuple[ManualPlatform, ...]:
    by_platform: dict[str, list[ManualAccount]] = defaultdict(list)
    for account in ctx.account_order():
        if account not in found:
            continue
        platform = ctx.platform(account)
        steps = tuple(s for *_, s in sorted(found[account], key=lambda t: t[:3]))
        by_platform[platform].append(ManualAccount(
            id=account, platform=platform, nick=ctx.nick(account),
            connector=connector_of(account, platform), steps=steps,
        ))
    return tuple(
        ManualPlatform(platform=p, seller_centre=PLATFORM_NAMES[p],
                       accounts=tuple(by_platform[p]))
        for p in PLATFORMS if p in by_platform
    )
