"""What an apply did: the engine's event stream read back as objects done, failed and not
reached.

``pulumi up --plan PLAN --json`` prints the preview it checked, then one JSON document per
engine event. When one resource fails under a saved plan the engine stops, and for every
planned resource it never got to it reports an error of its own::

    diagnosticEvent  {urn: …Role::tm-youpin/tm-ops, severity: error,
                      message: "Exception calling application: role 'tm-youpin/tm-ops':
                                create_role failed: injected permanent failure"}
    resOpFailedEvent {metadata: {op: create, urn: …Role::tm-youpin/tm-ops}}
    diagnosticEvent  {urn: …SubAccount::tb-youpin/li-na, severity: error,
                      message: "expected resource operations for … but none were seen"}

so the one real failure hides among dozens of "errored" resources. :func:`outcome_of` sorts
them: ``failed`` (the objects whose operation failed, with the provider's message),
``not_reached`` (planned, never attempted: nothing was done to them) and ``errors`` (errors
about no object, such as a failing program). Objects are named by the registry
(:func:`providers.kinds.ref_of_urn`), as in the review and the journal.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from providers.kinds import BY_WORD, Ref, ref_of_urn

NOT_REACHED: Final = "expected resource operations for"
_PROVIDER_PREFIX: Final = "Exception calling application: "
# The engine's step operations -> the plan's (a replacement is several engine steps).
_OPS: Final = {"create": "create", "update": "update", "delete": "delete",
               "replace": "replace", "create-replacement": "replace",
               "delete-replaced": "replace"}
_PAST: Final = {"create": "created", "update": "updated", "replace": "replaced",
                "delete": "deleted"}
MESSAGE_LIMIT: Final = 500  # characters of one failure's message kept (journal, output)


@dataclass(frozen=True)
class Failure:
    """An object whose operation the engine attempted and which failed."""

    kind: str
    name: str
    operation: str  # create | update | replace | delete (as planned when the engine omits it)
    message: str

    @property
    def label(self) -> str:
        kind = BY_WORD.get(self.kind)
        return kind.label if kind is not None else self.kind.replace("_", " ")


@dataclass(frozen=True)
class Unreached:
    """A planned object the engine never got to: nothing was done to it."""

    kind: str
    name: str
    operation: str  # the planned operation


@dataclass(frozen=True)
class Outcome:
    applied: Mapping[str, int]  # operation -> objects it completed on
    failed: tuple[Failure, ...]
    not_reached: tuple[Unreached, ...]
    errors: tuple[str, ...] = ()  # errors about no object (the program, the engine)
    warnings: tuple[str, ...] = ()
    result: str | None = None  # the engine's summary: "succeeded" | "failed" | None

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and self.result != "failed"

    def to_json(self) -> dict[str, Any]:
        """The journal's record (docs/review-schema.md, ``shoporg.journal/v1.1``)."""
        return {
            "applied": dict(self.applied),
            "failed": [{"kind": f.kind, "name": f.name, "operation": f.operation,
                        "message": f.message} for f in self.failed],
            "not_reached": [{"kind": u.kind, "name": u.name, "operation": u.operation}
                            for u in self.not_reached],
        }


def documents(text: str) -> Iterator[dict[str, Any]]:
    """The JSON documents of ``pulumi up --json`` output, one after another (the preview is
    pretty-printed over many lines, events one a line); stops at the first non-JSON text."""
    decoder = json.JSONDecoder()
    i, end = 0, len(text)
    while True:
        while i < end and text[i].isspace():
            i += 1
        if i >= end:
            return
        try:
            doc, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            return
        if isinstance(doc, dict):
            yield doc


def _message(text: str) -> str:
    msg = text.strip()
    if msg.startswith(_PROVIDER_PREFIX):
        msg = msg[len(_PROVIDER_PREFIX):]
    return msg if len(msg) <= MESSAGE_LIMIT else msg[: MESSAGE_LIMIT - 1] + "…"


def outcome_of(text: str, planned: Mapping[Ref, str] | None = None) -> Outcome:
    """Read ``pulumi up --json`` output; ``planned``: ref -> operation of the saved plan.

    An object is *applied* when the engine reports its outputs, *failed* when its operation
    failed or an error names it, and *not reached* when it was planned (or the engine says
    it expected it) and neither happened: the engine does not even name every object it
    never got to, so the plan is the list."""
    planned = planned or {}
    done: dict[Ref, str] = {}
    failed_ops: dict[Ref, str] = {}
    messages: dict[Ref, list[str]] = {}
    expected: dict[Ref, None] = {}
    errors: list[str] = []
    warnings: list[str] = []
    result: str | None = None
    for doc in documents(text):
        if "resOutputsEvent" in doc:
            meta = doc["resOutputsEvent"].get("metadata") or {}
            ref, op = ref_of_urn(str(meta.get("urn", ""))), str(meta.get("op", ""))
            if ref is not None and op in _OPS:
                done.setdefault(ref, planned.get(ref, _OPS[op]))
        elif "resOpFailedEvent" in doc:
            meta = doc["resOpFailedEvent"].get("metadata") or {}
            ref, op = ref_of_urn(str(meta.get("urn", ""))), str(meta.get("op", ""))
            if ref is not None:
                failed_ops[ref] = planned.get(ref) or _OPS.get(op, op or "?")
        elif "diagnosticEvent" in doc:
            diag = doc["diagnosticEvent"]
            severity, message = diag.get("severity"), str(diag.get("message", ""))
            ref = ref_of_urn(str(diag.get("urn") or ""))
            if severity == "error":
                if NOT_REACHED in message and ref is not None:
                    expected[ref] = None
                elif ref is not None:
                    messages.setdefault(ref, []).append(_message(message))
                else:
                    errors.append(_message(message))
            elif severity == "warning":
                warnings.append(_message(message))
        elif "summaryEvent" in doc:
            result = doc["summaryEvent"].get("result")
    order = {k: i for i, k in enumerate(BY_WORD)}

    def key(ref: Ref) -> tuple[int, str]:
        return (order.get(ref.kind, len(order)), ref.name)

    failing = sorted(set(failed_ops) | set(messages), key=key)
    failures = [
        Failure(ref.kind, ref.name, failed_ops.get(ref) or planned.get(ref, "?"),
                "; ".join(dict.fromkeys(messages.get(ref, []))) or "failed (no message)")
        for ref in failing
    ]
    unreached = sorted((set(planned) | set(expected)) - set(done) - set(failing), key=key)
    applied: Counter[str] = Counter(done.values())
    return Outcome(
        applied={op: applied[op] for op in ("create", "update", "replace", "delete")
                 if applied[op]},
        failed=tuple(failures),
        not_reached=tuple(Unreached(r.kind, r.name, planned.get(r, "?")) for r in unreached),
        errors=tuple(dict.fromkeys(errors)), warnings=tuple(dict.fromkeys(warnings)),
        result=result,
    )


def _counted(counts: Mapping[str, int], plural: bool = False) -> str:
    return ", ".join(f"{n} {word}{'s' if plural and n != 1 else ''}"
                     for word, n in counts.items())


def render_outcome(outcome: Outcome) -> str:
    """What ``shoporg up`` prints after the apply: real failures first, with kind, name,
    operation and message; then how many were not reached, per kind."""
    lines: list[str] = []
    done = {_PAST[op]: n for op, n in outcome.applied.items()}
    lines.append(f"applied: {_counted(done) or 'nothing'}")
    for w in outcome.warnings:
        lines.append(f"warning: {w}")
    if outcome.failed or outcome.errors:
        n = len(outcome.failed)
        lines.append(f"FAILED: {n} object{'s' if n != 1 else ''} failed"
                     + (f", {len(outcome.not_reached)} not reached" if outcome.not_reached
                        else ""))
        for f in outcome.failed:
            lines.append(f"  ✗ {f.label} {f.name} — {f.operation} failed: {f.message}")
        for e in outcome.errors:
            lines.append(f"  ✗ {e}")
    if outcome.not_reached:
        per_kind: Counter[str] = Counter()
        for u in outcome.not_reached:
            kind = BY_WORD.get(u.kind)
            per_kind[kind.label if kind is not None else u.kind] += 1
        why = ("the engine stopped at the failure and did nothing to them; fix the cause "
               "and run `shoporg up` again" if outcome.failed or outcome.errors else
               "the engine did nothing to them (its error follows)")
        lines.append(f"{len(outcome.not_reached)} not reached ({_counted(per_kind, True)}): "
                     + why)
    return "\n".join(lines) + "\n"
