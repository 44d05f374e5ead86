"""A TOP-protocol endpoint over the sandbox: ``shoporg sandbox serve``.

It answers the "子账号管理API" methods the taobao backend uses, in TOP's JSON shapes, for
the Taobao/Tmall accounts of one sandbox company, so the connector is tested end to end
over HTTP (signing, timestamps, paging, ``error_response``) without a real gateway::

    POST http://127.0.0.1:<port>/router/rest   (form-encoded, or GET with a query string)
    → {"sellercenter_roles_get_response": {"roles": {"role": [...]}}}
    → {"error_response": {"code": 27, "msg": "Invalid session", ...}}

Checks, in TOP's order: method present (21), app key (28/29), signature over the sorted
parameters with md5, hmac or hmac-sha256 (24/25), timestamp within ±10 minutes of the
*sandbox* clock (30/31), session (26/27), known method (22), arguments (40/41). One
session serves every account of the company (a real session is one main account).

TOP's numbers for the sandbox's string ids are stable hashes (:func:`top_id`). Writes go
through :class:`SandboxBackend` under actor ``top-api``, instrumented: injected faults
reach the client as TOP errors (a throttle as code 7, "This ban will last for N more
seconds"). It binds to 127.0.0.1 only and never logs a request's parameters (they carry
the session).
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from providers.backends.protocol import Account, SubAccount, SubAccountSpec
from providers.backends.sandbox.backend import SandboxBackend
from providers.backends.sandbox.seller_center import SellerCenter
from providers.backends.taobao.client import (
    SIGN_METHODS,
    parse_timestamp,
    response_key,
    sign,
    top_timestamp,
)
from providers.errors import (
    BackendError,
    ConflictError,
    NotFoundError,
    RuleViolation,
    ThrottledError,
    TransientError,
)
from providers.platforms import COLON_LOGIN_PLATFORMS

PATH = "/router/rest"
TOLERANCE = timedelta(minutes=10)


def top_id(*parts: str) -> int:
    """A stable positive int64 (48 bits) for a sandbox object: TOP's ids are numbers."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:6], "big") or 1


@dataclass
class TopFailure(Exception):
    code: int
    msg: str
    sub_code: str = ""
    sub_msg: str = ""


def _missing(name: str) -> TopFailure:
    return TopFailure(40, "Missing Required Arguments", f"isv.missing-parameter:{name}",
                      f"{name} is required")


def _invalid(name: str, why: str) -> TopFailure:
    return TopFailure(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", why)


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise _invalid("boolean", f"{value!r} is not true or false")


class TopService:
    """The protocol logic, free of HTTP: ``handle(params) -> JSON body``."""

    def __init__(
        self, backend: SandboxBackend, *, app_key: str, app_secret: str, session: str,
        tolerance: timedelta = TOLERANCE,
    ) -> None:
        self.backend = backend
        self.app_key = app_key
        self._app_secret = app_secret
        self._session = session
        self.tolerance = tolerance
        self._methods: dict[str, Callable[[Mapping[str, str]], dict[str, Any]]] = {
            "taobao.sellercenter.subusers.page": self._subusers_page,
            "taobao.subuser.fullinfo.get": self._fullinfo,
            "taobao.subuser.departments.get": self._departments,
            "taobao.sellercenter.roles.get": self._roles,
            "taobao.sellercenter.role.add": self._role_add,
            "taobao.sellercenter.subuser.permissions.roles.get": self._subuser_roles,
            "taobao.sellercenter.user.permissions.get": self._permissions,
            "taobao.subuser.info.update": self._info_update,
        }

    def __repr__(self) -> str:
        return f"TopService(company={self.backend.company!r}, app_key={self.app_key!r})"

    # --- the envelope --------------------------------------------------------------------

    def handle(self, params: Mapping[str, str]) -> dict[str, Any]:
        try:
            method = self._check(params)
            body = self._methods[method](params)
            return {response_key(method): {**body, "request_id": uuid.uuid4().hex[:12]}}
        except TopFailure as failure:
            return self._error(failure)
        except BackendError as exc:
            return self._error(self._failure_of(exc))

    @staticmethod
    def _error(f: TopFailure) -> dict[str, Any]:
        error: dict[str, Any] = {"code": f.code, "msg": f.msg}
        if f.sub_code:
            error["sub_code"] = f.sub_code
            error["sub_msg"] = f.sub_msg
        error["request_id"] = uuid.uuid4().hex[:12]
        return {"error_response": error}

    @staticmethod
    def _failure_of(exc: BackendError) -> TopFailure:
        if isinstance(exc, ThrottledError):
            wait = math.ceil(exc.retry_after)
            return TopFailure(
                7, f"App Call Limited, This ban will last for {wait} more seconds",
                "accesscontrol.limited-by-app-access-count",
                f"This ban will last for {wait} more seconds",
            )
        if isinstance(exc, TransientError):
            return TopFailure(10, "Service Currently Unavailable", "isp.service-unavailable",
                              exc.message)
        if isinstance(exc, NotFoundError):
            return TopFailure(15, "Remote service error",
                              f"isv.{exc.kind.replace('_', '-')}-not-exist", exc.message)
        if isinstance(exc, ConflictError):
            return TopFailure(15, "Remote service error",
                              f"isv.{exc.kind.replace('_', '-')}-exist", exc.message)
        if isinstance(exc, RuleViolation):
            return TopFailure(15, "Remote service error", f"isv.{exc.rule.replace('_', '-')}",
                              exc.message)
        return TopFailure(15, "Remote service error", "isp.unknown-error", exc.message)

    def _check(self, params: Mapping[str, str]) -> str:
        method = params.get("method")
        if not method:
            raise TopFailure(21, "Missing Method")
        app_key = params.get("app_key")
        if not app_key:
            raise TopFailure(28, "Missing App Key")
        if app_key != self.app_key:
            raise TopFailure(29, "Invalid App Key")
        given = params.get("sign")
        if not given:
            raise TopFailure(24, "Missing Signature")
        sign_method = params.get("sign_method") or "md5"
        if sign_method not in SIGN_METHODS:
            raise TopFailure(25, "Invalid Signature", "isv.invalid-sign-method", sign_method)
        expected = sign(params, self._app_secret, sign_method)
        if not secrets.compare_digest(given.upper(), expected):
            raise TopFailure(25, "Invalid Signature")
        stamp = params.get("timestamp")
        if not stamp:
            raise TopFailure(30, "Missing Timestamp")
        try:
            when = parse_timestamp(stamp)
        except ValueError:
            raise TopFailure(31, "Invalid Timestamp", "isv.invalid-timestamp",
                             "expected yyyy-MM-dd HH:mm:ss (GMT+8)") from None
        now = self.now()
        if abs(when - now) > self.tolerance:
            raise TopFailure(31, "Invalid Timestamp", "isv.timestamp-out-of-range",
                             f"server time is {top_timestamp(now)} (GMT+8)")
        session = params.get("session")
        if not session:
            raise TopFailure(26, "Missing Session")
        if not secrets.compare_digest(session, self._session):
            raise TopFailure(27, "Invalid session", "invalid-sessionkey", "session is invalid")
        if params.get("format", "xml") != "json":
            raise _invalid("format", "the sandbox serves format=json only")
        if method not in self._methods:
            raise TopFailure(22, "Invalid Method")
        return method

    def now(self) -> datetime:
        return SellerCenter(self.backend).now()

    # --- lookups -------------------------------------------------------------------------

    def _account(self, nick: str | None, name: str = "nick") -> Account:
        if not nick:
            raise _missing(name)
        main = nick.split(":", 1)[0]
        for account in self.backend.list_accounts():
            if account.nick == main and account.platform in COLON_LOGIN_PLATFORMS:
                return account
        raise TopFailure(15, "Remote service error", "isv.user-not-exist",
                         f"no Taobao/Tmall main account {main!r}")

    def _subs(self, account: Account) -> list[SubAccount]:
        return sorted(self.backend.list_sub_accounts(account.id), key=lambda s: s.login)

    def _sub_by_id(self, sub_id: str) -> tuple[Account, SubAccount]:
        try:
            wanted = int(sub_id)
        except ValueError:
            raise _invalid("sub_id", f"{sub_id!r} is not a number") from None
        for account in self.backend.list_accounts():
            if account.platform not in COLON_LOGIN_PLATFORMS:
                continue
            for sub in self.backend.list_sub_accounts(account.id):
                if self._sub_id(account, sub) == wanted:
                    return account, sub
        raise TopFailure(15, "Remote service error", "isv.subuser-not-exist",
                         f"no sub-account {sub_id}")

    def _sub_by_nick(self, nick: str) -> tuple[Account, SubAccount]:
        account = self._account(nick, "sub_nick")
        sub = self.backend.get_sub_account_by_login(account.id, nick)
        if sub is None:
            raise TopFailure(15, "Remote service error", "isv.subuser-not-exist",
                             f"no sub-account {nick!r}")
        return account, sub

    @staticmethod
    def _sub_id(account: Account, sub: SubAccount) -> int:
        return top_id(account.id, "sub", sub.member_id)

    @staticmethod
    def _dept_id(account: Account, department_id: str) -> int:
        return top_id(account.id, "dept", department_id)

    @staticmethod
    def _role_id(account: Account, role_id: str) -> int:
        return top_id(account.id, "role", role_id)

    def _role_json(self, account: Account, role_id: str, with_permissions: bool
                   ) -> dict[str, Any]:
        role = self.backend.get_role(account.id, role_id)
        if role is None:
            raise TopFailure(15, "Remote service error", "isv.role-not-exist", role_id)
        out: dict[str, Any] = {
            "role_id": self._role_id(account, role.id),
            "role_name": role.name,
            "description": role.description,
            "seller_id": top_id(account.id),
        }
        if with_permissions:
            # What the role grants: the platform expands a point to its parents and children.
            cat = self.backend.permission_catalogue(account.id)
            out["permissions"] = {"permission": [
                {
                    "permission_code": code,
                    "permission_name": cat.points[code].name if code in cat else code,
                    "parent_code": (cat.points[code].parent or "") if code in cat else "",
                }
                for code in role.effective
            ]}
        return out

    # --- methods -------------------------------------------------------------------------

    def _subusers_page(self, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(p.get("nick"))
        size, num = p.get("page_size"), p.get("page_num")
        if not size:
            raise _missing("page_size")
        if not num:
            raise _missing("page_num")
        if not size.isdigit() or not 1 < int(size) < 200:
            raise _invalid("page_size", "page_size must be > 1 and < 200")
        if not num.isdigit() or int(num) < 1:
            raise _invalid("page_num", "page_num must be >= 1")
        subs = self._subs(account)
        wanted = p.get("account_status")
        if wanted:
            subs = [s for s in subs if (1 if s.status == "active" else 2) == int(wanted)]
        start = (int(num) - 1) * int(size)
        page = subs[start:start + int(size)]
        return {
            "subusers": {"sub_user_info": [
                {
                    "sub_id": self._sub_id(account, s),
                    "nick": s.login,
                    "seller_id": top_id(account.id),
                    "seller_nick": account.nick,
                    "full_name": s.display_name,
                    "status": 1 if s.status == "active" else 2,
                    "is_online": 2 if s.dispatch else 1,
                }
                for s in page
            ]},
            "total_count": len(subs),
            "page_num": int(num),
            "page_size": int(size),
        }

    def _fullinfo(self, p: Mapping[str, str]) -> dict[str, Any]:
        if p.get("sub_nick"):
            account, sub = self._sub_by_nick(p["sub_nick"])
        elif p.get("sub_id"):
            account, sub = self._sub_by_id(p["sub_id"])
        else:
            raise _missing("sub_id")
        fields = set((p.get("fields") or "").split(","))
        dept = (self.backend.get_department(account.id, sub.department_id)
                if sub.department_id else None)
        info: dict[str, Any] = {
            "sub_id": self._sub_id(account, sub),
            "sub_nick": sub.login,
            "sub_status": 1 if sub.status == "active" else 2,
            "sub_dispatch_status": sub.dispatch,
            "sub_owed_status": False,
            "user_id": top_id(account.id),
            "user_nick": account.nick,
            "employee_name": sub.display_name,
            "employee_num": sub.member_id,
            "office_phone": sub.phone or "",
            "department_id": self._dept_id(account, dept.id) if dept else 0,
            "department_name": dept.name if dept else "",
        }
        if "subuser_email" in fields:
            info["subuser_email"] = sub.email or ""
        return {"sub_fullinfo": info}

    def _departments(self, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(p.get("user_nick"), "user_nick")
        subs = {s.member_id: s for s in self.backend.list_sub_accounts(account.id)}
        return {"departments": {"department": [
            {
                "department_id": self._dept_id(account, d.id),
                "department_name": d.name,
                "parent_id": self._dept_id(account, d.parent_id) if d.parent_id else 0,
                "sub_user_ids": {"number": [
                    self._sub_id(account, subs[m]) for m in d.member_ids if m in subs
                ]},
            }
            for d in self.backend.list_departments(account.id)
        ]}}

    def _roles(self, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(p.get("nick"))
        return {"roles": {"role": [
            self._role_json(account, r.id, with_permissions=False)
            for r in self.backend.list_roles(account.id)
        ]}}

    def _role_add(self, p: Mapping[str, str]) -> dict[str, Any]:
        from providers.backends.protocol import RoleSpec

        account = self._account(p.get("nick"))
        name = p.get("name")
        if not name:
            raise _missing("name")
        codes = tuple(c for c in (p.get("permission_codes") or "").split(",") if c)
        role_id = f"top-{top_id(account.id, 'role-name', name) % 10**10}"
        role = self.backend.create_role(
            account.id, RoleSpec(role_id, name, codes, p.get("description") or "")
        )
        return {"role": self._role_json(account, role.id, with_permissions=True)}

    def _subuser_roles(self, p: Mapping[str, str]) -> dict[str, Any]:
        nick = p.get("nick")
        if not nick:
            raise _missing("nick")
        account, sub = self._sub_by_nick(nick)
        role_ids = sorted({
            r for g in self.backend.list_grants(account.id) if g.member_id == sub.member_id
            for r in g.role_ids
        })
        return {"subuser_permission": {
            "roles": {"role": [self._role_json(account, r, with_permissions=True)
                               for r in role_ids]},
            "permissions": {"permission": []},
        }}

    def _permissions(self, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(p.get("nick"))
        cat = self.backend.permission_catalogue(account.id)
        return {"permissions": {"permission": [
            {
                "permission_code": point.code,
                "permission_name": point.name,
                "parent_code": point.parent or "",
                "is_authorize": 1,
            }
            for point in cat.points.values()
        ]}}

    def _info_update(self, p: Mapping[str, str]) -> dict[str, Any]:
        if not p.get("sub_id"):
            raise _missing("sub_id")
        account, sub = self._sub_by_id(p["sub_id"])
        dispatch = _flag(p.get("is_dispatch"))
        disable = _flag(p.get("is_disable_subaccount"))
        if dispatch is not None and dispatch != sub.dispatch:
            spec = sub.spec()
            self.backend.update_sub_account(
                account.id,
                SubAccountSpec(
                    member_id=spec.member_id, login=spec.login,
                    display_name=spec.display_name, department_id=spec.department_id,
                    email=spec.email, phone=spec.phone, dispatch=dispatch,
                    two_factor=spec.two_factor,
                ),
            )
        if disable is not None and disable != (sub.status == "disabled"):
            self.backend.set_sub_account_status(
                account.id, sub.member_id, "disabled" if disable else "active"
            )
        return {"is_success": True}


class _Handler(BaseHTTPRequestHandler):
    service: TopService  # set on the subclass made per server
    # Keep-alive: one thread (and one sandbox connection) per client connection, not per
    # request; an idle connection is dropped after a while.
    protocol_version = "HTTP/1.1"
    timeout = 60

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without this, Nagle + delayed ACK add
        # ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self, params: dict[str, str]) -> None:
        if urlsplit(self.path).path != PATH:
            self.send_error(404)
            return
        body = json.dumps(self.service.handle(params), ensure_ascii=False).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query,
                                               keep_blank_values=True).items()}

    def do_GET(self) -> None:
        self._answer(self._query())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8")
        form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        self._answer({**self._query(), **form})

    def log_message(self, format: str, *args: Any) -> None:
        pass  # never log requests: their parameters carry the session


class TopServer:
    """The endpoint on 127.0.0.1, served from a daemon thread."""

    def __init__(self, service: TopService, port: int = 0) -> None:
        handler = type("TopHandler", (_Handler,), {"service": service})
        self._http = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True,
                                        name="top-server")

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}{PATH}"

    def start(self) -> TopServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._http.serve_forever()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> TopServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
