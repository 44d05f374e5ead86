"""``TaobaoBackend``: the backend protocol over TOP (the "子账号管理API" group).

What goes through the API and what becomes a manual step (``providers/runbooks``)::

    read   sub-accounts   taobao.sellercenter.subusers.page (paged) + taobao.subuser.fullinfo.get
           departments    taobao.subuser.departments.get
           roles          taobao.sellercenter.roles.get (no permissions) + the roles seen through
                          taobao.sellercenter.subuser.permissions.roles.get (with permissions)
           grants         taobao.sellercenter.subuser.permissions.roles.get, per sub-account
           catalogue      taobao.sellercenter.user.permissions.get
    write  role create    taobao.sellercenter.role.add
           disable/enable, dispatch flag   taobao.subuser.info.update
    manual sub-account create/delete and profile edits, departments, grants, role update/delete

Only Taobao/Tmall accounts are served here: the router sends every other platform to the
ledger (:data:`~shoporg.backends.settings.TOP_PLATFORMS`,
:meth:`~shoporg.backends.settings.BackendSettings.connector_for`). The directory may still
hold the other accounts of an org.yaml (``shoporg import --backend taobao --org``): they are
listed with their shops, and every per-account list of theirs is empty (TOP is not asked).

Which writes go through TOP is declared once, in :data:`shoporg.backends.capabilities.TOP`
(the review lists a plan's manual steps from the same table); the writes below ask it.

Ids: org.yaml's slugs are mapped to TOP's numbers by natural key (:mod:`.directory`).
Statuses: TOP's three encodings are normalised to ``active`` / ``disabled``
(:func:`normalise_status`). Role permissions: TOP reports what a role grants (parents and
children included); when that equals what org.yaml declares (after the same expansion) the
declared codes are reported, else the smallest set of codes that expands to it. A role no
sub-account holds cannot show its permissions on TOP (``role.info.get`` is gone): it is
reported with the codes it was created or declared with.

Reads are cached per account for ``ttl`` seconds and dropped on every write to it. The
connector machinery (the accounts and shops org.yaml declares, runbook steps, the ``get_*``
lookups, the empty bindings and chat groups, the read cache) is the open platforms' own,
shared with Kuaishou (:class:`~shoporg.backends.open_platform.OpenPlatformBackend`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, Unpack

from shoporg.backends.capabilities import TOP
from shoporg.backends.capabilities import Operation as CapabilityOp
from shoporg.backends.directory import AccountFacts, Directory
from shoporg.backends.open_platform import (
    ConnectionOptions,
    OpenPlatformBackend,
    Target,
    answer_text,
)
from shoporg.backends.protocol import (
    Account,
    Department,
    DepartmentSpec,
    Grant,
    GrantSpec,
    Role,
    RoleSpec,
    SubAccount,
    SubAccountSpec,
    SubAccountStatus,
)
from shoporg.backends.settings import TOP_PLATFORMS
from shoporg.backends.taobao.client import SignMethod, TopClient, TopCredentials
from shoporg.backends.taobao.client import unwrap_list as items
from shoporg.errors import BackendError, ConflictError, NotFoundError, RuleViolation
from shoporg.kinds import (
    DEPARTMENT,
    ROLE,
    ROLE_GRANT,
    SUB_ACCOUNT,
)
from shoporg.platforms import Permission, PermissionCatalogue

#: Platforms TOP serves (one main account per session), the only ones routed here. Another
#: platform's account in the directory reads as empty.
OBSERVABLE_PLATFORMS = frozenset(TOP_PLATFORMS)

StatusEncoding = Literal["SubUserInfo", "SubAccountInfo", "SubUserFullInfo"]
_STATUS: dict[StatusEncoding, dict[int, SubAccountStatus | None]] = {
    # 1 normal, -1 deleted (the row is gone for us), 2 frozen; 3 punished is in the domain
    # of the page's account_status filter, so TOP serves it here too
    "SubUserInfo": {1: "active", -1: None, 2: "disabled", 3: "disabled"},
    # 1 normal, 2 frozen, 3 punished
    "SubAccountInfo": {1: "active", -1: None, 2: "disabled", 3: "disabled"},
    # 1 normal, 2 disabled by the seller, 3 punished / frozen
    "SubUserFullInfo": {1: "active", -1: None, 2: "disabled", 3: "disabled"},
}
#: What TOP's codes mean, for reports (a punished sub-account cannot log in: disabled).
STATUS_LABELS = {1: "normal", -1: "deleted", 2: "frozen", 3: "punished (处罚)"}


def normalise_status(encoding: StatusEncoding, value: object) -> SubAccountStatus | None:
    """TOP's status codes → the protocol's (``None``: deleted, i.e. not there).

    Never raises: a code outside the documented domain is taken as ``disabled`` (the safe
    reading: it may not log in) and :func:`status_note` reports it for that object."""
    try:
        return _STATUS[encoding].get(int(str(value)), "disabled")
    except (KeyError, ValueError):
        return "disabled"


def status_note(encoding: StatusEncoding, value: object) -> str | None:
    """What a report should say about a status that is not plainly normal or frozen."""
    try:
        code = int(str(value))
    except ValueError:
        return f"TOP status {value!r} is not a number (read as disabled)"
    if code in (1, 2):
        return None
    if code in STATUS_LABELS:
        return f"TOP status {code}: {STATUS_LABELS[code]}"
    return f"TOP status {code} is not documented for {encoding} (read as disabled)"


def catalogue_from(platform: str, points: list[dict[str, Any]]) -> PermissionCatalogue:
    """A catalogue from TOP ``Permission`` items (parents first; an unknown parent → root)."""
    by_code = {str(p["permission_code"]): p for p in points if p.get("permission_code")}
    ordered: list[Permission] = []
    placed: set[str] = set()

    def place(code: str, trail: frozenset[str]) -> None:
        if code in placed or code in trail:
            return
        raw = by_code[code]
        parent = str(raw.get("parent_code") or "") or None
        if parent is not None and parent in by_code:
            place(parent, trail | {code})
        else:
            parent = None
        ordered.append(Permission(code, str(raw.get("permission_name") or code), parent))
        placed.add(code)

    for code in sorted(by_code):
        place(code, frozenset())
    return PermissionCatalogue(platform, ordered)


def canonical_codes(effective: frozenset[str], catalogue: PermissionCatalogue) -> tuple[str, ...]:
    """The smallest set of codes whose expansion is ``effective``: the top-most points all
    of whose descendants are held (ancestors come back through the expansion)."""
    known = {c for c in effective if c in catalogue}
    complete = {c for c in known if set(catalogue.descendants(c)) <= known}
    top = {c for c in complete if catalogue.points[c].parent not in complete}
    return tuple(sorted(top | (set(effective) - known)))


class TaobaoBackend(OpenPlatformBackend[TopClient]):
    """The protocol on TOP for the accounts org.yaml declares (see the module docstring)."""

    observable_platforms = OBSERVABLE_PLATFORMS
    undeclared_hint = (
        "TOP cannot list main accounts: declare it under accounts: (id, platform, nick)"
    )

    def __init__(
        self,
        endpoint: str,
        credentials: TopCredentials,
        directory: Directory,
        *,
        sign_method: SignMethod = "hmac",
        ttl: float = 2.0,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        super().__init__(directory, ttl)
        self._client = TopClient(endpoint, credentials, sign_method=sign_method,
                                 on_call=self._count, **options)
        self._role_codes: dict[tuple[str, int], tuple[str, ...]] = {}  # from role.add answers
        self._notes: dict[tuple[str, str], str] = {}  # (account, login) → status note

    # --- machinery ------------------------------------------------------------------------

    def status_notes(self, account_id: str) -> dict[str, str]:
        """Login → what TOP's status of that sub-account means, for the sub-accounts whose
        status is not plainly normal or frozen (punished, undocumented codes) in the last
        read of ``account_id``: reported per object, never a failed read."""
        with self._lock:
            return {login: note for (acct, login), note in self._notes.items()
                    if acct == account_id}

    def _call(self, method: str, params: Mapping[str, object], kind: str, name: str,
              operation: str, account_id: str) -> dict[str, Any]:
        return self._client.call(method, params, Target(kind, name, operation), account_id)

    # --- raw TOP reads (cached per account) -----------------------------------------------

    def _raw_departments(self, facts: AccountFacts) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            body = self._call("taobao.subuser.departments.get", {"user_nick": facts.nick},
                              "department", facts.id, "list", facts.id)
            return items(body.get("departments"))

        return self._memo(facts.id, "departments", load)

    def _raw_subs(self, facts: AccountFacts) -> list[dict[str, Any]]:
        """SubUserFullInfo of every sub-account that is not deleted, with the page's status."""

        def load() -> list[dict[str, Any]]:
            out = []
            notes: dict[str, str] = {}
            for info in self._client.pages(
                "taobao.sellercenter.subusers.page", {"nick": facts.nick}, "subusers",
                Target("sub_account", facts.id, "list"), facts.id,
            ):
                page_status = info.get("status", 1)
                if normalise_status("SubUserInfo", page_status) is None:
                    continue  # deleted
                note = status_note("SubUserInfo", page_status)
                if note:
                    notes[str(info.get("nick"))] = note
                body = self._call(
                    "taobao.subuser.fullinfo.get",
                    {"sub_nick": info["nick"], "fields": "subuser_email"},
                    "sub_account", str(info.get("nick")), "read", facts.id,
                )
                full = body.get("sub_fullinfo")
                if isinstance(full, dict):
                    out.append({**full, "_full_name": info.get("full_name"),
                                "_page_status": page_status})
                    note = status_note("SubUserFullInfo", full.get("sub_status", 1))
                    if note:
                        notes[str(full.get("sub_nick"))] = note
            with self._lock:
                for key in [k for k in self._notes if k[0] == facts.id]:
                    del self._notes[key]
                self._notes.update({(facts.id, login): n for login, n in notes.items()})
            return out

        return self._memo(facts.id, "subs", load)

    def _raw_roles(self, facts: AccountFacts) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            body = self._call("taobao.sellercenter.roles.get", {"nick": facts.nick},
                              "role", facts.id, "list", facts.id)
            return items(body.get("roles"))

        return self._memo(facts.id, "roles", load)

    def _raw_held(self, facts: AccountFacts) -> dict[int, list[dict[str, Any]]]:
        """sub_id → the roles (with permissions) TOP says that sub-account holds."""

        def load() -> dict[int, list[dict[str, Any]]]:
            held: dict[int, list[dict[str, Any]]] = {}
            for full in self._raw_subs(facts):
                body = self._call(
                    "taobao.sellercenter.subuser.permissions.roles.get",
                    {"nick": full["sub_nick"]}, "role_grant", str(full["sub_nick"]), "read",
                    facts.id,
                )
                perm = body.get("subuser_permission") or {}
                held[int(full["sub_id"])] = items(perm.get("roles"))
            return held

        return self._memo(facts.id, "held", load)

    def _catalogue(self, facts: AccountFacts) -> PermissionCatalogue:
        def load() -> PermissionCatalogue:
            body = self._call("taobao.sellercenter.user.permissions.get", {"nick": facts.nick},
                              "role", facts.id, "catalogue", facts.id)
            return catalogue_from(facts.platform, items(body.get("permissions")))

        return self._memo(facts.id, "catalogue", load)

    # --- mapping ---------------------------------------------------------------------------

    def _department_map(self, facts: AccountFacts) -> dict[int, tuple[str, str, int]]:
        """TOP department id → (org id, name, TOP parent id)."""
        raw = {int(d["department_id"]): d for d in self._raw_departments(facts)}
        paths: dict[int, tuple[str, ...]] = {}

        def path(top_id: int, trail: frozenset[int] = frozenset()) -> tuple[str, ...]:
            if top_id in paths:
                return paths[top_id]
            d = raw[top_id]
            parent = int(d.get("parent_id") or 0)
            prefix = path(parent, trail | {top_id}) if parent in raw and parent not in trail else ()
            paths[top_id] = (*prefix, str(d["department_name"]))
            return paths[top_id]

        return {
            top_id: (
                self.directory.department_id(path(top_id), top_id),
                str(d["department_name"]),
                int(d.get("parent_id") or 0),
            )
            for top_id, d in raw.items()
        }

    def _member_map(self, facts: AccountFacts) -> dict[int, str]:
        return {
            int(f["sub_id"]): self.directory.member_id(
                facts.id, str(f["sub_nick"]), answer_text(f.get("employee_num")), int(f["sub_id"])
            )
            for f in self._raw_subs(facts)
        }

    def _role_map(self, facts: AccountFacts) -> dict[int, str]:
        return {
            int(r["role_id"]): self.directory.role_id(
                facts.platform, str(r["role_name"]), int(r["role_id"])
            )
            for r in self._raw_roles(facts)
        }

    # --- accounts ------------------------------------------------------------------------

    def _seats_used(self, facts: AccountFacts) -> int:
        return len(self._raw_subs(facts))

    def set_wallet_password(
        self, account_id: str, password: str, acting_login: str | None = None
    ) -> Account:
        raise self._manual(account_id, "wallet", "update", account_id,
                           {"who": acting_login or "the main account"})

    # --- departments -----------------------------------------------------------------------

    def list_departments(self, account_id: str) -> list[Department]:
        if not self._observable(account_id):
            return []
        facts = self._facts(account_id)
        depts = self._department_map(facts)
        members = self._member_map(facts)
        out = []
        for top_id, (org_id, name, parent) in sorted(depts.items()):
            raw = next(d for d in self._raw_departments(facts) if int(d["department_id"]) == top_id)
            sub_ids = [int(s) for s in _int_list(raw.get("sub_user_ids"))]
            out.append(Department(
                account_id=account_id, id=org_id, name=name,
                parent_id=depts[parent][0] if parent in depts else None,
                member_ids=tuple(sorted(members[s] for s in sub_ids if s in members)),
            ))
        return out

    def get_department(self, account_id: str, department_id: str) -> Department | None:
        return next((d for d in self.list_departments(account_id) if d.id == department_id), None)

    def get_department_by_name(
        self, account_id: str, name: str, parent_id: str | None
    ) -> Department | None:
        return next(
            (d for d in self.list_departments(account_id)
             if d.name == name and d.parent_id == parent_id),
            None,
        )

    def _dept_label(self, department_id: str | None) -> str | None:
        if department_id is None:
            return None
        path = self.directory.department_paths.get(department_id)
        return " › ".join(path) if path else department_id

    def create_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        name = DEPARTMENT.ref(account_id, spec.id).name
        raise self._manual(account_id, "department", "create", name, {
            "name (部门名称)": spec.name, "parent (上级部门)": self._dept_label(spec.parent_id),
        })

    def update_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        name = DEPARTMENT.ref(account_id, spec.id).name
        if self.get_department(account_id, spec.id) is None:
            raise NotFoundError("department", name, "update", "not on TOP")
        raise self._manual(account_id, "department", "update", name, {
            "name (部门名称)": spec.name, "parent (上级部门)": self._dept_label(spec.parent_id),
        })

    def delete_department(self, account_id: str, department_id: str) -> None:
        name = DEPARTMENT.ref(account_id, department_id).name
        found = self.get_department(account_id, department_id)
        if found is None:
            raise NotFoundError("department", name, "delete", "not on TOP")
        raise self._manual(account_id, "department", "delete", name, {
            "name (部门名称)": found.name,
        })

    # --- roles -------------------------------------------------------------------------------

    def permission_catalogue(self, account_id: str) -> PermissionCatalogue:
        return self._catalogue(self._facts(account_id))

    def list_roles(self, account_id: str) -> list[Role]:
        if not self._observable(account_id):
            return []
        facts = self._facts(account_id)
        seen: dict[int, set[str]] = {}
        for roles in self._raw_held(facts).values():
            for r in roles:
                codes = {str(p.get("permission_code")) for p in items(r.get("permissions"))}
                seen.setdefault(int(r["role_id"]), set()).update(c for c in codes if c)
        catalogue = self._catalogue(facts)
        out = []
        for raw in self._raw_roles(facts):
            top_id, name = int(raw["role_id"]), str(raw["role_name"])
            declared = self.directory.declared_codes(facts.platform, name)
            if top_id in seen:
                effective = frozenset(seen[top_id])  # TOP's own expansion: taken as is
            elif (facts.id, top_id) in self._role_codes:
                effective = _expand(catalogue, self._role_codes[(facts.id, top_id)])
            else:
                # Held by no sub-account: TOP cannot show its permissions any more.
                effective = _expand(catalogue, declared or ())
            if declared is not None and _expand(catalogue, declared) == effective:
                permissions = tuple(sorted(declared))
            else:
                permissions = canonical_codes(effective, catalogue)
            out.append(Role(
                account_id=account_id,
                id=self.directory.role_id(facts.platform, name, top_id),
                name=name,
                description=str(raw.get("description") or ""),
                permissions=permissions,
                effective=tuple(sorted(effective)),
            ))
        return out

    def create_role(self, account_id: str, spec: RoleSpec) -> Role:
        facts = self._facts(account_id, "role", "create")
        name = ROLE.ref(account_id, spec.id).name
        if not TOP.automates(ROLE.word, "create", facts.platform):
            raise self._manual(account_id, "role", "create", name, {
                "name": spec.name, "permissions": spec.permissions,
                "description": spec.description or None,
            })
        try:
            body = self._call("taobao.sellercenter.role.add", {
                "nick": facts.nick, "name": spec.name, "description": spec.description or None,
                "permission_codes": ",".join(spec.permissions),
            }, "role", name, "create", account_id)
        except ConflictError:
            # A retry of a role.add TOP did but could not answer (a timeout, an isp.* error
            # after the write): the role by that name is the one we created.
            self._wrote(account_id)
            if self.get_role_by_name(account_id, spec.name) is None:
                raise
            body = {}
        role = body.get("role") or {}
        self.directory.learn_role(facts.platform, spec.id, spec.name, tuple(spec.permissions))
        if role.get("role_id") is not None:
            self._role_codes[(account_id, int(role["role_id"]))] = tuple(spec.permissions)
        self._wrote(account_id)
        created = self.get_role(account_id, spec.id)
        if created is None:
            raise BackendError("role", name, "create", "role.add succeeded but roles.get lacks it")
        return created

    def update_role(self, account_id: str, spec: RoleSpec) -> Role:
        name = ROLE.ref(account_id, spec.id).name
        live = self.get_role(account_id, spec.id)
        if live is None:
            raise NotFoundError("role", name, "update", "not on TOP")
        if live.name == spec.name and sorted(live.permissions) == sorted(
            spec.permissions
        ) and live.description == spec.description:
            return live
        raise self._manual(account_id, "role", "update", name, {
            "name": spec.name, "permissions": spec.permissions,
            "description": spec.description or None,
        }, note="TOP can create roles but never change them.")

    def delete_role(self, account_id: str, role_id: str) -> None:
        name = ROLE.ref(account_id, role_id).name
        live = self.get_role(account_id, role_id)
        if live is None:
            raise NotFoundError("role", name, "delete", "not on TOP")
        raise self._manual(account_id, "role", "delete", name, {"name": live.name},
                           note="TOP can create roles but never delete them.")

    # --- sub-accounts ----------------------------------------------------------------------

    def list_sub_accounts(self, account_id: str) -> list[SubAccount]:
        if not self._observable(account_id):
            return []
        facts = self._facts(account_id)
        depts = self._department_map(facts)
        members = self._member_map(facts)
        out = []
        for full in self._raw_subs(facts):
            status = normalise_status("SubUserFullInfo", full.get("sub_status", 1))
            if status is None or normalise_status("SubUserInfo",
                                                  full.get("_page_status", 1)) is None:
                continue  # deleted
            dept = int(full.get("department_id") or 0)
            out.append(SubAccount(
                account_id=account_id,
                member_id=members[int(full["sub_id"])],
                login=str(full["sub_nick"]),
                display_name=answer_text(full.get("employee_name"))
                or answer_text(full.get("_full_name")) or str(full["sub_nick"]).split(":", 1)[-1],
                department_id=depts[dept][0] if dept in depts else None,
                email=answer_text(full.get("subuser_email")),
                phone=answer_text(full.get("office_phone")),
                dispatch=_bool(full.get("sub_dispatch_status")),
                two_factor=False,
                status=status,
                email_confirmed=True,
                password_set=True,
                platform_note=(status_note("SubUserFullInfo", full.get("sub_status", 1))
                               or status_note("SubUserInfo", full.get("_page_status", 1))),
            ))
        return out

    def _sub_fields(self, spec: SubAccountSpec) -> dict[str, object | None]:
        return {
            "login (子账号名)": spec.login,
            "name (姓名)": spec.display_name,
            "department (部门)": self._dept_label(spec.department_id),
            "工号 (employee no.)": spec.member_id,
            "phone (手机)": spec.phone,
            "email (邮箱)": spec.email,
            "dispatch (分流)": spec.dispatch,
        }

    def create_sub_account(
        self, account_id: str, spec: SubAccountSpec, initial_password: str | None = None
    ) -> SubAccount:
        # The initial password is never written into a runbook: the person sets one.
        raise self._manual(
            account_id, "sub_account", "create", SUB_ACCOUNT.ref(account_id, spec.member_id).name,
            self._sub_fields(spec), person=f"{spec.display_name} ({spec.member_id})",
        )

    def _sub_id(self, account_id: str, member_id: str, operation: str) -> int:
        facts = self._facts(account_id, "sub_account", operation)
        for top_id, mid in self._member_map(facts).items():
            if mid == member_id:
                return top_id
        raise NotFoundError("sub_account", SUB_ACCOUNT.ref(account_id, member_id).name, operation,
                            "not on TOP")

    def update_sub_account(self, account_id: str, spec: SubAccountSpec) -> SubAccount:
        name = SUB_ACCOUNT.ref(account_id, spec.member_id).name
        person = f"{spec.display_name} ({spec.member_id})"
        live = self.get_sub_account(account_id, spec.member_id)
        if live is None:
            raise NotFoundError("sub_account", name, "update", "not on TOP")
        if live.login != spec.login:
            raise RuleViolation("sub_account", name, "update",
                                f"the login {live.login!r} cannot be renamed", "immutable_login")
        by_api = TOP.inputs_by_api(SUB_ACCOUNT.word, self._facts(account_id).platform)
        if "dispatch" in by_api and live.dispatch != spec.dispatch:
            sub_id = self._sub_id(account_id, spec.member_id, "update")
            self._call("taobao.subuser.info.update", {"sub_id": sub_id,
                                                       "is_dispatch": spec.dispatch},
                       "sub_account", name, "update", account_id)
            self._wrote(account_id)
        rest = {  # input: (runbook label, live, desired); what TOP cannot set is a manual step
            "display_name": ("name (姓名)", live.display_name, spec.display_name),
            "department_id": ("department (部门)", live.department_id, spec.department_id),
            "phone": ("phone (手机)", live.phone, spec.phone),
            "email": ("email (邮箱)", live.email, spec.email),
            "dispatch": ("dispatch (分流)", live.dispatch, spec.dispatch),
        }
        changed: dict[str, object] = {
            label: new for key, (label, old, new) in rest.items()
            if old != new and key not in by_api
        }
        if changed:
            if "department (部门)" in changed:
                changed["department (部门)"] = self._dept_label(spec.department_id) or "(none)"
            raise self._manual(account_id, "sub_account", "update", name,
                               {"login (子账号名)": spec.login, **changed}, person=person)
        found = self.get_sub_account(account_id, spec.member_id)
        assert found is not None
        return found

    def set_sub_account_status(
        self, account_id: str, member_id: str, status: SubAccountStatus
    ) -> SubAccount:
        name = SUB_ACCOUNT.ref(account_id, member_id).name
        operation: CapabilityOp = "disable" if status == "disabled" else "enable"
        if not TOP.automates(SUB_ACCOUNT.word, operation, self._facts(account_id).platform):
            raise self._manual(account_id, "sub_account", "update", name, {"status": status},
                               person=self.directory.person(member_id, member_id))
        if status == "pending":
            raise RuleViolation("sub_account", name, "set_status",
                                "TOP cannot make a sub-account pending", "status_transition")
        sub_id = self._sub_id(account_id, member_id, "set_status")
        self._call("taobao.subuser.info.update", {
            "sub_id": sub_id, "is_disable_subaccount": status == "disabled",
        }, "sub_account", name, "set_status", account_id)
        self._wrote(account_id)
        found = self.get_sub_account(account_id, member_id)
        if found is None:
            raise NotFoundError("sub_account", name, "set_status", "gone after the update")
        return found

    def delete_sub_account(self, account_id: str, member_id: str) -> None:
        name = SUB_ACCOUNT.ref(account_id, member_id).name
        live = self.get_sub_account(account_id, member_id)
        if live is None:
            raise NotFoundError("sub_account", name, "delete", "not on TOP")
        raise self._manual(account_id, "sub_account", "delete", name, {
            "login (子账号名)": live.login,
        }, person=self.directory.person(member_id, live.display_name),
           note="Deleting frees the seat; disabling (status: left) keeps the login.")

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str
                      ) -> SubAccount:
        """Member ids are org.yaml's labels for logins (:mod:`.directory`): when org.yaml
        maps the login to the new id there is nothing to move; otherwise the 工号 that
        carries the old id must be changed by hand."""
        found = self.get_sub_account(account_id, new_member_id)
        if found is not None:
            return found
        old = self.get_sub_account(account_id, old_member_id)
        if old is None:
            raise NotFoundError("sub_account", SUB_ACCOUNT.ref(account_id, old_member_id).name,
                                "rename", "not on TOP")
        raise self._manual(account_id, "sub_account", "update",
                           SUB_ACCOUNT.ref(account_id, new_member_id).name,
                           {"login (子账号名)": old.login, "工号 (employee no.)": new_member_id},
                           person=f"{old.display_name} ({new_member_id})")

    # --- grants -----------------------------------------------------------------------------

    def list_grants(self, account_id: str) -> list[Grant]:
        if not self._observable(account_id):
            return []
        facts = self._facts(account_id)
        members = self._member_map(facts)
        roles = self._role_map(facts)
        out = []
        for sub_id, held in sorted(self._raw_held(facts).items()):
            role_ids = tuple(sorted({
                roles.get(int(r["role_id"])) or self.directory.role_id(
                    facts.platform, str(r.get("role_name")), int(r["role_id"])
                )
                for r in held
            }))
            if not role_ids or sub_id not in members:
                continue
            out += [Grant(account_id, members[sub_id], shop.id, role_ids) for shop in facts.shops]
        return out

    def _role_labels(self, account_id: str, role_ids: tuple[str, ...]) -> list[str]:
        platform = self._facts(account_id).platform
        return [self.directory.role_names.get((platform, r), r) for r in role_ids]

    def set_grant(self, account_id: str, spec: GrantSpec) -> Grant:
        current = self.get_grant(account_id, spec.member_id, spec.shop_id)
        if current is not None and sorted(current.role_ids) == sorted(spec.role_ids):
            return current
        raise self._manual(
            account_id, "role_grant", "create" if current is None else "update",
            ROLE_GRANT.ref(account_id, spec.member_id, spec.shop_id).name,
            {"shop": spec.shop_id, "roles (岗位)": self._role_labels(account_id, spec.role_ids)},
            person=self.directory.person(spec.member_id, spec.member_id),
        )

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None:
        name = ROLE_GRANT.ref(account_id, member_id, shop_id).name
        if self.get_grant(account_id, member_id, shop_id) is None:
            raise NotFoundError("role_grant", name, "delete", "not on TOP")
        raise self._manual(account_id, "role_grant", "delete", name,
                           {"shop": shop_id, "roles (岗位)": "(none)"},
                           person=self.directory.person(member_id, member_id))


def _expand(catalogue: PermissionCatalogue, codes: Iterable[str]) -> frozenset[str]:
    """What granting ``codes`` holds; codes the catalogue does not know are kept as they are."""
    listed = list(codes)
    return catalogue.expand(c for c in listed if c in catalogue) | {
        c for c in listed if c not in catalogue
    }


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "2")  # SubUserInfo.is_online: 2 = yes


def _int_list(value: object) -> list[int]:
    if value is None:
        return []
    if isinstance(value, dict) and len(value) == 1:
        return _int_list(next(iter(value.values())))
    if isinstance(value, list):
        return [int(v) for v in value]
    if isinstance(value, str):
        return [int(v) for v in value.split(",") if v.strip()]
    return []
