"""``shoporg review-access`` without the engine: who is reviewed (per department, per
manager), what a whole-org review lists beyond people, and what an attestation covers."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from shoporg.backends.ledger import Ledger
from shoporg.backends.settings import BackendSettings
from shoporg.cli.review_access import (
    access_lines,
    departments_under,
    known,
    managed_by,
    object_lines,
)
from shoporg.errors import ShoporgError
from shoporg.kinds import ROLE_GRANT, SUB_ACCOUNT
from shoporg.schema import load_org
from shoporg.stackconfig import StackSettings

REPO = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 1)
LEDGER_PLATFORMS = ("shopee", "ozon", "douyin")


@pytest.fixture
def settings(tmp_path: Path) -> StackSettings:
    connectors = tuple((p, "ledger") for p in LEDGER_PLATFORMS)
    return StackSettings(BackendSettings(ledger_path=str(tmp_path / "ledger.db"),
                                         connectors=connectors))  # type: ignore[arg-type]


ORG = load_org(REPO / "org.yaml")


@pytest.mark.parametrize(
    ("managers", "departments"),
    [
        pytest.param(["chen-jing"], {"cs", "cs-presale", "cs-aftersale"},
                     id="a manager reviews the departments she manages and their children"),
    ],
)
def test_a_manager_reviews_exactly_her_departments(
    managers: list[str], departments: set[str],
) -> None:
    assert departments_under(ORG, managed_by(ORG, managers)) == departments


@pytest.mark.parametrize(
    ("managers", "message"),
    [
        pytest.param(["nobody"], "no member 'nobody' in org.yaml",
                     id="an unknown member is refused"),
        pytest.param(["zhang-wei"], "manage no department",
                     id="a member who manages nothing is refused with what to do"),
    ],
)
def test_a_manager_review_of_nobody_is_refused(managers: list[str], message: str) -> None:
    with pytest.raises(ShoporgError, match=message):
        managed_by(ORG, managers)


def test_a_department_review_lists_people_on_every_platform_with_their_evidence(
    settings: StackSettings,
) -> None:
    lines = access_lines(ORG, settings, departments_under(ORG, ["cs"]), TODAY)
    assert {x.department for x in lines} <= {"cs", "cs-presale", "cs-aftersale"}
    assert {x.kind for x in lines} <= {ROLE_GRANT.word, SUB_ACCOUNT.word}
    evidence = {(x.account.split("-")[0], x.evidence) for x in lines}
    assert ("tb", "read API") in evidence and ("sp", "pending (not confirmed)") in evidence


def test_a_whole_org_review_lists_roles_bindings_and_groups_of_the_ledger_accounts(
    settings: StackSettings,
) -> None:
    objects = object_lines(ORG, settings, TODAY)
    kinds = {x.kind for x in objects}
    assert kinds == {"role", "shop_binding", "chat_group"}
    ledger_accounts = {a.id for a in ORG.accounts if a.platform in LEDGER_PLATFORMS}
    assert {x.account for x in objects} <= ledger_accounts
    role = next(x for x in objects if x.object == "sp-youpin/sp-cs")
    assert "chat-reply" in role.details and role.evidence == "pending (not confirmed)"


def test_confirmed_objects_are_listed_with_their_date_and_age(
    settings: StackSettings,
) -> None:
    ledger = Ledger(settings.backend.ledger_path, clock=lambda: datetime.datetime(
        2026, 9, 1, 9, 0, tzinfo=datetime.UTC))
    step = ledger.raise_step(kind="role", name="sp-youpin/sp-cs", account="sp-youpin",
                             platform="shopee", operation="create", desired={"id": "sp-cs"},
                             page="Roles", person=None, runbook="add the role")
    ledger.mark([step.id], "done", by="小王")
    role = next(x for x in object_lines(ORG, settings, TODAY) if x.object == "sp-youpin/sp-cs")
    assert (role.evidence, role.verified, role.age_days) == ("ledger", "2026-09-01", 91)


def test_one_review_reads_the_world_and_the_ledger_once_for_both_kinds_of_lines(
    settings: StackSettings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []
    real = Ledger.verified_at

    def counted(self: Ledger, account: str | None = None,
                ) -> dict[tuple[str, str], datetime.datetime]:
        reads.append("ledger")
        return real(self, account)

    monkeypatch.setattr(Ledger, "verified_at", counted)
    facts = known(ORG, settings, TODAY)
    alone = (access_lines(ORG, settings, departments_under(ORG, None), TODAY),
             object_lines(ORG, settings, TODAY))
    assert reads == ["ledger"] * 3  # once for the shared facts, once per line kind alone
    shared = (access_lines(ORG, settings, departments_under(ORG, None), TODAY, facts),
              object_lines(ORG, settings, TODAY, facts))
    assert reads == ["ledger"] * 3 and shared == alone
