"""What an apply did: the engine's event stream read back as objects done, failed and not
reached — and, of those done, which an API did, which wait on a manual step and which
steps closed.

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
(:func:`shoporg.kinds.ref_of_urn`), as in the review and the journal.

An object the engine completed is not necessarily done on the platform: where no API can
do the change, the provider's create or update succeeds with the outputs ``status:
pending`` and a ``manual_step`` (:mod:`shoporg.resources.base`), and the ledger holds the
step. Each ``resOutputsEvent`` carries the object's outputs before (``old``) and after
(``new``) the run, so :class:`Progress` tells *automated* (done by an API or the sandbox),
*waiting* on a manual step (new this run, or still open) and *closed* (a step the
read-back or an operator's confirmation settled) from what the state says.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from shoporg.kinds import BY_WORD, Ref, ref_of_urn

NOT_REACHED: Final = "expected resource operations for"
_PROVIDER_PREFIX: Final = "Exception calling application: "
# The engine's step operations -> the plan's (a replacement is several engine steps).
_OPS: Final = {"create": "create", "update": "update", "delete": "delete",
               "replace": "replace", "create-replacement": "replace",
               "delete-replaced": "replace"}
_PAST: Final = {"create": "created", "update": "updated", "replace": "replaced",
                "delete": "deleted"}
_ORDER: Final = tuple(_PAST)
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
    done: Mapping[Ref, str]  # object -> the (planned) operation the engine completed on it
    failed: tuple[Failure, ...]
    not_reached: tuple[Unreached, ...]
    errors: tuple[str, ...] = ()  # errors about no object (the program, the engine)
    warnings: tuple[str, ...] = ()
    result: str | None = None  # the engine's summary: "succeeded" | "failed" | None
    # Of ``done``: the objects left waiting on a manual step -> its ledger step id, and
    # those whose step this run settled -> the id of the step they waited on.
    waiting: Mapping[Ref, int | None] = field(default_factory=dict)
    closed: Mapping[Ref, int | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.errors and self.result != "failed"

    @property
    def applied(self) -> dict[str, int]:
        """Operation -> objects the engine completed it on (whoever does it on the
        platform), in the plan's order of operations."""
        counts = Counter(self.done.values())
        return {op: counts[op] for op in _ORDER if counts[op]}

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


def _outputs(state: Any) -> Mapping[str, Any]:
    """The outputs of an event's ``old``/``new`` state (none when there is no state)."""
    outputs = state.get("outputs") if isinstance(state, dict) else None
    return outputs if isinstance(outputs, dict) else {}


def _waits(outputs: Mapping[str, Any]) -> bool:
    """Whether these outputs wait on a manual step: the provider's mark of one
    (``shoporg.resources.base._waiting``: ``status`` pending with a ``manual_step``)."""
    return outputs.get("status") == "pending" and bool(outputs.get("manual_step"))


def _step_id(outputs: Mapping[str, Any]) -> int | None:
    """The ledger step a waiting object's ``manual_step`` names (older state has none)."""
    step = outputs.get("manual_step")
    found = step.get("step") if isinstance(step, dict) else None
    return int(found) if isinstance(found, int | float) else None


def outcome_of(text: str, planned: Mapping[Ref, str] | None = None) -> Outcome:
    """Read ``pulumi up --json`` output; ``planned``: ref -> operation of the saved plan.

    An object is *applied* when the engine reports its outputs, *failed* when its operation
    failed or an error names it, and *not reached* when it was planned (or the engine says
    it expected it) and neither happened: the engine does not even name every object it
    never got to, so the plan is the list. Of the applied objects, those whose outputs after
    the run wait on a manual step are ``waiting``, and those whose outputs before did (and
    after do not) are ``closed``."""
    planned = planned or {}
    done: dict[Ref, str] = {}
    befores: dict[Ref, Mapping[str, Any]] = {}
    afters: dict[Ref, Mapping[str, Any]] = {}
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
                # A replacement is several events: the object before is the first old
                # state, after it the last new one (a delete has none: nothing is left).
                if meta.get("old") is not None:
                    befores.setdefault(ref, _outputs(meta.get("old")))
                if meta.get("new") is not None:
                    afters[ref] = _outputs(meta.get("new"))
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
    waiting = {ref: _step_id(afters[ref]) for ref in done
               if ref in afters and _waits(afters[ref])}
    closed = {ref: _step_id(befores[ref]) for ref in done
              if ref not in waiting and _waits(befores.get(ref, {}))}
    return Outcome(
        done=done, waiting=waiting, closed=closed,
        failed=tuple(failures),
        not_reached=tuple(Unreached(r.kind, r.name, planned.get(r, "?")) for r in unreached),
        errors=tuple(dict.fromkeys(errors)), warnings=tuple(dict.fromkeys(warnings)),
        result=result,
    )


def _counted(counts: Mapping[str, int], plural: bool = False) -> str:
    return ", ".join(f"{n} {word}{'s' if plural and n != 1 else ''}"
                     for word, n in counts.items())


@dataclass(frozen=True)
class Progress:
    """What the objects an apply completed came to on the platforms."""

    automated: Mapping[str, int]  # operation -> objects an API (or the sandbox) did it on
    waiting: int  # objects waiting on a manual step after the run
    new: int  # of those, on a step this run raised
    reopened: int  # of those, on a step confirmed before that the read-back does not show
    closed: int  # objects whose step the read-back or an operator's confirmation settled
    withdrawn: int = 0  # objects removed while their step was open: it is not needed

    def to_json(self) -> dict[str, Any]:
        """The journal's ``progress`` (docs/review-schema.md)."""
        return {"automated": dict(self.automated), "waiting": self.waiting, "new": self.new,
                "reopened": self.reopened, "closed": self.closed,
                "withdrawn": self.withdrawn}


def progress_of(outcome: Outcome, raised: Collection[Ref] = (),
                reopened: Collection[Ref] = ()) -> Progress:
    """Sort the applied objects: waiting on a manual step, a step closed, or automated.

    ``raised``: the objects whose step this run put into the stack's ledger — which steps
    are new is the ledger's to say, and a removal no API can do leaves no outputs behind
    (the engine drops the object), only its step; ``reopened``: the objects whose step
    the read-back opened again."""
    removed = {ref for ref, op in outcome.done.items() if op == "delete"}
    waiting = set(outcome.waiting) | (removed & set(raised))
    closed = set(outcome.closed) - waiting
    withdrawn = closed & removed  # nobody did the step: the object is no longer declared
    closed -= withdrawn
    automated = Counter(op for ref, op in outcome.done.items()
                        if ref not in waiting | closed | withdrawn)
    return Progress(
        automated={op: automated[op] for op in _ORDER if automated[op]},
        waiting=len(waiting), new=len(waiting & set(raised)),
        reopened=len(waiting & set(reopened)), closed=len(closed),
        withdrawn=len(withdrawn),
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(progress: Progress) -> str:
    """One line: what an API did, what waits on a person (and where to see it), and which
    steps closed — a pending step is neither done nor failed."""
    if not (progress.automated or progress.waiting or progress.closed
            or progress.withdrawn):
        return "applied: nothing"
    done = {_PAST[op]: n for op, n in progress.automated.items()}
    automated = sum(progress.automated.values())
    parts = [f"{automated} automated" + (f" ({_counted(done)})" if done else "")]
    if progress.waiting:
        news = [f"{progress.new} new"] + (
            [f"{progress.reopened} reopened: not visible yet"] if progress.reopened else [])
        parts.append(f"{progress.waiting} waiting on manual steps "
                     f"({', '.join(news)}; `shoporg tasks`)")
    if progress.closed:
        parts.append(f"{_plural(progress.closed, 'step')} closed")
    if progress.withdrawn:
        parts.append(f"{_plural(progress.withdrawn, 'step')} withdrawn (no longer declared)")
    return "applied: " + " · ".join(parts)


def render_outcome(outcome: Outcome, progress: Progress | None = None) -> str:
    """What ``shoporg up`` prints after the apply: what was automated, what waits on a
    manual step and which steps closed (``progress``, else from the outcome alone); then
    real failures, with kind, name, operation and message; then how many were not
    reached, per kind."""
    lines = [summary_line(progress or progress_of(outcome))]
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
