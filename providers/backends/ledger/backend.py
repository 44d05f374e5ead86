"""``LedgerBackend``: the connector for platforms without an API (Shopee, Ozon, Douyin).

Every write is a manual step: it raises :class:`~shoporg.errors.ManualStepRequired` with a
runbook, and the provider records the step in the ledger (:mod:`.store`). Every read returns
what the ledger's **confirmed** steps say exists — the last confirmed create or update of an
object gives its values (the resource's declared inputs, recorded with the step), a
confirmed delete removes it. So ``shoporg tasks done`` is what turns a pending resource
``active`` on the next ``pulumi up``/``refresh``, and nothing is ever pretended done::

    pulumi up            → sub-account pending, step #7 "create sp/zhu-yan" in the ledger
    shoporg tasks done 7 → the ledger says the person did it
    pulumi up            → read shows it, the resource becomes active; the preview is empty

Main accounts and shops are platform facts from org.yaml (these platforms list neither).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from shoporg.backends.ledger.store import Ledger, Step
from shoporg.backends.protocol import (
    Account,
    Binding,
    BindingSpec,
    ChatGroup,
    ChatGroupSpec,
    Department,
    DepartmentSpec,
    Grant,
    GrantSpec,
    Role,
    RoleSpec,
    Shop,
    SubAccount,
    SubAccountSpec,
    SubAccountStatus,
)
from shoporg.errors import BackendError, NotFoundError
from shoporg.kinds import CHAT_GROUP, DEPARTMENT, ROLE, ROLE_GRANT, SHOP_BINDING, SUB_ACCOUNT
from shoporg.platforms import CATALOGUES, PermissionCatalogue
from shoporg.runbooks import Operation, labelled, manual_step
from shoporg.schema import Org


class LedgerBackend:
    """The backend protocol for the accounts of ``org`` it serves, read from ``ledger``."""

    def __init__(self, ledger: Ledger, org: Org, accounts: frozenset[str] | None = None) -> None:
        self.ledger = ledger
        self._accounts = {a.id: a for a in org.accounts if accounts is None or a.id in accounts}
        self._people = {m.id: f"{m.name} ({m.id})" for m in org.members}
        # A seller centre shows role names, not org.yaml's ids: steps name them so.
        self._role_names: dict[tuple[str, str], str] = {
            (r.platform, r.id): r.name for r in org.roles}
        self._calls: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"LedgerBackend({self.ledger.location}, {sorted(self._accounts)})"

    # --- machinery ---------------------------------------------------------

    @property
    def calls(self) -> Mapping[str, int]:
        return dict(self._calls)

    def reset_calls(self) -> None:
        self._calls.clear()

    def close(self) -> None:
        """Nothing held open: every ledger call opens and closes its own connection."""

    def now(self) -> datetime:
        """The ledger's clock (``$SHOPORG_NOW`` for what-ifs, else the machine's)."""
        return self.ledger.now()

    def _platform(self, account_id: str, kind: str = "account", operation: str = "read") -> str:
        account = self._accounts.get(account_id)
        if account is None:
            raise NotFoundError(kind, account_id, operation,
                                f"account {account_id!r} is not served by the ledger",
                                "declare it under accounts: in org.yaml")
        return account.platform

    def _confirmed(self, account_id: str, kind: str) -> dict[str, Mapping[str, Any]]:
        """name → desired values of every object of ``kind`` the ledger says exists."""
        self._platform(account_id)
        self._calls[f"list_{kind}"] += 1
        out: dict[str, Mapping[str, Any]] = {}
        for (k, name), step in self.ledger.confirmed(account_id).items():
            if k == kind and step.operation != "delete" and step.desired is not None:
                out[name] = {**step.desired, "_confirmed_at": step.state_at}
        return out

    def _manual(self, account_id: str, kind: str, operation: Operation, name: str,
                fields: Mapping[str, object | None], person: str | None = None
                ) -> BackendError:
        platform = self._platform(account_id, kind, operation)
        return manual_step(platform, kind, operation, account_id=account_id, name=name,
                           fields=labelled(fields), person=person)

    def _person(self, member_id: str) -> str:
        # One who is no longer in org.yaml (a removal) is still named as a worklist groups
        # people: "<name> (<id>)", here with the id for the name.
        return self._people.get(member_id, f"{member_id} ({member_id})")

    def _role_labels(self, account_id: str, role_ids: tuple[str, ...]) -> list[str]:
        platform = self._platform(account_id)
        return [self._role_names.get((platform, r), r) for r in role_ids]

    def _catalogue(self, account_id: str) -> PermissionCatalogue | None:
        return CATALOGUES.get(self._platform(account_id))

    # --- accounts and shops (org.yaml's facts) -------------------------------------------

    def list_accounts(self) -> list[Account]:
        return [a for a in (self.get_account(i) for i in sorted(self._accounts)) if a]

    def get_account(self, account_id: str) -> Account | None:
        account = self._accounts.get(account_id)
        if account is None:
            return None
        seats = len(self._confirmed(account_id, SUB_ACCOUNT.word))
        return Account(
            id=account.id, platform=account.platform, nick=account.nick,
            seat_quota=account.seat_quota, seats_used=seats, sub_account_service=True,
            activated=True, activation_expires_at=None, wallet_password_set=False,
            shops=tuple(Shop(account.id, s.id, s.name, s.site) for s in account.shops),
        )

    def list_shops(self, account_id: str) -> list[Shop]:
        account = self.get_account(account_id)
        return list(account.shops) if account else []

    def set_wallet_password(self, account_id: str, password: str,
                            acting_login: str | None = None) -> Account:
        raise self._manual(account_id, "wallet", "update", account_id,
                           {"who": acting_login or "the main account"})

    # --- departments ---------------------------------------------------------

    def list_departments(self, account_id: str) -> list[Department]:
        return [Department(account_id, v["department_id"], v["name"], v.get("parent_id"))
                for v in self._confirmed(account_id, DEPARTMENT.word).values()]

    def get_department(self, account_id: str, department_id: str) -> Department | None:
        return next((d for d in self.list_departments(account_id) if d.id == department_id),
                    None)

    def get_department_by_name(self, account_id: str, name: str, parent_id: str | None
                               ) -> Department | None:
        return next((d for d in self.list_departments(account_id)
                     if (d.name, d.parent_id) == (name, parent_id)), None)

    def create_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        raise self._manual(account_id, DEPARTMENT.word, "create",
                           DEPARTMENT.ref(account_id, spec.id).name, asdict(spec))

    def update_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        raise self._manual(account_id, DEPARTMENT.word, "update",
                           DEPARTMENT.ref(account_id, spec.id).name, asdict(spec))

    def delete_department(self, account_id: str, department_id: str) -> None:
        name = DEPARTMENT.ref(account_id, department_id).name
        if self.get_department(account_id, department_id) is None:
            raise NotFoundError(DEPARTMENT.word, name, "delete", "not in the ledger")
        raise self._manual(account_id, DEPARTMENT.word, "delete", name, {"id": department_id})

    # --- roles ---------------------------------------------------------

    def permission_catalogue(self, account_id: str) -> PermissionCatalogue:
        catalogue = self._catalogue(account_id)
        if catalogue is None:
            raise NotFoundError("role", account_id, "read", "no permission catalogue")
        return catalogue

    def list_roles(self, account_id: str) -> list[Role]:
        catalogue = self._catalogue(account_id)
        out = []
        for v in self._confirmed(account_id, ROLE.word).values():
            codes = tuple(sorted(v["permissions"]))
            known = [c for c in codes if catalogue is not None and c in catalogue]
            effective = tuple(sorted(catalogue.expand(known) | set(codes))) if catalogue \
                else codes
            out.append(Role(account_id, v["role_id"], v["name"], v.get("description") or "",
                            codes, effective))
        return out

    def get_role(self, account_id: str, role_id: str) -> Role | None:
        return next((r for r in self.list_roles(account_id) if r.id == role_id), None)

    def get_role_by_name(self, account_id: str, name: str) -> Role | None:
        return next((r for r in self.list_roles(account_id) if r.name == name), None)

    def create_role(self, account_id: str, spec: RoleSpec) -> Role:
        raise self._manual(account_id, ROLE.word, "create", ROLE.ref(account_id, spec.id).name,
                           asdict(spec))

    def update_role(self, account_id: str, spec: RoleSpec) -> Role:
        raise self._manual(account_id, ROLE.word, "update", ROLE.ref(account_id, spec.id).name,
                           asdict(spec))

    def delete_role(self, account_id: str, role_id: str) -> None:
        name = ROLE.ref(account_id, role_id).name
        if self.get_role(account_id, role_id) is None:
            raise NotFoundError(ROLE.word, name, "delete", "not in the ledger")
        raise self._manual(account_id, ROLE.word, "delete", name, {"id": role_id})

    # --- sub-accounts ---------------------------------------------------------

    def list_sub_accounts(self, account_id: str) -> list[SubAccount]:
        out = []
        for v in self._confirmed(account_id, SUB_ACCOUNT.word).values():
            status: SubAccountStatus = "active" if v.get("enabled", True) else "disabled"
            out.append(SubAccount(
                account_id=account_id, member_id=v["member_id"], login=v["login"],
                display_name=v["display_name"], department_id=v.get("department_id"),
                email=v.get("email"), phone=v.get("phone"), dispatch=bool(v.get("dispatch")),
                two_factor=bool(v.get("two_factor")), status=status, email_confirmed=True,
                password_set=True,
            ))
        return out

    def get_sub_account(self, account_id: str, member_id: str) -> SubAccount | None:
        return next((s for s in self.list_sub_accounts(account_id) if s.member_id == member_id),
                    None)

    def get_sub_account_by_login(self, account_id: str, login: str) -> SubAccount | None:
        return next((s for s in self.list_sub_accounts(account_id) if s.login == login), None)

    def create_sub_account(self, account_id: str, spec: SubAccountSpec,
                           initial_password: str | None = None) -> SubAccount:
        # The password is never written down: the person sets one in the seller centre.
        raise self._manual(account_id, SUB_ACCOUNT.word, "create",
                           SUB_ACCOUNT.ref(account_id, spec.member_id).name, asdict(spec),
                           person=self._person(spec.member_id))

    def update_sub_account(self, account_id: str, spec: SubAccountSpec) -> SubAccount:
        raise self._manual(account_id, SUB_ACCOUNT.word, "update",
                           SUB_ACCOUNT.ref(account_id, spec.member_id).name, asdict(spec),
                           person=self._person(spec.member_id))

    def set_sub_account_status(self, account_id: str, member_id: str,
                               status: SubAccountStatus) -> SubAccount:
        current = self.get_sub_account(account_id, member_id)
        if current is not None and current.status == status:
            return current
        raise self._manual(account_id, SUB_ACCOUNT.word, "update",
                           SUB_ACCOUNT.ref(account_id, member_id).name, {"status": status},
                           person=self._person(member_id))

    def delete_sub_account(self, account_id: str, member_id: str) -> None:
        name = SUB_ACCOUNT.ref(account_id, member_id).name
        if self.get_sub_account(account_id, member_id) is None:
            raise NotFoundError(SUB_ACCOUNT.word, name, "delete", "not in the ledger")
        raise self._manual(account_id, SUB_ACCOUNT.word, "delete", name, {"member": member_id},
                           person=self._person(member_id))

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str
                      ) -> SubAccount:
        raise self._manual(account_id, SUB_ACCOUNT.word, "update",
                           SUB_ACCOUNT.ref(account_id, new_member_id).name,
                           {"member": f"{old_member_id} → {new_member_id}"},
                           person=self._person(new_member_id))

    # --- grants ---------------------------------------------------------

    def list_grants(self, account_id: str) -> list[Grant]:
        return [Grant(account_id, v["member_id"], v["shop_id"], tuple(sorted(v["role_ids"])))
                for v in self._confirmed(account_id, ROLE_GRANT.word).values()]

    def get_grant(self, account_id: str, member_id: str, shop_id: str) -> Grant | None:
        return next((g for g in self.list_grants(account_id)
                     if (g.member_id, g.shop_id) == (member_id, shop_id)), None)

    def set_grant(self, account_id: str, spec: GrantSpec) -> Grant:
        current = self.get_grant(account_id, spec.member_id, spec.shop_id)
        if current is not None and current.role_ids == tuple(sorted(spec.role_ids)):
            return current
        raise self._manual(account_id, ROLE_GRANT.word, "update" if current else "create",
                           ROLE_GRANT.ref(account_id, spec.member_id, spec.shop_id).name,
                           {"shop": spec.shop_id, "roles": self._role_labels(account_id,
                                                                             spec.role_ids)},
                           person=self._person(spec.member_id))

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None:
        name = ROLE_GRANT.ref(account_id, member_id, shop_id).name
        if self.get_grant(account_id, member_id, shop_id) is None:
            raise NotFoundError(ROLE_GRANT.word, name, "delete", "not in the ledger")
        raise self._manual(account_id, ROLE_GRANT.word, "delete", name, {"shop": shop_id},
                           person=self._person(member_id))

    # --- bindings and chat groups ---------------------------------------------------------

    def list_bindings(self, account_id: str) -> list[Binding]:
        return [Binding(account_id, v["shop_id"], v["kind"], v["external_id"], v.get("source"),
                        _at(v["_confirmed_at"]))
                for v in self._confirmed(account_id, SHOP_BINDING.word).values()]

    def get_binding(self, account_id: str, shop_id: str, external_id: str) -> Binding | None:
        return next((b for b in self.list_bindings(account_id)
                     if (b.shop_id, b.external_id) == (shop_id, external_id)), None)

    def bind(self, account_id: str, spec: BindingSpec) -> Binding:
        raise self._manual(account_id, SHOP_BINDING.word, "create",
                           SHOP_BINDING.ref(spec.shop_id, spec.kind, spec.external_id).name,
                           {"shop": spec.shop_id, "kind": spec.kind,
                            "account": spec.external_id, "source": spec.source})

    def unbind(self, account_id: str, shop_id: str, external_id: str) -> None:
        current = self.get_binding(account_id, shop_id, external_id)
        if current is None:
            raise NotFoundError(SHOP_BINDING.word, f"{shop_id} {external_id}", "delete",
                                "not in the ledger")
        raise self._manual(account_id, SHOP_BINDING.word, "delete",
                           SHOP_BINDING.ref(shop_id, current.kind, external_id).name,
                           {"shop": shop_id, "account": external_id})

    def list_chat_groups(self, account_id: str) -> list[ChatGroup]:
        return [ChatGroup(account_id, v["shop_id"], v["name"], tuple(sorted(v["member_ids"])))
                for v in self._confirmed(account_id, CHAT_GROUP.word).values()]

    def get_chat_group(self, account_id: str, shop_id: str, name: str) -> ChatGroup | None:
        return next((g for g in self.list_chat_groups(account_id)
                     if (g.shop_id, g.name) == (shop_id, name)), None)

    def set_chat_group(self, account_id: str, spec: ChatGroupSpec) -> ChatGroup:
        current = self.get_chat_group(account_id, spec.shop_id, spec.name)
        if current is not None and current.member_ids == tuple(sorted(spec.member_ids)):
            return current
        raise self._manual(account_id, CHAT_GROUP.word, "update" if current else "create",
                           CHAT_GROUP.ref(spec.shop_id, spec.name).name,
                           {"shop": spec.shop_id, "group": spec.name,
                            "members": [self._person(m) for m in spec.member_ids]})

    def delete_chat_group(self, account_id: str, shop_id: str, name: str) -> None:
        ref = CHAT_GROUP.ref(shop_id, name)
        if self.get_chat_group(account_id, shop_id, name) is None:
            raise NotFoundError(CHAT_GROUP.word, ref.name, "delete", "not in the ledger")
        raise self._manual(account_id, CHAT_GROUP.word, "delete", ref.name,
                           {"shop": shop_id, "group": name})


def _at(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


__all__ = ["LedgerBackend", "Step"]
