"""org.yaml's names for what an open platform knows by number (TOP, Kuaishou).

The open platforms identify departments, roles and sub-accounts by numbers and know nothing
of org.yaml's slugs (``cs``, ``tb-cs-presale``, ``zhang-wei``). An API connector maps them by
natural key, using the declared org.yaml when there is one (TOP's case below; Kuaishou's
staff by their login phone, the member id kept in ``remarks`` as TOP keeps it in the 工号):

==============  ==============================  ==========================================
object          natural key on TOP              id when org.yaml does not declare it
==============  ==============================  ==========================================
department      the path of names from the root ``dept-<hash of the path>``
role            (platform, role name)           ``<platform>-role-<hash of the name>``
sub-account     the login (``nick:name``)       the 工号 (employee_num) if it is a valid
                                                id, else ``sub-<sub_id>``
==============  ==============================  ==========================================

Runbooks ask for the member id as the sub-account's 工号, so a sub-account created by hand
maps back to its member even without org.yaml (``shoporg import``). Accounts and shops are
platform facts TOP cannot list (a session is one main account): they come from org.yaml.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from shoporg.backends.protocol import Shop
from shoporg.schema import Org, load_org
from shoporg.schema.models import ID_PATTERN

_ID = re.compile(ID_PATTERN)


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:8]


def valid_id(text: str | None) -> bool:
    return bool(text) and _ID.match(text or "") is not None


@dataclass(frozen=True)
class AccountFacts:
    id: str
    platform: str
    nick: str
    seat_quota: int
    shops: tuple[Shop, ...]


class Directory:
    """Declared names ↔ ids; safe to read from the engine's threads, learns from writes."""

    def __init__(self) -> None:
        self.accounts: dict[str, AccountFacts] = {}
        self.departments: dict[tuple[str, ...], str] = {}  # name path → id
        self.department_paths: dict[str, tuple[str, ...]] = {}  # id → name path
        self.roles: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}  # → (id, codes)
        self.role_names: dict[tuple[str, str], str] = {}  # (platform, id) → name
        self.members: dict[tuple[str, str], str] = {}  # (account, login) → member id
        self.people: dict[str, str] = {}  # member id → display name
        #: (account, member id) → the role ids org.yaml grants on the account (for an
        #: account system that creates a sub-account with its roles in one call).
        self.grants: dict[tuple[str, str], tuple[str, ...]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_org(cls, org: Org) -> Directory:
        d = cls()
        for account in org.accounts:
            shops = tuple(Shop(account.id, s.id, s.name, s.site) for s in account.shops)
            d.add_account(
                AccountFacts(account.id, account.platform, account.nick, account.seat_quota, shops)
            )
        paths: dict[str, tuple[str, ...]] = {}
        for dept, parent in org.walk_departments():
            path = (*paths[parent.id], dept.name) if parent else (dept.name,)
            paths[dept.id] = path
            d.departments[path] = dept.id
            d.department_paths[dept.id] = path
        for role in org.roles:
            d.learn_role(role.platform, role.id, role.name, tuple(role.permissions))
        for member in org.members:
            d.people[member.id] = member.name
            for entry in member.sub_accounts:
                account = next(a for a in org.accounts if a.id == entry.account)
                d.members[(account.id, account.login(entry.login_name))] = member.id
                d.grants[(account.id, member.id)] = tuple(entry.roles)
        return d

    @classmethod
    def load(cls, path: str | Path | None) -> Directory:
        """From an org.yaml if it exists (a ConfigError if it is invalid), else empty."""
        if path is None or not Path(path).is_file():
            return cls()
        return cls.from_org(load_org(path))

    def add_account(self, facts: AccountFacts) -> None:
        with self._lock:
            self.accounts[facts.id] = facts

    def learn_role(self, platform: str, role_id: str, name: str, codes: tuple[str, ...]) -> None:
        with self._lock:
            self.roles[(platform, name)] = (role_id, codes)
            self.role_names[(platform, role_id)] = name

    def learn_member(self, account_id: str, login: str, member_id: str, name: str) -> None:
        with self._lock:
            self.members[(account_id, login)] = member_id
            self.people.setdefault(member_id, name)

    def role_name(self, platform: str, role_id: str) -> str | None:
        """The declared name of a role (what the seller centre calls it), if declared."""
        return self.role_names.get((platform, role_id))

    def department_id(self, path: tuple[str, ...], top_id: int) -> str:
        """Declared id, else one derived from the name path — the same in every account,
        so one department mirrored into several accounts imports as one."""
        return self.departments.get(path) or f"dept-{_digest(*path)}"

    def role_id(self, platform: str, name: str, top_id: int) -> str:
        """Declared id, else one derived from the name: one role per platform, as in org.yaml."""
        found = self.roles.get((platform, name))
        return found[0] if found else f"{platform}-role-{_digest(name)}"

    def declared_codes(self, platform: str, name: str) -> tuple[str, ...] | None:
        found = self.roles.get((platform, name))
        return found[1] if found else None

    def member_id(
        self, account_id: str, login: str, employee_num: str | None, sub_id: int
    ) -> str:
        declared = self.members.get((account_id, login))
        if declared:
            return declared
        claimed = {m for (a, _), m in self.members.items() if a == account_id}
        if employee_num and valid_id(employee_num) and employee_num not in claimed:
            return employee_num
        return f"sub-{sub_id}"

    def person(self, member_id: str, fallback: str) -> str:
        return f"{self.people.get(member_id, fallback)} ({member_id})"
