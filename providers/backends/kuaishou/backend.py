"""``KuaishouBackend``: the backend protocol over Kuaishou's merchant open platform, the
staff API ``open.user.sub.account.*`` of a 快手小店.

What goes through the API and what becomes a manual step (``providers/runbooks``)::

    read   staff (sub-accounts, their roles)  open.user.sub.account.list (paged, every staff
                                              member a seller has, stopped ones included)
           roles                              open.user.sub.account.role.list
    write  sub-account create                 open.user.sub.account.create (with its roles)
           contact phone, member id (rename)  open.user.sub.account.update
           disable / enable                   open.user.sub.account.status.update (stop)
           delete                             open.user.sub.account.remove
           role grants                        open.user.sub.account.update (roleIds)
    manual role create / update / delete (the API lists roles, it cannot make or change one),
           a nickname change (the update call does not take one)

Which writes go through the API is declared once, in
:data:`shoporg.backends.capabilities.KUAISHOU`; the writes below ask it.

Kuaishou facts this connector keeps to:

* **A staff member holds at least one role** (``ks_roles_required``): a sub-account is
  created with the roles org.yaml grants it on the account, in one call. A role the seller
  does not have yet is a manual step of its own (create it in 角色管理 by its org.yaml name);
  until it exists, the sub-account or grant that needs it is a manual step too, done by
  hand or by the next ``up`` once ``role.list`` shows the role. A grant removed is the staff
  member's last roles: Kuaishou cannot leave a member without one, so the connector stops
  the staff member (access ends at once) and its removal follows in the same apply (org.yaml
  cannot declare a Kuaishou sub-account without a role: the validator's ``ks_roles_required``).
* **Stopped is disabled, removed is gone**: the listing asks for stopped staff too, so a
  leaver stopped by hand is ``disabled`` (never "not found"); a removed one frees its phone
  and is not listed, so declaring it again creates a new staff member.
* **Identity**: a staff member is its login phone (``phone``); ``remarks`` carries the org.yaml
  member id, as TOP's 工号 does (:mod:`shoporg.backends.directory`). Roles are matched by
  name; Kuaishou does not say what a role grants, so a role reports the permission codes
  org.yaml declares for that name (a role change in the seller centre is not visible here).

Accounts and shops are org.yaml's (an access token is one seller). Reads are cached per
account for ``ttl`` seconds and dropped on every write to it. That connector machinery (the
accounts and shops, runbook steps, the ``get_*`` lookups, the empty bindings and chat groups,
the read cache) is the open platforms' own, shared with TOP
(:class:`~shoporg.backends.open_platform.OpenPlatformBackend`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from shoporg.backends.capabilities import KUAISHOU
from shoporg.backends.directory import AccountFacts, Directory
from shoporg.backends.kuaishou.client import (
    READ_SUFFIXES,
    KuaishouClient,
    KuaishouCredentials,
    SignMethod,
)
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
from shoporg.errors import BackendError, NotFoundError, RuleViolation
from shoporg.kinds import DEPARTMENT, ROLE, ROLE_GRANT, SUB_ACCOUNT
from shoporg.platforms import CATALOGUES, KUAISHOU_PLATFORMS, PermissionCatalogue, contact_of
from shoporg.platforms.rules import (
    DEPARTMENTS_UNSUPPORTED,
    WALLET_UNSUPPORTED,
)
from shoporg.runbooks import Operation

LIST = "open.user.sub.account.list"
ROLE_LIST = "open.user.sub.account.role.list"
CREATE = "open.user.sub.account.create"
UPDATE = "open.user.sub.account.update"
STATUS = "open.user.sub.account.status.update"
REMOVE = "open.user.sub.account.remove"
#: Staff per listing page (the API's largest).
PAGE = 100


class KuaishouBackend(OpenPlatformBackend[KuaishouClient]):
    """The protocol on Kuaishou's open platform for the accounts org.yaml declares."""

    observable_platforms = KUAISHOU_PLATFORMS
    undeclared_hint = (
        "an access token is one seller and Kuaishou cannot list sellers: declare the "
        "account under accounts: (id, platform: kuaishou, nick, its shop)"
    )

    def __init__(
        self,
        endpoint: str,
        credentials: KuaishouCredentials,
        directory: Directory,
        *,
        sign_method: SignMethod = "HMAC_SHA256",
        ttl: float = 2.0,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        super().__init__(directory, ttl)
        self._client = KuaishouClient(endpoint, credentials, sign_method=sign_method,
                                      on_call=self._count, **options)

    # --- machinery ------------------------------------------------------------------------

    def _call(self, method: str, param: Mapping[str, object], kind: str, name: str,
              operation: str, account_id: str) -> Any:
        try:
            return self._client.call(method, param, Target(kind, name, operation), account_id)
        except BackendError:
            # A failed write may still have happened (its answer lost) or been refused for a
            # state the cached listing predates (ks_phone_taken after a lost create): drop the
            # account's reads, or the resource layer's adoption read would miss the object.
            if not method.endswith(READ_SUFFIXES):
                self._wrote(account_id)
            raise

    # --- raw reads (cached per account) ----------------------------------------------------

    def _raw_staff(self, account_id: str) -> list[dict[str, Any]]:
        """Every staff member of the seller, stopped ones too (removed ones are gone)."""
        def load() -> list[dict[str, Any]]:
            return list(self._client.pages(
                LIST, {"includeDisabled": True, "includeDeleted": False}, "staffs",
                Target(SUB_ACCOUNT.word, account_id, "read"), account_id, count=PAGE))

        return [s for s in self._memo(account_id, "staff", load) if not s.get("deleted")]

    def _raw_roles(self, account_id: str) -> list[dict[str, Any]]:
        def load() -> list[dict[str, Any]]:
            data = self._call(ROLE_LIST, {}, ROLE.word, account_id, "read", account_id)
            roles = data.get("roles") if isinstance(data, dict) else None
            return [r for r in roles or [] if isinstance(r, dict)]

        return self._memo(account_id, "roles", load)

    def _member_of(self, account_id: str, staff: Mapping[str, Any]) -> str:
        return self.directory.member_id(account_id, str(staff.get("phone") or ""),
                                        answer_text(staff.get("remarks")),
                                        int(staff["staffUserId"]))

    def _staff_of(self, account_id: str, member_id: str) -> dict[str, Any] | None:
        return next((s for s in self._raw_staff(account_id)
                     if self._member_of(account_id, s) == member_id), None)

    def _role_ids(self, account_id: str) -> dict[str, int]:
        """Kuaishou's role number by role name."""
        return {str(r.get("roleName")): int(r["roleId"]) for r in self._raw_roles(account_id)}

    def _role_id_of_name(self, account_id: str, name: str) -> str:
        return self.directory.role_id(self._facts(account_id).platform, name, 0)

    def _role_name(self, account_id: str, role_id: str) -> str:
        return self.directory.role_name(self._facts(account_id).platform, role_id) or role_id

    def _numbers(self, account_id: str, role_ids: Iterable[str]
                 ) -> tuple[list[int], list[str]]:
        """Kuaishou's numbers for org.yaml's role ids, and the names the seller lacks."""
        known = self._role_ids(account_id)
        numbers: list[int] = []
        lacking: list[str] = []
        for role_id in role_ids:
            name = self._role_name(account_id, role_id)
            if name in known:
                numbers.append(known[name])
            else:
                lacking.append(name)
        return sorted(numbers), lacking

    # --- accounts ----------------------------------------------------------------------------

    def _seats_used(self, facts: AccountFacts) -> int:
        return len(self._raw_staff(facts.id))

    def set_wallet_password(
        self, account_id: str, password: str, acting_login: str | None = None
    ) -> Account:
        raise self._unsupported(account_id, WALLET_UNSUPPORTED, "wallet", account_id, "update")

    # --- departments: a 快手小店 has none ----------------------------------------------------

    def list_departments(self, account_id: str) -> list[Department]:
        self._facts(account_id)
        return []

    def get_department(self, account_id: str, department_id: str) -> Department | None:
        return None

    def get_department_by_name(
        self, account_id: str, name: str, parent_id: str | None = None
    ) -> Department | None:
        return None

    def create_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        raise self._unsupported(account_id, DEPARTMENTS_UNSUPPORTED, DEPARTMENT.word,
                                DEPARTMENT.ref(account_id, spec.id).name, "create")

    def update_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        raise self._unsupported(account_id, DEPARTMENTS_UNSUPPORTED, DEPARTMENT.word,
                                DEPARTMENT.ref(account_id, spec.id).name, "update")

    def delete_department(self, account_id: str, department_id: str) -> None:
        raise self._unsupported(account_id, DEPARTMENTS_UNSUPPORTED, DEPARTMENT.word,
                                DEPARTMENT.ref(account_id, department_id).name, "delete")

    # --- roles: listed by the API, made by a person ----------------------------------------

    def permission_catalogue(self, account_id: str) -> PermissionCatalogue:
        return CATALOGUES[self._facts(account_id).platform]

    def list_roles(self, account_id: str) -> list[Role]:
        if not self._observable(account_id):
            return []
        platform = self._facts(account_id).platform
        catalogue = CATALOGUES[platform]
        out = []
        for raw in self._raw_roles(account_id):
            name = str(raw.get("roleName"))
            codes = tuple(sorted(self.directory.declared_codes(platform, name) or ()))
            out.append(Role(
                account_id=account_id, id=self._role_id_of_name(account_id, name), name=name,
                description=answer_text(raw.get("roleDesc")) or "", permissions=codes,
                effective=tuple(sorted(catalogue.expand(c for c in codes if c in catalogue))),
            ))
        return sorted(out, key=lambda r: r.id)

    def _role_fields(self, spec: RoleSpec) -> dict[str, object | None]:
        return {"name": spec.name, "permissions": spec.permissions,
                "description": spec.description or None}

    def create_role(self, account_id: str, spec: RoleSpec) -> Role:
        found = self.get_role_by_name(account_id, spec.name)
        if found is not None:
            return found
        raise self._manual(account_id, ROLE.word, "create", ROLE.ref(account_id, spec.id).name,
                           self._role_fields(spec))

    def update_role(self, account_id: str, spec: RoleSpec) -> Role:
        name = ROLE.ref(account_id, spec.id).name
        live = self.get_role(account_id, spec.id)
        if live is None:
            raise NotFoundError(ROLE.word, name, "update", "not in the seller's role list")
        if (live.name, live.description, sorted(live.permissions)) == (
                spec.name, spec.description, sorted(spec.permissions)):
            return live
        raise self._manual(account_id, ROLE.word, "update", name, self._role_fields(spec))

    def delete_role(self, account_id: str, role_id: str) -> None:
        name = ROLE.ref(account_id, role_id).name
        live = self.get_role(account_id, role_id)
        if live is None:
            raise NotFoundError(ROLE.word, name, "delete", "not in the seller's role list")
        raise self._manual(account_id, ROLE.word, "delete", name, {"name": live.name})

    # --- sub-accounts (staff) ----------------------------------------------------------------

    def _sub_account(self, account_id: str, staff: Mapping[str, Any]) -> SubAccount:
        return SubAccount(
            account_id=account_id, member_id=self._member_of(account_id, staff),
            login=str(staff.get("phone") or ""),
            display_name=str(staff.get("nickName") or ""), department_id=None, email=None,
            phone=answer_text(staff.get("contactPhone")), dispatch=False, two_factor=False,
            status="disabled" if staff.get("disabled") else "active",
            email_confirmed=True, password_set=True,
        )

    def list_sub_accounts(self, account_id: str) -> list[SubAccount]:
        if not self._observable(account_id):
            return []
        return [self._sub_account(account_id, s) for s in self._raw_staff(account_id)]

    def _person(self, member_id: str, fallback: str) -> str:
        return self.directory.person(member_id, fallback)

    def _contact(self, account_id: str, spec: SubAccountSpec) -> str | None:
        """The contact phone Kuaishou requires: the member's, else the login (the fact
        org.yaml's expansion applies too, :func:`shoporg.platforms.contact_of`)."""
        return contact_of(self._facts(account_id).platform, spec.login, None, spec.phone)[1]

    def _staff_fields(self, account_id: str, spec: SubAccountSpec, roles: Iterable[str] = ()
                      ) -> dict[str, object | None]:
        return {"login": spec.login, "nickname": spec.display_name,
                "phone": self._contact(account_id, spec), "remarks": spec.member_id,
                "roles": list(roles) or None}

    def create_sub_account(
        self, account_id: str, spec: SubAccountSpec, initial_password: str | None = None
    ) -> SubAccount:
        # Kuaishou staff log in with their phone (an SMS code): there is no password to set.
        facts = self._facts(account_id, SUB_ACCOUNT.word, "create")
        name = SUB_ACCOUNT.ref(account_id, spec.member_id).name
        person = f"{spec.display_name} ({spec.member_id})"
        granted = self.directory.grants.get((account_id, spec.member_id), ())
        numbers, lacking = self._numbers(account_id, granted)
        wanted = [self._role_name(account_id, r) for r in granted]
        if not KUAISHOU.automates(SUB_ACCOUNT.word, "create", facts.platform) or lacking \
                or not numbers:
            note = (f"The seller has no role named {', '.join(lacking)} yet: create it first "
                    "(its own step)." if lacking else None)
            raise self._manual(account_id, SUB_ACCOUNT.word, "create", name,
                               self._staff_fields(account_id, spec, wanted), person=person,
                               note=note)
        self._call(CREATE, {
            "phone": spec.login, "contactPhone": self._contact(account_id, spec),
            "nickName": spec.display_name, "roleIds": numbers, "remarks": spec.member_id,
        }, SUB_ACCOUNT.word, name, "create", account_id)
        self.directory.learn_member(account_id, spec.login, spec.member_id, spec.display_name)
        self._wrote(account_id)
        created = self.get_sub_account(account_id, spec.member_id)
        if created is None:
            raise BackendError(SUB_ACCOUNT.word, name, "create",
                               f"{CREATE} succeeded but {LIST} lacks the staff member")
        return created

    def _staff_id(self, account_id: str, member_id: str, operation: str) -> int:
        staff = self._staff_of(account_id, member_id)
        if staff is None:
            raise NotFoundError(SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, member_id).name,
                                operation, "not in the seller's staff list")
        return int(staff["staffUserId"])

    def update_sub_account(self, account_id: str, spec: SubAccountSpec) -> SubAccount:
        name = SUB_ACCOUNT.ref(account_id, spec.member_id).name
        live = self.get_sub_account(account_id, spec.member_id)
        if live is None:
            raise NotFoundError(SUB_ACCOUNT.word, name, "update", "not in the seller's staff list")
        platform = self._facts(account_id).platform
        contact = self._contact(account_id, spec)
        if "phone" in KUAISHOU.inputs_by_api(SUB_ACCOUNT.word, platform) and live.phone != contact:
            self._call(UPDATE, {"staffUserId": self._staff_id(account_id, spec.member_id,
                                                               "update"),
                                "contactPhone": contact},
                       SUB_ACCOUNT.word, name, "update", account_id)
            self._wrote(account_id)
        if live.display_name != spec.display_name:
            raise self._manual(account_id, SUB_ACCOUNT.word, "update", name,
                               {"login": spec.login, "nickname": spec.display_name},
                               person=f"{spec.display_name} ({spec.member_id})")
        found = self.get_sub_account(account_id, spec.member_id)
        assert found is not None
        return found

    def set_sub_account_status(
        self, account_id: str, member_id: str, status: SubAccountStatus
    ) -> SubAccount:
        name = SUB_ACCOUNT.ref(account_id, member_id).name
        if status == "pending":
            raise RuleViolation(SUB_ACCOUNT.word, name, "set_status",
                                "Kuaishou staff are never pending", "status_transition")
        operation: Operation = "update"
        if not KUAISHOU.automates(SUB_ACCOUNT.word, "disable" if status == "disabled"
                                  else "enable", self._facts(account_id).platform):
            raise self._manual(account_id, SUB_ACCOUNT.word, operation, name,
                               {"status": status}, person=self._person(member_id, member_id))
        self._call(STATUS, {"staffUserId": self._staff_id(account_id, member_id, "set_status"),
                            "stop": status == "disabled"},
                   SUB_ACCOUNT.word, name, "set_status", account_id)
        self._wrote(account_id)
        found = self.get_sub_account(account_id, member_id)
        if found is None:
            raise NotFoundError(SUB_ACCOUNT.word, name, "set_status", "gone after the update")
        return found

    def delete_sub_account(self, account_id: str, member_id: str) -> None:
        name = SUB_ACCOUNT.ref(account_id, member_id).name
        staff_id = self._staff_id(account_id, member_id, "delete")
        self._call(REMOVE, {"staffUserId": staff_id}, SUB_ACCOUNT.word, name, "delete",
                   account_id)
        self._wrote(account_id)

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str
                      ) -> SubAccount:
        """The member id lives in the staff member's ``remarks``: rewritten by API."""
        found = self.get_sub_account(account_id, new_member_id)
        if found is not None and answer_text(
                (self._staff_of(account_id, new_member_id) or {}).get("remarks")) == new_member_id:
            return found
        staff = self._staff_of(account_id, new_member_id) or self._staff_of(account_id,
                                                                             old_member_id)
        name = SUB_ACCOUNT.ref(account_id, new_member_id).name
        if staff is None:
            raise NotFoundError(SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, old_member_id).name,
                                "rename", "not in the seller's staff list")
        self._call(UPDATE, {"staffUserId": int(staff["staffUserId"]), "remarks": new_member_id},
                   SUB_ACCOUNT.word, name, "update", account_id)
        self.directory.learn_member(account_id, str(staff.get("phone") or ""), new_member_id,
                                    str(staff.get("nickName") or new_member_id))
        self._wrote(account_id)
        renamed = self.get_sub_account(account_id, new_member_id)
        if renamed is None:
            raise BackendError(SUB_ACCOUNT.word, name, "rename", "the staff member is gone")
        return renamed

    # --- grants: a staff member's roles on its one shop -------------------------------------

    def list_grants(self, account_id: str) -> list[Grant]:
        if not self._observable(account_id):
            return []
        shops = self._facts(account_id).shops
        out = []
        for staff in self._raw_staff(account_id):
            role_ids = tuple(sorted({self._role_id_of_name(account_id, str(r.get("roleName")))
                                     for r in staff.get("roleInfo") or []
                                     if isinstance(r, dict)}))
            if role_ids:
                member = self._member_of(account_id, staff)
                out += [Grant(account_id, member, shop.id, role_ids) for shop in shops]
        return out

    def set_grant(self, account_id: str, spec: GrantSpec) -> Grant:
        name = ROLE_GRANT.ref(account_id, spec.member_id, spec.shop_id).name
        current = self.get_grant(account_id, spec.member_id, spec.shop_id)
        if current is not None and sorted(current.role_ids) == sorted(spec.role_ids):
            return current
        operation: Operation = "create" if current is None else "update"
        numbers, lacking = self._numbers(account_id, spec.role_ids)
        staff = self._staff_of(account_id, spec.member_id)
        if staff is None or lacking or not numbers or not KUAISHOU.automates(
                ROLE_GRANT.word, operation, self._facts(account_id).platform):
            note = (f"The seller has no role named {', '.join(lacking)} yet: create it first "
                    "(its own step)." if lacking else None)
            raise self._manual(
                account_id, ROLE_GRANT.word, operation, name,
                {"shop": spec.shop_id,
                 "roles": [self._role_name(account_id, r) for r in spec.role_ids]},
                person=self._person(spec.member_id, spec.member_id), note=note)
        self._call(UPDATE, {"staffUserId": int(staff["staffUserId"]), "roleIds": numbers},
                   ROLE_GRANT.word, name, operation, account_id)
        self._wrote(account_id)
        found = self.get_grant(account_id, spec.member_id, spec.shop_id)
        if found is None:
            raise BackendError(ROLE_GRANT.word, name, operation,
                               f"{UPDATE} succeeded but the staff member holds no role")
        return found

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None:
        """The grant is all the staff member's roles and Kuaishou keeps at least one: the
        staff member is stopped, so the access ends now; its removal follows (module
        docstring)."""
        name = ROLE_GRANT.ref(account_id, member_id, shop_id).name
        staff = self._staff_of(account_id, member_id)
        if staff is None or not staff.get("roleInfo"):
            raise NotFoundError(ROLE_GRANT.word, name, "delete", "not in the seller's staff list")
        if not staff.get("disabled"):
            self._call(STATUS, {"staffUserId": int(staff["staffUserId"]), "stop": True},
                       ROLE_GRANT.word, name, "delete", account_id)
            self._wrote(account_id)

    # Bindings and chat groups are not Kuaishou features: the base lists them empty and
    # refuses their writes with the kinds' feature rules.
