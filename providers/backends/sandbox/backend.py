"""``SandboxBackend``: the protocol (``shoporg.backends.protocol.Backend``) over one SQLite file.

Every public method is one operation, run by :meth:`SandboxBackend.execute`:

1. count the call (``calls``; also in the file when ``count_calls`` is set);
2. read the file's settings (clock offset, faults) and apply latency / injected faults;
3. run the rule module's function in one transaction (``BEGIN IMMEDIATE`` for writes) with
   one "now", retrying if SQLite stays busy, and translate any ``sqlite3`` error into the
   shoporg error tree so callers never see a library exception.

A backend is bound to one company (tenant); several companies share a file. It holds no
open connection across threads (see ``db.py``) and is cheap to create, but
:func:`open_sandbox` keeps one instance per (file, company, actor) per process so call
counts and fault attempts accumulate across the engine's many provider calls.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TypeVar

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
from shoporg.backends.sandbox import (
    accounts,
    bindings,
    chat_groups,
    departments,
    grants,
    passwords,
    roles,
    settings,
    sub_accounts,
)
from shoporg.backends.sandbox.clock import Clock, SystemClock
from shoporg.backends.sandbox.db import BUSY_RETRIES, Database, is_busy, retry_busy
from shoporg.backends.sandbox.faults import FaultInjector, load_config
from shoporg.backends.sandbox.tx import Tx
from shoporg.errors import BackendError, ConflictError, TransientError
from shoporg.kinds import (
    CHAT_GROUP,
    DEPARTMENT,
    ROLE,
    ROLE_GRANT,
    SHOP_BINDING,
    SUB_ACCOUNT,
)
from shoporg.platforms import PermissionCatalogue

T = TypeVar("T")

ENV_PATH = "SHOPORG_SANDBOX"
ENV_COMPANY = "SHOPORG_COMPANY"
DEFAULT_COMPANY = "default"


def default_path(cwd: str | os.PathLike[str] | None = None) -> Path:
    """``$SHOPORG_SANDBOX``, else ``.sandbox/sandbox.db`` under the current directory."""
    env = os.environ.get(ENV_PATH)
    if env:
        return Path(env)
    return Path(cwd or os.getcwd()) / ".sandbox" / "sandbox.db"


def default_company() -> str:
    return os.environ.get(ENV_COMPANY) or DEFAULT_COMPANY


class SandboxBackend:
    """The embedded account system for one company in one sandbox file."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        company: str | None = None,
        *,
        actor: str = "shoporg",
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        instrumented: bool = True,
    ) -> None:
        """``instrumented=False`` (the seller-centre CLI) skips call counting and fault
        injection: a person at the seller centre is not the provider under test."""
        self.instrumented = instrumented
        self.path = Path(path) if path is not None else default_path()
        self.company = company or default_company()
        self.actor = actor
        self.clock: Clock = clock or SystemClock()
        self._environ = environ
        self._db = Database(self.path)
        self._faults = FaultInjector()
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    # --- machinery ----------------------------------------------------------------------------

    @property
    def calls(self) -> Mapping[str, int]:
        with self._calls_lock:
            return dict(self._calls)

    def reset_calls(self) -> None:
        with self._calls_lock:
            self._calls.clear()

    def close(self) -> None:
        self._db.close()

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (for the seller centre's read-only listings)."""
        return self._db.connection()

    def now(self) -> datetime:
        """The account system's time: the injected clock plus the file's offset
        (``shoporg sandbox clock``). Reading the clock is not a platform call: it is not
        counted and no fault is injected into it."""
        conn = self._db.connection()
        return self.clock.now() + retry_busy(lambda: settings.read(conn)).clock_offset

    def execute(
        self,
        method: str,
        kind: str,
        name: str,
        fn: Callable[[Tx], T],
        *,
        write: bool,
    ) -> T:
        """Run one operation as described in the module docstring."""
        try:
            conn = self._db.connection()
            current = retry_busy(lambda: settings.read(conn))
            if self.instrumented:
                self._before_call(conn, current, method, kind, name, write)
            now = self.clock.now() + current.clock_offset
            return self._transaction(method, kind, name, fn, write, now)
        except sqlite3.IntegrityError as exc:
            raise ConflictError(kind, name, method, f"constraint failed: {exc}") from exc
        except sqlite3.OperationalError as exc:
            if is_busy(exc):
                raise TransientError(kind, name, method, f"sandbox file busy: {exc}") from exc
            raise BackendError(kind, name, method, f"sandbox database error: {exc}") from exc
        except sqlite3.Error as exc:
            raise BackendError(kind, name, method, f"sandbox database error: {exc}") from exc

    def _before_call(
        self,
        conn: sqlite3.Connection,
        current: settings.Settings,
        method: str,
        kind: str,
        name: str,
        write: bool,
    ) -> None:
        with self._calls_lock:
            self._calls[method] += 1
        config = load_config(current.faults, self._environ)
        if current.count_calls:
            self._write_counter(conn, lambda: settings.bump_call_count(conn, method))
        call_number = None
        if config.fail_on_call is not None:
            call_number = self._write_counter(conn, lambda: settings.next_fault_call(conn))
        if config.active:
            self._faults.before_call(config, method, kind, name, write, call_number)

    def _write_counter(self, conn: sqlite3.Connection, fn: Callable[[], T]) -> T:
        def run() -> T:
            with self._db.writer:  # queue behind this process's other writers (db.py)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn()
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result

        return retry_busy(run)

    def _transaction(
        self,
        method: str,
        kind: str,
        name: str,
        fn: Callable[[Tx], T],
        write: bool,
        now: datetime,
    ) -> T:
        for attempt in range(BUSY_RETRIES):
            try:
                with self._db.transaction(write) as conn:
                    return fn(Tx(conn, self.company, now, self.actor, method))
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or attempt == BUSY_RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def _read(self, method: str, kind: str, name: str, fn: Callable[[Tx], T]) -> T:
        return self.execute(method, kind, name, fn, write=False)

    def _write(self, method: str, kind: str, name: str, fn: Callable[[Tx], T]) -> T:
        return self.execute(method, kind, name, fn, write=True)

    # --- accounts and shops -------------------------------------------------------------------

    def list_accounts(self) -> list[Account]:
        return self._read("list_accounts", "account", "*", accounts.list_accounts)

    def get_account(self, account_id: str) -> Account | None:
        return self._read(
            "get_account", "account", account_id, lambda tx: accounts.get_account(tx, account_id)
        )

    def list_shops(self, account_id: str) -> list[Shop]:
        return self._read(
            "list_shops", "shop", f"{account_id}/*", lambda tx: accounts.list_shops(tx, account_id)
        )

    def set_wallet_password(
        self, account_id: str, password: str, acting_login: str | None = None
    ) -> Account:
        return self._write(
            "set_wallet_password", "account", account_id,
            lambda tx: accounts.set_wallet_password(tx, account_id, password, acting_login),
        )

    # --- departments --------------------------------------------------------------------------

    def list_departments(self, account_id: str) -> list[Department]:
        return self._read(
            "list_departments", "department", f"{account_id}/*",
            lambda tx: departments.list_departments(tx, account_id),
        )

    def get_department(self, account_id: str, department_id: str) -> Department | None:
        return self._read(
            "get_department", DEPARTMENT.word, DEPARTMENT.ref(account_id, department_id).name,
            lambda tx: departments.get_department(tx, account_id, department_id),
        )

    def get_department_by_name(
        self, account_id: str, name: str, parent_id: str | None
    ) -> Department | None:
        return self._read(
            "get_department_by_name", "department", f"{account_id}/{name}",
            lambda tx: departments.get_department_by_name(tx, account_id, name, parent_id),
        )

    def create_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        return self._write(
            "create_department", DEPARTMENT.word, DEPARTMENT.ref(account_id, spec.id).name,
            lambda tx: departments.create_department(tx, account_id, spec),
        )

    def update_department(self, account_id: str, spec: DepartmentSpec) -> Department:
        return self._write(
            "update_department", DEPARTMENT.word, DEPARTMENT.ref(account_id, spec.id).name,
            lambda tx: departments.update_department(tx, account_id, spec),
        )

    def delete_department(self, account_id: str, department_id: str) -> None:
        self._write(
            "delete_department", DEPARTMENT.word, DEPARTMENT.ref(account_id, department_id).name,
            lambda tx: departments.delete_department(tx, account_id, department_id),
        )

    # --- roles ---------------------------------------------------------------------------------

    def permission_catalogue(self, account_id: str) -> PermissionCatalogue:
        return self._read(
            "permission_catalogue", "account", account_id,
            lambda tx: roles.catalogue(tx, account_id),
        )

    def list_roles(self, account_id: str) -> list[Role]:
        return self._read(
            "list_roles", "role", f"{account_id}/*", lambda tx: roles.list_roles(tx, account_id)
        )

    def get_role(self, account_id: str, role_id: str) -> Role | None:
        return self._read(
            "get_role", ROLE.word, ROLE.ref(account_id, role_id).name,
            lambda tx: roles.get_role(tx, account_id, role_id),
        )

    def get_role_by_name(self, account_id: str, name: str) -> Role | None:
        return self._read(
            "get_role_by_name", "role", f"{account_id}/{name}",
            lambda tx: roles.get_role_by_name(tx, account_id, name),
        )

    def create_role(self, account_id: str, spec: RoleSpec) -> Role:
        return self._write(
            "create_role", ROLE.word, ROLE.ref(account_id, spec.id).name,
            lambda tx: roles.create_role(tx, account_id, spec),
        )

    def update_role(self, account_id: str, spec: RoleSpec) -> Role:
        return self._write(
            "update_role", ROLE.word, ROLE.ref(account_id, spec.id).name,
            lambda tx: roles.update_role(tx, account_id, spec),
        )

    def delete_role(self, account_id: str, role_id: str) -> None:
        self._write(
            "delete_role", ROLE.word, ROLE.ref(account_id, role_id).name,
            lambda tx: roles.delete_role(tx, account_id, role_id),
        )

    # --- sub-accounts --------------------------------------------------------------------------

    def list_sub_accounts(self, account_id: str) -> list[SubAccount]:
        return self._read(
            "list_sub_accounts", "sub_account", f"{account_id}/*",
            lambda tx: sub_accounts.list_sub_accounts(tx, account_id),
        )

    def get_sub_account(self, account_id: str, member_id: str) -> SubAccount | None:
        return self._read(
            "get_sub_account", SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, member_id).name,
            lambda tx: sub_accounts.get_sub_account(tx, account_id, member_id),
        )

    def get_sub_account_by_login(self, account_id: str, login: str) -> SubAccount | None:
        return self._read(
            "get_sub_account_by_login", "sub_account", f"{account_id}/{login}",
            lambda tx: sub_accounts.get_sub_account_by_login(tx, account_id, login),
        )

    def create_sub_account(
        self, account_id: str, spec: SubAccountSpec, initial_password: str | None = None
    ) -> SubAccount:
        # Hashed here, outside the write transaction, so the hash does not hold the file's
        # write lock (passwords.py); shoporg generates every initial password.
        password_hash = (
            None if initial_password is None
            else passwords.hash_password(initial_password, generated=True)
        )
        return self._write(
            "create_sub_account", SUB_ACCOUNT.word,
            SUB_ACCOUNT.ref(account_id, spec.member_id).name,
            lambda tx: sub_accounts.create_sub_account(tx, account_id, spec, password_hash),
        )

    def update_sub_account(self, account_id: str, spec: SubAccountSpec) -> SubAccount:
        return self._write(
            "update_sub_account", SUB_ACCOUNT.word,
            SUB_ACCOUNT.ref(account_id, spec.member_id).name,
            lambda tx: sub_accounts.update_sub_account(tx, account_id, spec),
        )

    def set_sub_account_status(
        self, account_id: str, member_id: str, status: SubAccountStatus
    ) -> SubAccount:
        return self._write(
            "set_sub_account_status", SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, member_id).name,
            lambda tx: sub_accounts.set_status(tx, account_id, member_id, status),
        )

    def delete_sub_account(self, account_id: str, member_id: str) -> None:
        self._write(
            "delete_sub_account", SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, member_id).name,
            lambda tx: sub_accounts.delete_sub_account(tx, account_id, member_id),
        )

    def rename_member(self, account_id: str, old_member_id: str, new_member_id: str) -> SubAccount:
        return self._write(
            "rename_member", SUB_ACCOUNT.word, SUB_ACCOUNT.ref(account_id, old_member_id).name,
            lambda tx: sub_accounts.rename_member(tx, account_id, old_member_id, new_member_id),
        )

    # --- grants ----------------------------------------------------------------------------------

    def list_grants(self, account_id: str) -> list[Grant]:
        return self._read(
            "list_grants", ROLE_GRANT.word, f"{account_id}/*",
            lambda tx: grants.list_grants(tx, account_id),
        )

    def get_grant(self, account_id: str, member_id: str, shop_id: str) -> Grant | None:
        return self._read(
            "get_grant", ROLE_GRANT.word, ROLE_GRANT.ref(account_id, member_id, shop_id).name,
            lambda tx: grants.get_grant(tx, account_id, member_id, shop_id),
        )

    def set_grant(self, account_id: str, spec: GrantSpec) -> Grant:
        return self._write(
            "set_grant", ROLE_GRANT.word,
            ROLE_GRANT.ref(account_id, spec.member_id, spec.shop_id).name,
            lambda tx: grants.set_grant(tx, account_id, spec),
        )

    def delete_grant(self, account_id: str, member_id: str, shop_id: str) -> None:
        self._write(
            "delete_grant", ROLE_GRANT.word, ROLE_GRANT.ref(account_id, member_id, shop_id).name,
            lambda tx: grants.delete_grant(tx, account_id, member_id, shop_id),
        )

    # --- bindings --------------------------------------------------------------------------------

    def list_bindings(self, account_id: str) -> list[Binding]:
        return self._read(
            "list_bindings", SHOP_BINDING.word, f"{account_id}/*",
            lambda tx: bindings.list_bindings(tx, account_id),
        )

    def get_binding(self, account_id: str, shop_id: str, external_id: str) -> Binding | None:
        return self._read(
            "get_binding", SHOP_BINDING.word, SHOP_BINDING.ref(shop_id, "*", external_id).name,
            lambda tx: bindings.get_binding(tx, account_id, shop_id, external_id),
        )

    def bind(self, account_id: str, spec: BindingSpec) -> Binding:
        return self._write(
            "bind", SHOP_BINDING.word,
            SHOP_BINDING.ref(spec.shop_id, spec.kind, spec.external_id).name,
            lambda tx: bindings.bind(tx, account_id, spec),
        )

    def unbind(self, account_id: str, shop_id: str, external_id: str) -> None:
        self._write(
            "unbind", SHOP_BINDING.word, SHOP_BINDING.ref(shop_id, "*", external_id).name,
            lambda tx: bindings.unbind(tx, account_id, shop_id, external_id),
        )

    # --- chat groups -----------------------------------------------------------------------------

    def list_chat_groups(self, account_id: str) -> list[ChatGroup]:
        return self._read(
            "list_chat_groups", "chat_group", f"{account_id}/*",
            lambda tx: chat_groups.list_chat_groups(tx, account_id),
        )

    def get_chat_group(self, account_id: str, shop_id: str, name: str) -> ChatGroup | None:
        return self._read(
            "get_chat_group", CHAT_GROUP.word, CHAT_GROUP.ref(shop_id, name).name,
            lambda tx: chat_groups.get_chat_group(tx, account_id, shop_id, name),
        )

    def set_chat_group(self, account_id: str, spec: ChatGroupSpec) -> ChatGroup:
        return self._write(
            "set_chat_group", CHAT_GROUP.word, CHAT_GROUP.ref(spec.shop_id, spec.name).name,
            lambda tx: chat_groups.set_chat_group(tx, account_id, spec),
        )

    def delete_chat_group(self, account_id: str, shop_id: str, name: str) -> None:
        self._write(
            "delete_chat_group", CHAT_GROUP.word, CHAT_GROUP.ref(shop_id, name).name,
            lambda tx: chat_groups.delete_chat_group(tx, account_id, shop_id, name),
        )


_SHARED: dict[tuple[str, str, str], SandboxBackend] = {}
_SHARED_LOCK = threading.Lock()


def open_sandbox(
    path: str | os.PathLike[str] | None = None,
    company: str | None = None,
    actor: str = "shoporg",
) -> SandboxBackend:
    """The process-wide backend for (file, company, actor), created on first use."""
    resolved = str((Path(path) if path is not None else default_path()).resolve())
    key = (resolved, company or default_company(), actor)
    with _SHARED_LOCK:
        backend = _SHARED.get(key)
        if backend is None:
            backend = SandboxBackend(resolved, key[1], actor=actor)
            _SHARED[key] = backend
        return backend
