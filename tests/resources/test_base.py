"""ObjectProvider semantics every kind shares: check, diff, adopt, vanish, retry, bulk reads."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime import rpc

from shoporg.backends.protocol import Backend, DepartmentSpec, SubAccountSpec
from shoporg.errors import ConflictError
from shoporg.resources import base
from shoporg.resources.department import DepartmentProvider
from shoporg.resources.sub_account import SubAccountProvider

DEPT = {"account_id": "tb", "department_id": "cs", "name": "客服部", "parent_id": None}


def sub_props(member: str = "alice", **kw: Any) -> dict[str, Any]:
    return {
        "account_id": "tb", "member_id": member, "login": f"acme旗舰店:{member}",
        "display_name": "王丽", "department_id": None, "email": None, "phone": None,
        "dispatch": False, "two_factor": False, "enabled": True, **kw,
    }


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        (DEPT, []),
        ({**DEPT, "department_id": "客服"}, ["department_id"]),
        ({**DEPT, "colour": "red"}, ["colour"]),
        ({k: v for k, v in DEPT.items() if k != "name"}, ["name"]),
        ({**DEPT, "parent_id": rpc.UNKNOWN}, []),
    ],
    ids=[
        "valid props pass",
        "a non-slug id fails on that field",
        "an unknown property fails",
        "a missing name fails",
        "an input not known until apply is not reported",
    ],
)
def test_check_reports_each_problem_on_its_field(
    props: dict[str, Any], expected: list[str]
) -> None:
    result = DepartmentProvider().check({}, props)
    assert [f.property for f in result.failures] == expected


@pytest.mark.parametrize(
    ("change", "changes", "replaces"),
    [
        ({}, False, []),
        ({"name": "售后"}, True, []),
        ({"department_id": "ops"}, True, ["department_id"]),
        ({"account_id": "tm"}, True, ["account_id"]),
    ],
    ids=[
        "no change is no diff",
        "a renamed department updates in place",
        "a new department id replaces",
        "another account replaces",
    ],
)
def test_diff_replaces_only_for_identity_fields(
    change: dict[str, Any], changes: bool, replaces: list[str]
) -> None:
    result = DepartmentProvider().diff("tb/cs", DEPT, {**DEPT, **change})
    assert (result.changes, result.replaces) == (changes, replaces)


def test_a_changed_taobao_login_replaces_the_sub_account() -> None:
    result = SubAccountProvider().diff("tb/alice", sub_props(), sub_props(login="acme旗舰店:bob"))
    assert result.replaces == ["login"]


def test_create_adopts_an_identical_object_a_crashed_run_left_behind(backend: Backend) -> None:
    backend.create_department("tb", DepartmentSpec("cs", "客服部"))
    result = DepartmentProvider().create(DEPT)
    assert result.id == "tb/cs"
    assert [d.id for d in backend.list_departments("tb")] == ["cs"]


def test_create_refuses_a_different_object_with_the_same_identity(backend: Backend) -> None:
    backend.create_department("tb", DepartmentSpec("cs", "运营部"))
    with pytest.raises(ConflictError, match="tb/cs"):
        DepartmentProvider().create(DEPT)


def test_read_of_a_vanished_object_drops_it_from_state(backend: Backend) -> None:
    provider = DepartmentProvider()
    created = provider.create(DEPT)
    backend.delete_department("tb", "cs")
    base.READ_CACHE.invalidate((provider.settings, provider.kind, "tb"))
    assert provider.read(created.id, created.outs).id is None


def test_read_returns_live_inputs_so_refresh_shows_drift(backend: Backend) -> None:
    provider = DepartmentProvider()
    created = provider.create(DEPT)
    backend.update_department("tb", DepartmentSpec("cs", "客服中心"))
    base.READ_CACHE.invalidate((provider.settings, provider.kind, "tb"))
    result = provider.read(created.id, created.outs)
    assert result.inputs is not None and result.inputs["name"] == "客服中心"


def test_delete_of_a_missing_object_succeeds(backend: Backend) -> None:
    DepartmentProvider().delete("tb/cs", DEPT)
    assert backend.list_departments("tb") == []


def test_reads_of_one_account_cost_one_list_call(backend: Backend) -> None:
    provider = SubAccountProvider()
    created = [provider.create(sub_props(m)) for m in ("a", "b", "c", "d")]
    base.READ_CACHE.invalidate((provider.settings, provider.kind, "tb"))
    backend.reset_calls()
    for result in created:
        assert provider.read(result.id, result.outs).id == result.id
    assert backend.calls.get("list_sub_accounts") == 1
    assert "get_sub_account" not in backend.calls


def test_creates_in_one_account_cost_one_list_call_and_no_reads(backend: Backend) -> None:
    provider = SubAccountProvider()
    created = [provider.create(sub_props(m)) for m in ("a", "b", "c", "d")]
    assert backend.calls.get("list_sub_accounts") == 1
    assert backend.calls.get("create_sub_account") == 4
    assert "get_sub_account" not in backend.calls
    # The listing was amended by our own creates: reading them back costs nothing more.
    for result in created:
        assert provider.read(result.id, result.outs).id == result.id
    assert backend.calls.get("list_sub_accounts") == 1


def test_a_delete_then_create_of_one_object_lists_the_account_once(backend: Backend) -> None:
    provider = DepartmentProvider()
    provider.create(DEPT)
    provider.delete("tb/cs", DEPT)
    assert provider.create(DEPT).id == "tb/cs"
    assert backend.calls.get("list_departments") == 1
    assert [d.id for d in backend.list_departments("tb")] == ["cs"]


@pytest.mark.parametrize(
    ("made_meanwhile", "adopted"),
    [(DepartmentSpec("cs", "客服部"), True), (DepartmentSpec("cs", "运营部"), False)],
    ids=[
        "an identical object made after the listing is adopted",
        "a different object made after the listing is refused",
    ],
)
def test_create_looks_again_when_the_account_system_has_the_object_the_listing_lacked(
    backend: Backend, made_meanwhile: DepartmentSpec, adopted: bool
) -> None:
    provider = DepartmentProvider()
    provider.create({**DEPT, "department_id": "ops", "name": "运营"})  # lists the account
    backend.create_department("tb", made_meanwhile)  # by hand, after the listing
    if adopted:
        assert provider.create(DEPT).id == "tb/cs"
    else:
        with pytest.raises(ConflictError, match="运营部"):
            provider.create(DEPT)
    assert sorted(d.id for d in backend.list_departments("tb")) == ["cs", "ops"]


def test_without_bulk_reads_every_read_lists_again(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOPORG_BULK_READS", "0")
    provider = SubAccountProvider()
    created = [provider.create(sub_props(m)) for m in ("a", "b", "c")]
    backend.reset_calls()
    for result in created:
        provider.read(result.id, result.outs)
    assert backend.calls.get("list_sub_accounts") == 3


def test_a_leaver_is_created_disabled_and_gets_a_secret_initial_password(
    backend: Backend,
) -> None:
    result = SubAccountProvider().create(sub_props(enabled=False))
    assert result.outs["status"] == "disabled" and len(result.outs["initial_password"]) >= 12
    live = backend.get_sub_account("tb", "alice")
    assert live is not None and live.status == "disabled" and live.password_set


def test_a_member_renamed_with_previously_is_rekeyed_in_place(backend: Backend) -> None:
    provider = SubAccountProvider()
    created = provider.create(sub_props("alice"))
    provider.update(created.id, created.outs, sub_props("alice2", login="acme旗舰店:alice"))
    assert backend.get_sub_account("tb", "alice") is None
    renamed = backend.get_sub_account("tb", "alice2")
    assert renamed is not None and renamed.login == "acme旗舰店:alice"


def test_a_sub_account_spec_round_trips_through_live_inputs(backend: Backend) -> None:
    provider = SubAccountProvider()
    created = provider.create(sub_props(phone="138"))
    live = backend.get_sub_account("tb", "alice")
    assert live is not None
    assert provider.live_inputs(live) == sub_props(phone="138")
    assert live.spec() == SubAccountSpec("alice", "acme旗舰店:alice", "王丽", phone="138")
    assert created.outs["runbook"] is None


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda cache, key: cache.put(key, "a", "live a"), {"a": "live a"}),
        (lambda cache, key: cache.invalidate(key), {"a": "listed again"}),
    ],
    ids=[
        "a create committed while its account was being listed is added to the listing",
        "a write committed while its account was being listed drops the listing after it",
    ],
)
def test_a_write_during_a_listing_is_applied_after_the_listing_is_stored(
    write: Any, expected: dict[str, str]
) -> None:
    import threading

    cache = base.BulkReadCache()
    key = ("settings", "sub_account", "tb")
    loading, release = threading.Event(), threading.Event()

    def stale_listing() -> dict[Any, Any]:
        loading.set()
        release.wait(5)
        return {}  # read before the write committed

    lister = threading.Thread(target=lambda: cache.get(key, stale_listing))
    lister.start()
    assert loading.wait(5)
    writer = threading.Thread(target=lambda: write(cache, key))
    writer.start()
    writer.join(0.2)
    assert writer.is_alive()  # it waits for the listing in progress
    release.set()
    lister.join(5)
    writer.join(5)
    assert cache.get(key, lambda: {"a": "listed again"}) == expected
