"""``shoporg import`` round trips on the real engine: what it writes declares exactly what
the account system holds, so the stack plans no change and adopts without writing.

Two organizations: the repo's org.yaml applied by ``pulumi up``, and a generated
organization of :data:`MEMBERS` people on five accounts set up by hand in the seller centre
(the shop that adopts shoporg).
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest

from benchmarks import orggen
from shoporg.backends.protocol import DepartmentSpec, GrantSpec, RoleSpec, SubAccountSpec
from shoporg.backends.sandbox import SandboxBackend
from shoporg.kinds import sub_account_enabled
from shoporg.platforms import DEPARTMENT_PLATFORMS
from shoporg.schema import Member, Org, load_org, validate_text
from tests.engine.conftest import StackProject

#: Every shape the generator draws (an account per platform, the department tree, three roles,
#: Shopee's two-shop grants, leavers) with dozens of objects of each per account; 500 proved
#: nothing more and cost the suite about 50 CPU-seconds more.
MEMBERS = 200


def writes_by_shoporg(project: StackProject) -> int:
    return sum(1 for e in project.backend_audit() if e.actor != "seller-center")


def adopt_in_a_fresh_stack(
    project: StackProject, imported: Path, first_up_of_a_big_stack: bool = False
) -> None:
    """A second stack on the same sandbox, with the imported file: its `up` creates every
    resource by adopting the identical live object, so nothing is written.

    A big first `up` skips the engine's per-step checkpoints, as README "Scaling out"
    advises (the file backend rewrites the whole state after every step: quadratic in the
    resource count); the preview afterwards reads the state saved at the end."""
    project.org_file.write_text(imported.read_text())
    project.pulumi.run("stack", "init", "adopt")
    before = writes_by_shoporg(project)
    if first_up_of_a_big_stack:
        project.pulumi.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    try:
        project.up()
    finally:
        project.pulumi.env.pop("PULUMI_SKIP_CHECKPOINTS", None)
    assert writes_by_shoporg(project) == before, "adoption wrote to the account system"
    result = project.preview("--expect-no-changes", check=False)
    assert result.returncode == 0, result.output


def test_importing_what_the_repo_org_yaml_applied_plans_no_change(
    applied_copy: StackProject,
) -> None:
    project = applied_copy
    imported = project.root / "imported.yaml"
    project.shoporg("import", "--out", str(imported))
    project.shoporg("validate", str(imported))

    # The same stack with the imported file in place of the hand-written one: no change.
    original = project.org_file.read_text()
    project.org_file.write_text(imported.read_text())
    result = project.preview("--expect-no-changes", check=False)
    assert result.returncode == 0, result.output
    project.org_file.write_text(original)

    adopt_in_a_fresh_stack(project, imported)


def set_up_by_hand(path: Path, org: Org, today: datetime.date) -> None:
    """What a seller does in the seller centres, object by object, for ``org``."""
    backend = SandboxBackend(path, actor="seller-center", instrumented=False)
    tree = list(org.walk_departments())
    for account in org.accounts:
        if account.platform in DEPARTMENT_PLATFORMS:
            for dept, parent in tree:
                backend.create_department(
                    account.id, DepartmentSpec(dept.id, dept.name, parent.id if parent else None)
                )
        for role in org.roles:
            if role.platform == account.platform:
                backend.create_role(
                    account.id,
                    RoleSpec(role.id, role.name, tuple(role.permissions), role.description or ""),
                )
    accounts = {a.id: a for a in org.accounts}
    for member in org.members:
        for entry in member.sub_accounts:
            account = accounts[entry.account]
            has_tree = account.platform in DEPARTMENT_PLATFORMS
            backend.create_sub_account(account.id, SubAccountSpec(
                member_id=member.id, login=account.login(entry.login_name),
                display_name=member.name, department_id=member.department if has_tree else None,
                email=member.email, phone=member.phone, dispatch=entry.dispatch,
            ))
            for shop in entry.shop_ids(account):
                if entry.roles:
                    backend.set_grant(account.id, GrantSpec(member.id, shop, tuple(entry.roles)))
            if not sub_account_enabled(member, entry, today):
                backend.set_sub_account_status(account.id, member.id, "disabled")
    backend.close()


def declared(org: Org) -> set[tuple[str, str, str, str | None, tuple[str, ...], str]]:
    """(member, account, login, department, roles, status) for every sub-account; the
    department only where a seller centre has one (elsewhere no read can show it)."""
    platform = {a.id: a.platform for a in org.accounts}

    def department(m: Member) -> str | None:
        seen = any(platform[s.account] in DEPARTMENT_PLATFORMS for s in m.sub_accounts)
        return m.department if seen else None

    return {
        (m.id, s.account, s.login_name, department(m), tuple(sorted(s.roles)), m.status)
        for m in org.members for s in m.sub_accounts
    }


def test_a_generated_organization_set_up_by_hand_is_adopted_without_change(
    engine: None, tmp_path_factory: pytest.TempPathFactory,
) -> None:
    text = orggen.generate(orggen.Size(members=MEMBERS, accounts=5, roles=3))
    generated = validate_text(text, "generated.yaml")
    root = tmp_path_factory.mktemp("import-generated")
    (root / "seed.yaml").write_text(text)
    project = StackProject(root, org=root / "seed.yaml")
    set_up_by_hand(project.sandbox_path, generated, datetime.date.today())

    imported = project.root / "imported.yaml"
    started = time.perf_counter()
    proc = project.shoporg("import", "--out", str(imported))
    seconds = time.perf_counter() - started
    print(f"import of {MEMBERS} members: {seconds:.2f}s; {proc.stderr.strip().splitlines()[-1]}")
    project.shoporg("validate", str(imported))
    assert declared(load_org(imported)) == declared(generated)

    adopt_in_a_fresh_stack(project, imported, first_up_of_a_big_stack=True)
