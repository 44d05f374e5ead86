"""Open manual steps follow the desired state, and no operator slip wedges a resource: the
sub-account and role-grant providers against the ledger connector (Shopee), without the
engine — each case is the sequence of provider calls the engine makes across several `up`s.

* a leaver whose login nobody made needs no step (withdrawn, with the reason), and a
  returning person is asked for one again;
* roles ticked done before their sub-account read as unchanged, never as a replacement;
* a create ticked done with older values is adopted and the difference becomes an update;
* deleting an object whose create nobody did withdraws the create.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from shoporg.backends.ledger import Ledger
from shoporg.backends.settings import BackendSettings
from shoporg.resources.role_grant import RoleGrantArgs, RoleGrantProvider
from shoporg.resources.sub_account import SubAccountArgs, SubAccountProvider

ORG = """
company: 测试
accounts:
  - {id: sp, platform: shopee, nick: acme, seat_quota: 5,
     shops: [{id: sp-sg, name: Acme SG, site: SG}]}
departments: [{id: cs, name: 客服部}, {id: ops, name: 运营部}]
roles:
  - {id: sp-kf, platform: shopee, name: 客服, permissions: [chat]}
members:
  - {id: li-na, name: 李娜, department: cs, email: li.na@acme.com,
     sub_accounts: [{account: sp, login_name: lina, roles: [sp-kf]}]}
"""
SUB = SubAccountArgs(account_id="sp", member_id="li-na", login="acme:lina",
                     display_name="李娜", email="li.na@acme.com")
GRANT = RoleGrantArgs(account_id="sp", member_id="li-na", login="acme:lina", shop_id="sp-sg",
                      role_ids=["sp-kf"])


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[tuple[SubAccountProvider, RoleGrantProvider, Ledger]]:
    # Each `up` is a new provider process: no listing outlives a call here either.
    monkeypatch.setenv("SHOPORG_BULK_READS", "0")
    (tmp_path / "org.yaml").write_text(ORG, encoding="utf-8")
    settings = BackendSettings(kind="ledger", org_file=str(tmp_path / "org.yaml"),
                               ledger_path=str(tmp_path / "ledger.db"), stack="prod")
    sub, grant = SubAccountProvider(), RoleGrantProvider()
    sub._settings = grant._settings = settings
    yield sub, grant, Ledger(settings.ledger_path, stack="prod")


def props(args: SubAccountArgs | RoleGrantArgs, **extra: Any) -> dict[str, Any]:
    return {**args.model_dump(), **extra}


def outs(result: CreateResult | UpdateResult | ReadResult) -> dict[str, Any]:
    assert result.outs is not None
    return dict(result.outs)


def open_steps(ledger: Ledger) -> list[tuple[str, str, str]]:
    return sorted((s.kind, s.name, s.operation) for s in ledger.steps("open"))


def made_by_a_person(sub: SubAccountProvider, ledger: Ledger) -> dict[str, Any]:
    """李娜's sub-account created, made in the seller centre and confirmed: its outputs."""
    made = outs(sub.create(props(SUB)))
    [create] = ledger.steps("open")
    ledger.mark([create.id], "done", by="小王")
    active: dict[str, Any] = outs(sub.update("sp/li-na", made, props(SUB)))
    assert active["status"] == "active"
    return active


def test_a_leaver_whose_login_nobody_made_needs_no_step_until_she_returns(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    sub, grant, ledger = world
    made = outs(sub.create(props(SUB)))
    granted = outs(grant.create(props(GRANT)))
    assert made["status"] == granted["status"] == "pending"
    assert open_steps(ledger) == [("role_grant", "sp/li-na@sp-sg", "create"),
                                  ("sub_account", "sp/li-na", "create")]

    gone = SUB.model_copy(update={"enabled": False})
    after = outs(sub.update("sp/li-na", made, props(gone)))
    after_grant = outs(grant.update("sp/li-na@sp-sg", granted, props(GRANT)))
    assert (after["status"], after["manual_step"]) == ("absent", None)
    assert (after_grant["status"], after_grant["manual_step"]) == ("absent", None)
    assert open_steps(ledger) == []
    notes = {s.state_note for s in ledger.steps()}
    assert all(n and n.startswith("withdrawn: ") for n in notes), notes
    # Nothing to look at again: the next preview is empty for her.
    assert not sub.diff("sp/li-na", after, props(gone)).changes
    assert outs(sub.read("sp/li-na", after)) == after  # absent is a state, not a vanishing

    back = outs(sub.update("sp/li-na", after, props(SUB)))  # she comes back
    assert back["status"] == "pending"
    assert open_steps(ledger) == [("sub_account", "sp/li-na", "create")]


def test_roles_ticked_done_before_their_sub_account_read_as_unchanged(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    sub, grant, ledger = world
    made = outs(sub.create(props(SUB)))
    granted = outs(grant.create(props(GRANT)))
    [grant_step] = [s for s in ledger.steps("open") if s.kind == "role_grant"]
    ledger.mark([grant_step.id], "done", by="小王")  # out of order: the login is not there
    read = grant.read("sp/li-na@sp-sg", granted)
    assert read.inputs is not None and read.inputs["login"] == GRANT.login
    assert grant.diff("sp/li-na@sp-sg", read.outs or {}, props(GRANT)).replaces == []
    settled = outs(grant.update("sp/li-na@sp-sg", read.outs or {}, props(GRANT)))
    assert settled["manual_step"] is None

    [sub_step] = ledger.steps("open")
    ledger.mark([sub_step.id], "done", by="小王")
    assert outs(sub.update("sp/li-na", made, props(SUB)))["status"] == "active"
    assert open_steps(ledger) == []


def test_a_create_ticked_done_with_older_values_is_adopted_and_asked_to_be_updated(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    sub, _, ledger = world
    made = outs(sub.create(props(SUB)))
    [first] = ledger.steps("open")
    moved = SUB.model_copy(update={"department_id": "ops"})
    waiting = outs(sub.update("sp/li-na", made, props(moved)))  # a mover before it was made
    assert [s.id for s in ledger.steps("skipped")] == [first.id]  # superseded
    ledger.mark([first.id], "done", by="小王", note="made it from the old list")
    again = outs(sub.update("sp/li-na", waiting, props(moved)))  # was: "a different ... exists"
    assert again["status"] == "pending"
    [step] = ledger.steps("open")
    assert step.operation == "update" and (step.desired or {})["department_id"] == "ops"


def test_deleting_an_object_whose_create_nobody_did_withdraws_the_create(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    sub, _, ledger = world
    made = outs(sub.create(props(SUB)))
    sub.delete("sp/li-na", made)
    assert open_steps(ledger) == []
    [step] = ledger.steps()
    assert step.state_note == "withdrawn: org.yaml no longer declares it"


def test_a_removal_no_api_can_do_is_a_step_and_never_a_failure(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    sub, _, ledger = world
    active = made_by_a_person(sub, ledger)
    sub.delete("sp/li-na", active)  # no exception: the run goes on
    assert open_steps(ledger) == [("sub_account", "sp/li-na", "delete")]
    # Declared again before anyone removed it: kept, and the removal withdrawn.
    assert outs(sub.create(props(SUB)))["status"] == "active"
    assert open_steps(ledger) == []


def test_a_login_renamed_on_a_platform_without_an_api_is_a_removal_and_a_create(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    # Found by the lifecycle model (seed 1): the replacement's create met the old login,
    # still there until its removal is done, and failed ("local variable 'live'").
    sub, _, ledger = world
    active = made_by_a_person(sub, ledger)
    sub.delete("sp/li-na", active)  # the engine replaces: delete before create
    renamed = SUB.model_copy(update={"login": "acme:lina2"})
    assert outs(sub.create(props(renamed)))["status"] == "pending"
    assert open_steps(ledger) == [("sub_account", "sp/li-na", "create"),
                                  ("sub_account", "sp/li-na", "delete")]
    # The operator makes the new login first, then removes the old one: the new one stays.
    new, old = sorted(ledger.steps("open"), key=lambda s: s.operation)
    ledger.mark([new.id], "done", by="小王")
    ledger.mark([old.id], "done", by="小王")
    now = sub.read("sp/li-na", {**props(renamed), "status": "pending",
                                "manual_step": {"step": new.id}})
    assert now.outs is not None and now.outs["login"] == "acme:lina2"


def test_a_skipped_step_org_yaml_still_asks_for_is_raised_again_by_the_next_up(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    # `tasks skip` closes a step nobody will do as it stands; org.yaml decides what is
    # needed, so while it still declares the login the next up asks for it again.
    sub, _, ledger = world
    made = outs(sub.create(props(SUB)))
    [create] = ledger.steps("open")
    ledger.mark([create.id], "skipped", by="小王", note="not needed")
    assert open_steps(ledger) == []
    again = outs(sub.update("sp/li-na", made, props(SUB)))  # the next up: still pending
    assert again["status"] == "pending"
    [raised] = ledger.steps("open")
    assert (raised.operation, raised.id) == ("create", create.id + 1)
    # Dropped from org.yaml instead, it needs nothing: the new step is withdrawn.
    sub.delete("sp/li-na", again)
    assert open_steps(ledger) == []


def test_a_login_renamed_the_day_its_holder_leaves_needs_only_the_old_one_removed(
    world: tuple[SubAccountProvider, RoleGrantProvider, Ledger],
) -> None:
    # Found by the lifecycle model (--hypothesis-seed=13): the new login of a person who left
    # was not asked for, but its role grant was — roles for a login nobody will make.
    sub, grant, ledger = world
    active = made_by_a_person(sub, ledger)
    granted = outs(grant.create(props(GRANT)))
    [grant_step] = ledger.steps("open")
    ledger.mark([grant_step.id], "done", by="小王")
    granted = outs(grant.update("sp/li-na@sp-sg", granted, props(GRANT)))
    assert granted["status"] == "active"
    # Renamed and gone in one change: the engine replaces both, removals first.
    grant.delete("sp/li-na@sp-sg", granted)
    sub.delete("sp/li-na", active)
    renamed = SUB.model_copy(update={"login": "acme:lina2", "enabled": False})
    assert outs(sub.create(props(renamed)))["status"] == "absent"
    new_grant = GRANT.model_copy(update={"login": "acme:lina2"})
    assert outs(grant.create(props(new_grant)))["status"] == "absent"
    assert open_steps(ledger) == [("role_grant", "sp/li-na@sp-sg", "delete"),
                                  ("sub_account", "sp/li-na", "delete")]
