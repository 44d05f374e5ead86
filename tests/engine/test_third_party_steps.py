"""Steps that wait on a third party, on the real engine: a Shopee main account whose holder
has not opened the activation link, a Douyin creator who has not consented yet.

They are pending steps with runbooks, never a failed ``up``; what is known before anything
is applied (the link's deadline, an expired link) is reported by ``pulumi preview``; and
once the third party acts, the next ``up`` completes them and closes their ledger steps
without anyone confirming them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shoporg.backends.ledger import Ledger
from tests.engine.conftest import StackProject, worklist_steps

CREATOR, SHOP = "xiaoyu_shuma", "dy-youpin-shop"  # org.yaml's self-operated creator
BINDING = f"{SHOP}/self_operated/{CREATOR}"


@pytest.fixture(scope="module")
def project(engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProject]:
    # No demo creators (nobody has consented) and Shopee accounts awaiting activation.
    yield StackProject(tmp_path_factory.mktemp("third-party"),
                       sandbox_init=("--pending-activation",))


def shopee_sub_accounts(project: StackProject) -> set[str]:
    return {f"{s['account']}/{m['id']}" for m in project.org()["members"]
            for s in m["sub_accounts"] if s["account"].startswith("sp-")}


@pytest.mark.parametrize(
    ("clock", "says"),
    [
        pytest.param(None, "the link is valid until",
                     id="a link just sent is noted with its deadline"),
        pytest.param("73h", "activation link expired at", id="an expired link says invite again"),
    ],
)
def test_preview_reports_an_unactivated_shopee_account_with_its_runbook(
    project: StackProject, clock: str | None, says: str,
) -> None:
    if clock:
        project.shoporg("sandbox", "clock", "advance", clock)
    result = project.preview()
    assert "warning:" in result.output and "sp-youpin" in result.output
    assert says in result.output and "invite again" in result.output


def test_up_fails_nothing_and_leaves_the_waiting_objects_pending_with_runbooks(
    project: StackProject,
) -> None:
    project.up()
    outs = project.outputs()
    # The binding and everything under the Shopee account wait; nothing else does.
    assert {s["account"] for s in worklist_steps(project)} == {"sp-youpin", "dy-youpin"}
    waiting = {BINDING, *shopee_sub_accounts(project)}
    for name in waiting:
        assert outs[name]["status"] == "pending", name
        assert outs[name]["manual_step"]["waits_on"], name
    assert "own Douyin app" in outs[BINDING]["runbook"]
    assert "invite again" in outs[next(iter(shopee_sub_accounts(project)))]["runbook"]
    assert waiting <= {s["name"] for s in worklist_steps(project)}
    sandbox = project.backend()
    try:  # nothing was created under the unactivated account, nothing bound
        assert sandbox.list_sub_accounts("sp-youpin") == []
        assert [b.external_id for b in sandbox.list_bindings("dy-youpin")
                if b.kind == "self_operated"] == []
    finally:
        sandbox.close()


def test_once_the_third_parties_act_the_next_up_completes_and_closes_their_steps(
    project: StackProject,
) -> None:
    hand = project.shoporg
    hand("sandbox", "shopee", "invite", "sp-youpin")  # a fresh 72-hour link...
    hand("sandbox", "shopee", "activate", "sp-youpin")  # ...that the holder opens
    hand("sandbox", "consent", CREATOR, SHOP)  # the creator accepts in the app
    hand("sandbox", "gmv", CREATOR, "8000", "--shop", SHOP)
    hand("sandbox", "gmv", CREATOR, "1000", "--elsewhere", "another-merchant")
    project.up()
    outs = project.outputs()
    for name in {BINDING, *shopee_sub_accounts(project)}:
        assert outs[name]["status"] in ("active", "disabled"), name  # leavers are disabled
        assert outs[name].get("manual_step") is None, name
    assert worklist_steps(project) == []  # on the sandbox nothing else waits for anyone
    # Nobody confirmed them: the read-back did, and the ledger says so.
    ledger = Ledger(project.root / ".shoporg" / "ledger.db")
    closed = {s.name: s.state_by for s in ledger.steps("done")}
    assert set(closed.values()) == {"read-back"} and ledger.steps("open") == []
    assert {BINDING, *shopee_sub_accounts(project)} <= set(closed)
    # Everything else under the unactivated account had waited too (roles, grants, groups).
    assert {s.account for s in ledger.steps("done")} == {"sp-youpin", "dy-youpin"}
    assert project.preview("--expect-no-changes", check=False).returncode == 0
