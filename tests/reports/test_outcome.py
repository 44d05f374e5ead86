"""What ``shoporg up`` makes of the engine's event stream (no engine): failures, objects
not reached, and what the applied objects came to (automated, waiting on a manual step,
a step closed).

``tests/fixtures/apply/two-roles-fail.json`` is a recorded ``pulumi up --json --plan`` of
org.yaml on a partly applied stack, with ``fail_objects`` set on two roles (slimmed to each
document's op, urn, message and result): 9 created, 2 failed, the engine's "expected
resource operations … but none were seen" for most of the rest, and nothing at all for a
few planned objects it never registered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shoporg.kinds import BY_WORD, ROLE, ROLE_GRANT, SUB_ACCOUNT, Ref, ref_of_urn
from shoporg.reports.outcome import (
    Progress,
    documents,
    outcome_of,
    progress_of,
    render_outcome,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "apply" / "two-roles-fail.json"
URN = "urn:pulumi:test::shoporg::{type}::{name}"


def urn(ref: Ref) -> str:
    return URN.format(type=BY_WORD[ref.kind].type, name=ref.name)


def recorded() -> tuple[str, dict[Ref, str]]:
    text = FIXTURE.read_text(encoding="utf-8")
    preview = next(documents(text))
    planned = {ref: s["op"] for s in preview["steps"]
               if (ref := ref_of_urn(s["urn"])) is not None and s["op"] != "same"}
    return text, planned


def event(name: str, body: dict[str, Any]) -> str:
    return json.dumps({name: body}, ensure_ascii=False)


def outputs(ref: Ref, op: str, old: dict[str, Any] | None = None,
            new: dict[str, Any] | None = None) -> str:
    """A completed operation; ``old``/``new``: the object's outputs before and after it."""
    meta: dict[str, Any] = {"op": op, "urn": urn(ref)}
    for side, outs in (("old", old), ("new", new)):
        if outs is not None:
            meta[side] = {"urn": urn(ref), "outputs": outs}
    return event("resOutputsEvent", {"metadata": meta})


def waits(step: int) -> dict[str, Any]:
    """The outputs of an object waiting on ledger step ``step`` (as the provider writes)."""
    return {"status": "pending", "runbook": "…",
            "manual_step": {"platform": "shopee", "operation": "create", "step": step}}


ACTIVE: dict[str, Any] = {"status": "active", "manual_step": None}


def failed(ref: Ref, op: str, message: str) -> str:
    return "\n".join([
        event("diagnosticEvent", {"urn": urn(ref), "severity": "error",
                                  "message": f"Exception calling application: {message}\n"}),
        event("resOpFailedEvent", {"metadata": {"op": op, "urn": urn(ref)}}),
    ])


def not_seen(ref: Ref) -> str:
    return event("diagnosticEvent", {"urn": urn(ref), "severity": "error", "message": (
        f"expected resource operations for {urn(ref)} but none were seen\n")})


GRANT = ROLE_GRANT.ref("tb-youpin", "zhang-wei", "tb-youpin-shop")
SUB = SUB_ACCOUNT.ref("tb-youpin", "zhang-wei")
OPS = ROLE.ref("tb-youpin", "tb-ops")


def test_the_recorded_failure_lists_both_roles_and_counts_every_other_planned_object() -> None:
    text, planned = recorded()
    outcome = outcome_of(text, planned)
    assert [(f.kind, f.name, f.operation) for f in outcome.failed] == [
        ("role", "tb-youpin/tb-ops", "create"), ("role", "tm-youpin/tm-ops", "create"),
    ]
    assert all(f.message.endswith("create_role failed: injected permanent failure")
               for f in outcome.failed)
    assert outcome.applied == {"create": 9}
    # Everything planned is accounted for once, including objects the engine never names.
    assert 9 + len(outcome.failed) + len(outcome.not_reached) == len(planned) == 88
    assert not outcome.ok and outcome.result == "failed"


def test_the_rendered_outcome_puts_the_real_failures_before_the_not_reached_count() -> None:
    text, planned = recorded()
    out = render_outcome(outcome_of(text, planned))
    lines = out.splitlines()
    assert lines[0] == "applied: 9 automated (9 created)"
    assert lines[1] == "FAILED: 2 objects failed, 77 not reached"
    assert lines[2].startswith("  ✗ role tb-youpin/tb-ops — create failed: role ")
    assert lines[3].startswith("  ✗ role tm-youpin/tm-ops — create failed: ")
    assert lines[4].startswith("77 not reached (4 departments, 4 roles, 29 sub-accounts, ")
    assert "expected resource operations" not in out and "Exception calling" not in out


@pytest.mark.parametrize(
    ("case", "stream", "planned", "failed", "not_reached", "applied"),
    [
        ("a clean apply has no failures and nothing unreached",
         [outputs(SUB, "create"), outputs(GRANT, "create")],
         {SUB: "create", GRANT: "create"}, [], [], {"create": 2}),
        ("a failed sub-account leaves its grant not reached",
         [failed(SUB, "create", "seat quota exceeded"), not_seen(GRANT)],
         {SUB: "create", GRANT: "create"},
         [("sub_account", SUB.name, "create", "seat quota exceeded")],
         [("role_grant", GRANT.name, "create")], {}),
        ("a planned object the engine never names is still not reached",
         [failed(OPS, "update", "boom")], {OPS: "update", GRANT: "update"},
         [("role", OPS.name, "update", "boom")], [("role_grant", GRANT.name, "update")], {}),
        ("a replacement is one replace however many engine steps it takes",
         [outputs(SUB, "create-replacement"), outputs(SUB, "replace"),
          outputs(SUB, "delete-replaced")], {SUB: "replace"}, [], [], {"replace": 1}),
        ("a failure's operation is the planned one when the engine names its own step",
         [failed(SUB, "create-replacement", "login taken")], {SUB: "replace"},
         [("sub_account", SUB.name, "replace", "login taken")], [], {}),
        ("an object that failed is never also counted as not reached",
         [failed(GRANT, "update", "no"), not_seen(GRANT)], {GRANT: "update"},
         [("role_grant", GRANT.name, "update", "no")], [], {}),
    ],
)
def test_outcome_of_an_event_stream(
    case: str, stream: list[str], planned: dict[Ref, str],
    failed: list[tuple[str, str, str, str]], not_reached: list[tuple[str, str, str]],
    applied: dict[str, int],
) -> None:
    outcome = outcome_of("\n".join(stream) + "\n", planned)
    assert [(f.kind, f.name, f.operation, f.message) for f in outcome.failed] == failed, case
    assert [(u.kind, u.name, u.operation) for u in outcome.not_reached] == not_reached, case
    assert dict(outcome.applied) == applied, case


def test_an_error_about_no_object_is_shown_as_a_failure_of_the_apply() -> None:
    stream = event("diagnosticEvent", {"severity": "error", "message": "program crashed\n"})
    outcome = outcome_of(stream, {})
    assert outcome.errors == ("program crashed",) and not outcome.ok
    assert "  ✗ program crashed" in render_outcome(outcome)


def test_the_journal_record_names_kind_name_operation_and_message() -> None:
    outcome = outcome_of(failed(SUB, "create", "seat quota exceeded") + "\n" + not_seen(GRANT),
                         {SUB: "create", GRANT: "create"})
    assert outcome.to_json() == {
        "applied": {},
        "failed": [{"kind": "sub_account", "name": SUB.name, "operation": "create",
                    "message": "seat quota exceeded"}],
        "not_reached": [{"kind": "role_grant", "name": GRANT.name, "operation": "create"}],
    }


SP_SUB = SUB_ACCOUNT.ref("sp-youpin", "zhang-wei")
SP_GRANT = ROLE_GRANT.ref("sp-youpin", "zhang-wei", "sp-youpin-sg")


@pytest.mark.parametrize(
    ("case", "stream", "raised", "reopened", "progress", "line"),
    [
        ("an apply the sandbox does is all automated",
         [outputs(SUB, "create", new=ACTIVE), outputs(GRANT, "create", new={})],
         [], [], Progress({"create": 2}, 0, 0, 0, 0),
         "applied: 2 automated (2 created)"),
        ("a create no API can do waits on the step this run raised",
         [outputs(SP_SUB, "create", new=waits(7))], [SP_SUB], [],
         Progress({}, 1, 1, 0, 0),
         "applied: 0 automated · 1 waiting on manual steps (1 new; `shoporg tasks`)"),
        ("a step still open waits and is neither new nor done",
         [outputs(SP_SUB, "update", old=waits(7), new=waits(7))], [], [],
         Progress({}, 1, 0, 0, 0),
         "applied: 0 automated · 1 waiting on manual steps (0 new; `shoporg tasks`)"),
        ("a step the read-back or a confirmation settled is closed, not automated",
         [outputs(SP_SUB, "update", old=waits(7), new=ACTIVE)], [], [],
         Progress({}, 0, 0, 0, 1), "applied: 0 automated · 1 step closed"),
        ("a confirmed step the platform does not show is reopened and waits",
         [outputs(SUB, "update", old=waits(3), new=waits(3))], [], [SUB],
         Progress({}, 1, 0, 1, 0),
         "applied: 0 automated · 1 waiting on manual steps "
         "(0 new, 1 reopened: not visible yet; `shoporg tasks`)"),
        ("a removal no API can do waits on the step the ledger raised for it",
         [outputs(SP_GRANT, "delete", old=ACTIVE)], [SP_GRANT], [],
         Progress({}, 1, 1, 0, 0),
         "applied: 0 automated · 1 waiting on manual steps (1 new; `shoporg tasks`)"),
        ("a removal an API did is automated",
         [outputs(GRANT, "delete", old=ACTIVE)], [], [],
         Progress({"delete": 1}, 0, 0, 0, 0), "applied: 1 automated (1 deleted)"),
        ("an object removed while its step was open withdraws the step",
         [outputs(SP_SUB, "delete", old=waits(7))], [], [],
         Progress({}, 0, 0, 0, 0, withdrawn=1),
         "applied: 0 automated · 1 step withdrawn (no longer declared)"),
        ("a replacement waits on the new object's step, whatever the old one waited on",
         [outputs(SP_SUB, "delete-replaced", old=waits(7)),
          outputs(SP_SUB, "create-replacement", new=waits(9)),
          outputs(SP_SUB, "replace", old=waits(7), new=waits(9))], [SP_SUB], [],
         Progress({}, 1, 1, 0, 0),
         "applied: 0 automated · 1 waiting on manual steps (1 new; `shoporg tasks`)"),
        ("a day's apply names each of the three apart",
         [outputs(OPS, "create", new={}), outputs(SUB, "update", old=ACTIVE, new=ACTIVE),
          outputs(SP_SUB, "create", new=waits(7)), outputs(SP_GRANT, "create", new=waits(8)),
          outputs(GRANT, "update", old=waits(2), new=ACTIVE),
          outputs(ROLE.ref("sp-youpin", "sp-kf"), "update", old=waits(1), new=waits(1))],
         [SP_SUB, SP_GRANT], [], Progress({"create": 1, "update": 1}, 3, 2, 0, 1),
         "applied: 2 automated (1 created, 1 updated) · 3 waiting on manual steps "
         "(2 new; `shoporg tasks`) · 1 step closed"),
        ("an apply that completed nothing says so",
         [], [], [], Progress({}, 0, 0, 0, 0), "applied: nothing"),
    ],
)
def test_what_the_applied_objects_came_to(
    case: str, stream: list[str], raised: list[Ref], reopened: list[Ref],
    progress: Progress, line: str,
) -> None:
    outcome = outcome_of("\n".join(stream) + "\n", {})
    assert progress_of(outcome, raised, reopened) == progress, case
    rendered = render_outcome(outcome, progress_of(outcome, raised, reopened))
    assert rendered.splitlines()[0] == line, case
    # A manual step, open or new, is neither a failure nor something done.
    assert outcome.ok and "FAILED" not in rendered


def test_the_outcome_names_the_step_each_object_waits_on_and_the_one_it_closed() -> None:
    outcome = outcome_of("\n".join([
        outputs(SP_SUB, "create", new=waits(7)),
        outputs(SP_GRANT, "update", old=waits(8), new=ACTIVE),
        outputs(SUB, "update", old={"status": "pending", "manual_step": {}}, new=ACTIVE),
    ]), {})
    assert outcome.waiting == {SP_SUB: 7}
    assert outcome.closed == {SP_GRANT: 8}  # an empty manual_step is no step (older state)
    assert outcome.applied == {"create": 1, "update": 2}  # the engine's view, as before


def test_the_journal_records_the_progress_as_the_line_counts_it() -> None:
    assert Progress({"create": 12}, 94, 94, 0, 10).to_json() == {
        "automated": {"create": 12}, "waiting": 94, "new": 94, "reopened": 0,
        "closed": 10, "withdrawn": 0}
