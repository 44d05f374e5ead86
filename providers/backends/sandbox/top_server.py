"""A TOP-protocol endpoint over the sandbox: ``shoporg sandbox serve``.

It answers the eight "子账号管理API" methods the taobao connector uses, as TOP's
documentation describes them (``shared/platform-apis.md`` §1.1, §1.4), for the
Taobao/Tmall accounts of one sandbox company, so the connector -- and any TOP client
library -- is tested end to end over HTTP without a real gateway::

    POST|GET http://127.0.0.1:<port>/router/rest   (query string, form-encoded, multipart,
                                                    chunked or not)
    → {"sellercenter_roles_get_response": {"roles": {"role": [...]}, "request_id": ...}}
    → {"roles": [...], "request_id": ...}                          (format=json&simplify=true)
    → <?xml ...?><sellercenter_roles_get_response>...              (format=xml, or no format)
    → {"error_response": {"code": 27, "msg": "Invalid session", ...}}

The wire rules (signature, timestamps, answer keys, XML) are this side's own
(:mod:`.top_protocol`): the endpoint shares no code with the connector's client.

Checks, in order: format (23), method present (21), app key (28/29), signature over the
sorted non-empty parameters with md5, hmac or hmac-sha256 (24/25), timestamp -- ``yyyy-MM-dd
HH:mm:ss`` GMT+8 or epoch milliseconds -- within ±10 minutes of the *sandbox* clock (30/31),
session (26/27), known method (22), arguments (40/41). A session belongs to **one main
account** (``sessions``: account id → session, as ``shoporg:taobaoSession``'s JSON form); a
call about another seller's nick is refused with 42. Business errors are code 50 with an
``isv.*`` sub-code; anything unexpected -- a bad value, a bug -- is code 15
``isp.unknown-error``: every exception becomes an ``error_response``, and wrong paths (404)
and HTTP methods (405, code 9) answer TOP errors too, never HTML.

TOP's numbers for the sandbox's string ids are stable hashes (:func:`top_id`). Writes go
through :class:`SandboxBackend` under actor ``top-api``, instrumented: injected faults reach
the client as TOP errors (``providers/backends/sandbox/faults.py``): transient ones as code
10 ``isp.service-unavailable`` or, with ``isp_sub_codes``, code 15 with those ``isp.*``
sub-codes in turn; throttling as code 7 ("This ban will last for N more seconds") or, with
``call_limited=isp``, code 15 ``isp.call-limited``; ``top_statuses`` serves a sub-account
with status 3 (punished), -1 (deleted) or any other code. It binds to 127.0.0.1 only and
never logs a request's parameters (they carry the session).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import itertools
import json
import math
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shoporg.backends.protocol import Account, RoleSpec, SubAccount, SubAccountSpec
from shoporg.backends.sandbox.backend import SandboxBackend
from shoporg.backends.sandbox.faults import FaultConfig
from shoporg.backends.sandbox.loopback import LoopbackHandler, LoopbackServer
from shoporg.backends.sandbox.seller_center import SellerCenter
from shoporg.backends.sandbox.top_protocol import (
    FORMATS,
    GATEWAY_SIGN_METHODS,
    Listed,
    answer_key,
    beijing_time,
    expected_sign,
    json_body,
    read_timestamp,
    xml_body,
)
from shoporg.errors import (
    BackendError,
    ConflictError,
    NotFoundError,
    RuleViolation,
    ThrottledError,
    TransientError,
)
from shoporg.kinds import ROLE, SUB_ACCOUNT
from shoporg.platforms import COLON_LOGIN_PLATFORMS

PATH = "/router/rest"
TOLERANCE = timedelta(minutes=10)
MAX_BODY = 8 * 1024 * 1024


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


def _business(sub_code: str, sub_msg: str) -> TopFailure:
    return TopFailure(50, "Business Error", sub_code, sub_msg)


def _flag(value: str | None, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise _invalid(name, f"{value!r} is not true or false")


def _number(value: str, name: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise _invalid(name, f"{value!r} is not a number") from None


@dataclass(frozen=True)
class Answer:
    """What goes back: the body, its content type and the HTTP status."""

    body: bytes
    content_type: str
    status: int = 200

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


class TopService:
    """The protocol logic, free of HTTP: ``handle(params) -> Answer`` (``call`` → JSON).

    ``session``: one session string (only for a company with a single Taobao/Tmall main
    account), a JSON object / mapping of account id → session (one per main account), or
    ``None`` for a random session per account (:attr:`sessions` tells them).
    """

    def __init__(
        self, backend: SandboxBackend, *, app_key: str, app_secret: str,
        session: str | Mapping[str, str] | None = None, tolerance: timedelta = TOLERANCE,
    ) -> None:
        self.backend = backend
        # The gateway's own reads (clock, fault settings, audit times) are not API calls:
        # never counted, never failed by injected faults.
        self._quiet = SellerCenter(SandboxBackend(backend.path, backend.company,
                                                  instrumented=False))
        self.app_key = app_key
        self._app_secret = app_secret
        self._plain_session: str | None = None
        self._sessions: dict[str, str] = {}
        if isinstance(session, Mapping):
            self._sessions = dict(session)
        elif session and session.strip().startswith("{"):
            data = json.loads(session)
            if not isinstance(data, dict):
                raise ValueError("--session JSON must map account ids to sessions")
            self._sessions = {str(k): str(v) for k, v in data.items()}
        elif session:
            self._plain_session = session
        else:
            self._sessions = {a.id: secrets.token_hex(16) for a in self._main_accounts()}
        self.tolerance = tolerance
        self._turn = itertools.count()
        self._methods: dict[str, Callable[[Account, Mapping[str, str]], dict[str, Any]]] = {
            "taobao.sellercenter.subusers.page": self._subusers_page,
            "taobao.subuser.fullinfo.get": self._fullinfo,
            "taobao.subuser.departments.get": self._departments,
            "taobao.sellercenter.roles.get": self._roles,
            "taobao.sellercenter.role.add": self._role_add,
            "taobao.sellercenter.subuser.permissions.roles.get": self._subuser_roles,
            "taobao.sellercenter.user.permissions.get": self._permissions,
            "taobao.subuser.info.update": self._info_update,
        }

    def close(self) -> None:
        self._quiet.backend.close()

    def __repr__(self) -> str:
        return f"TopService(company={self.backend.company!r}, app_key={self.app_key!r})"

    @property
    def sessions(self) -> dict[str, str]:
        """Account id → the session that serves it."""
        if self._plain_session is not None:
            mains = self._main_accounts()
            return {mains[0].id: self._plain_session} if len(mains) == 1 else {}
        return dict(self._sessions)

    # --- the envelope --------------------------------------------------------------------

    def call(self, params: Mapping[str, str]) -> dict[str, Any]:
        """``handle`` for a JSON caller (tests): the decoded body."""
        return self.handle({"format": "json", **params}).json()

    def handle(self, params: Mapping[str, str], files: frozenset[str] = frozenset()
               ) -> Answer:
        """One request: ``params`` (query + body), ``files`` the uploaded parts' names."""
        fmt = params.get("format") or "xml"
        simplify = fmt == "json" and (params.get("simplify") or "").lower() == "true"
        try:
            if fmt not in FORMATS:
                fmt = "xml"
                raise TopFailure(23, "Invalid Format", "isv.invalid-format",
                                 f"format must be one of {', '.join(FORMATS)}")
            method, account = self._check(params, files)
            fields = self._methods[method](account, params)
            return self._render(method, {**fields, "request_id": _request_id()}, fmt,
                                simplify)
        except TopFailure as failure:
            return self.error(failure, fmt)
        except BackendError as exc:
            return self.error(self._failure_of(exc), fmt)
        except Exception as exc:  # a bug or a value nobody expected: still a TOP answer
            return self.error(TopFailure(15, "Remote service error", "isp.unknown-error",
                                         f"the sandbox failed ({type(exc).__name__})"), fmt)

    @staticmethod
    def _render(method: str, fields: dict[str, Any], fmt: str, simplify: bool) -> Answer:
        if fmt == "xml":
            return Answer(xml_body(answer_key(method), fields).encode("utf-8"),
                          "text/xml;charset=UTF-8")
        body = json.dumps(json_body(method, fields, simplify), ensure_ascii=False)
        return Answer(body.encode("utf-8"), "application/json;charset=UTF-8")

    @staticmethod
    def error(f: TopFailure, fmt: str = "json", status: int = 200) -> Answer:
        error: dict[str, Any] = {"code": f.code, "msg": f.msg}
        if f.sub_code:
            error["sub_code"] = f.sub_code
            error["sub_msg"] = f.sub_msg
        error["request_id"] = _request_id()
        if fmt == "xml":
            return Answer(xml_body("error_response", error).encode("utf-8"),
                          "text/xml;charset=UTF-8", status)
        body = json.dumps({"error_response": error}, ensure_ascii=False).encode("utf-8")
        return Answer(body, "application/json;charset=UTF-8", status)

    def _faults(self) -> FaultConfig:
        try:
            return self._quiet.faults()
        except (BackendError, ValueError):
            return FaultConfig()

    def _failure_of(self, exc: BackendError) -> TopFailure:
        if isinstance(exc, ThrottledError):
            wait = math.ceil(exc.retry_after)
            ban = f"This ban will last for {wait} more seconds"
            if self._faults().call_limited == "isp":
                return TopFailure(15, "Remote service error", "isp.call-limited", ban)
            return TopFailure(7, f"App Call Limited, {ban}",
                              "accesscontrol.limited-by-app-access-count", ban)
        if isinstance(exc, TransientError):
            codes = self._faults().isp_sub_codes
            if codes:
                code = codes[next(self._turn) % len(codes)]
                return TopFailure(15, "Remote service error", code, exc.message)
            return TopFailure(10, "Service Currently Unavailable", "isp.service-unavailable",
                              exc.message)
        if isinstance(exc, NotFoundError):
            return _business(f"isv.{exc.kind.replace('_', '-')}-not-exist", exc.message)
        if isinstance(exc, ConflictError):
            return _business(f"isv.{exc.kind.replace('_', '-')}-exist", exc.message)
        if isinstance(exc, RuleViolation):
            return _business(f"isv.{exc.rule.replace('_', '-')}", exc.message)
        return _business("isv.operation-failed", exc.message)

    def _check(self, params: Mapping[str, str], files: frozenset[str]) -> tuple[str, Account]:
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
        if sign_method not in GATEWAY_SIGN_METHODS:
            raise TopFailure(25, "Invalid Signature", "isv.invalid-sign-method", sign_method)
        expected = expected_sign(params, self._app_secret, sign_method, files)
        if not secrets.compare_digest(given.upper().encode(), expected.encode()):
            raise TopFailure(25, "Invalid Signature")
        stamp = params.get("timestamp")
        if not stamp:
            raise TopFailure(30, "Missing Timestamp")
        try:
            when = read_timestamp(stamp)
        except ValueError:
            raise TopFailure(31, "Invalid Timestamp", "isv.invalid-timestamp",
                             "expected yyyy-MM-dd HH:mm:ss (GMT+8) or epoch milliseconds"
                             ) from None
        now = self.now()
        if abs(when - now) > self.tolerance:
            raise TopFailure(31, "Invalid Timestamp", "isv.timestamp-out-of-range",
                             f"server time is {beijing_time(now)} (GMT+8)")
        session = params.get("session") or params.get("access_token")
        if not session:
            raise TopFailure(26, "Missing Session")
        account = self._session_account(session)
        if method not in self._methods:
            raise TopFailure(22, "Invalid Method")
        return method, account

    def _session_account(self, session: str) -> Account:
        if self._plain_session is not None and not self.sessions:
            raise TopFailure(27, "Invalid session", "invalid-sessionkey",
                             "this sandbox has several Taobao/Tmall main accounts and a session "
                             "belongs to one: serve one each (--session "
                             "'{\"<account id>\": \"<session>\"}')")
        for account_id, known in self.sessions.items():
            if secrets.compare_digest(session.encode(), known.encode()):
                account = self.backend.get_account(account_id)
                if account is not None and account.platform in COLON_LOGIN_PLATFORMS:
                    return account
        raise TopFailure(27, "Invalid session", "invalid-sessionkey", "session is invalid")

    def now(self) -> datetime:
        return self._quiet.now()

    # --- lookups -------------------------------------------------------------------------

    def _main_accounts(self) -> list[Account]:
        return [a for a in self.backend.list_accounts() if a.platform in COLON_LOGIN_PLATFORMS]

    def _account(self, session: Account, nick: str | None, name: str = "nick") -> Account:
        """The main account a nick (main or ``main:sub``) names: the session's, or 42."""
        if not nick:
            raise _missing(name)
        main = nick.split(":", 1)[0]
        if main == session.nick:
            return session
        if any(a.nick == main for a in self._main_accounts()):
            raise TopFailure(42, "Insufficient session permissions",
                             "isv.session-not-match-nick",
                             f"the session is {session.nick}'s, not {main}'s")
        raise _business("isv.user-not-exist", f"no Taobao/Tmall main account {main!r}")

    def _subs(self, account: Account) -> list[SubAccount]:
        return sorted(self.backend.list_sub_accounts(account.id), key=lambda s: s.login)

    def _sub_by_id(self, account: Account, sub_id: str) -> SubAccount:
        wanted = _number(sub_id, "sub_id")
        for sub in self.backend.list_sub_accounts(account.id):
            if self._sub_id(account, sub) == wanted:
                return sub
        raise _business("isv.subuser-not-exist", f"no sub-account {sub_id}")

    def _sub_by_nick(self, session: Account, nick: str, name: str) -> tuple[Account, SubAccount]:
        account = self._account(session, nick, name)
        sub = self.backend.get_sub_account_by_login(account.id, nick)
        if sub is None:
            raise _business("isv.subuser-not-exist", f"no sub-account {nick!r}")
        return account, sub

    def _status(self, account: Account, sub: SubAccount, faults: FaultConfig) -> int:
        """The TOP status of a sub-account: 1 normal, 2 frozen; or what faults inject."""
        injected = faults.top_status(SUB_ACCOUNT.ref(account.id, sub.member_id).name)
        if injected is not None:
            return injected
        return 1 if sub.status == "active" else 2

    @staticmethod
    def _sub_id(account: Account, sub: SubAccount) -> int:
        return top_id(account.id, "sub", sub.member_id)

    @staticmethod
    def _dept_id(account: Account, department_id: str) -> int:
        return top_id(account.id, "dept", department_id)

    @staticmethod
    def _role_id(account: Account, role_id: str) -> int:
        return top_id(account.id, "role", role_id)

    def _role_times(self, account: Account) -> dict[str, tuple[str, str]]:
        """Role id → (create_time, modified_time), from the sandbox's audit log."""
        out: dict[str, tuple[str, str]] = {}
        prefix = account.id + "/"
        for entry in self._quiet.audit_log(kind=ROLE.word):
            if not entry.name.startswith(prefix):
                continue
            stamp = beijing_time(entry.at)
            role_id = entry.name[len(prefix):]
            first = out.get(role_id, (stamp, stamp))[0]
            out[role_id] = (min(first, stamp), max(out.get(role_id, (stamp, stamp))[1], stamp))
        return out

    def _role_json(self, account: Account, role_id: str, with_permissions: bool,
                   times: Mapping[str, tuple[str, str]] | None = None,
                   via: SandboxBackend | None = None) -> dict[str, Any]:
        backend = via or self.backend
        role = backend.get_role(account.id, role_id)
        if role is None:
            raise _business("isv.role-not-exist", role_id)
        times = self._role_times(account) if times is None else times
        now = beijing_time(self.now())
        created, modified = times.get(role.id, (now, now))
        out: dict[str, Any] = {
            "role_id": self._role_id(account, role.id),
            "role_name": role.name,
            "description": role.description,
            "seller_id": top_id(account.id),
            "create_time": created,
            "modified_time": modified,
        }
        if with_permissions:
            # What the role grants: the platform expands a point to its parents and children.
            out["permissions"] = Listed("permission",
                                        self._points(account, role.effective, backend))
        return out

    def _points(self, account: Account, codes: Any, via: SandboxBackend | None = None
                ) -> list[dict[str, Any]]:
        cat = (via or self.backend).permission_catalogue(account.id)
        return [
            {
                "permission_code": code,
                "permission_name": cat.points[code].name if code in cat else code,
                "parent_code": (cat.points[code].parent or "") if code in cat else "",
                "is_authorize": 1,
            }
            for code in codes
        ]

    # --- methods -------------------------------------------------------------------------

    def _subusers_page(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(session, p.get("nick"))
        size, num = p.get("page_size"), p.get("page_num")
        if not size:
            raise _missing("page_size")
        if not num:
            raise _missing("page_num")
        if not size.isdigit() or not 1 < int(size) < 200:
            raise _invalid("page_size", "page_size must be > 1 and < 200")
        if not num.isdigit() or int(num) < 1:
            raise _invalid("page_num", "page_num must be >= 1")
        faults = self._faults()
        rows = [(s, self._status(account, s, faults)) for s in self._subs(account)]
        wanted = p.get("account_status")
        if wanted:
            if wanted.strip() not in ("1", "2", "3"):
                raise _invalid("account_status", "account_status is 1 (normal), 2 (frozen) "
                                                 "or 3 (punished)")
            rows = [(s, st) for s, st in rows if st == int(wanted)]
        start = (int(num) - 1) * int(size)
        page = rows[start:start + int(size)]
        return {
            "subusers": Listed("sub_user_info", [
                {
                    "sub_id": self._sub_id(account, s),
                    "nick": s.login,
                    "seller_id": top_id(account.id),
                    "seller_nick": account.nick,
                    "full_name": s.display_name,
                    "status": status,
                    "is_online": 2 if s.dispatch else 1,
                }
                for s, status in page
            ]),
            "total_count": len(rows),
            "page_num": int(num),
            "page_size": int(size),
        }

    def _fullinfo(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        if p.get("sub_nick"):
            account, sub = self._sub_by_nick(session, p["sub_nick"], "sub_nick")
        elif p.get("sub_id"):
            account, sub = session, self._sub_by_id(session, p["sub_id"])
        else:
            raise _missing("sub_id")
        fields = {f.strip() for f in (p.get("fields") or "").split(",") if f.strip()}
        dept = (self.backend.get_department(account.id, sub.department_id)
                if sub.department_id else None)
        status = self._status(account, sub, self._faults())
        info: dict[str, Any] = {
            "sub_id": self._sub_id(account, sub),
            "sub_nick": sub.login,
            "sub_status": status,
            "sub_dispatch_status": sub.dispatch,
            "sub_owed_status": False,
            "user_id": top_id(account.id),
            "user_nick": account.nick,
            "employee_id": top_id(account.id, "employee", sub.member_id),
            "employee_name": sub.display_name,
            "employee_nickname": "",
            "employee_num": sub.member_id,
            "sex": 0,  # not recorded by the sandbox (TOP: 1 male, 2 female)
            "entry_date": "",
            "leader_id": 0,
            "office_phone": sub.phone or "",
            "work_location": "",
            "department_id": self._dept_id(account, dept.id) if dept else 0,
            "department_name": dept.name if dept else "",
            "parent_department": (self._dept_id(account, dept.parent_id)
                                  if dept and dept.parent_id else 0),
            "duty_id": 0,  # the sandbox has no duties (职务)
            "duty_name": "",
            "duty_level": 0,
        }
        if "subuser_email" in fields:
            info["subuser_email"] = sub.email or ""
        if "user_email" in fields:
            info["user_email"] = ""
        return {"sub_fullinfo": info}

    def _departments(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(session, p.get("user_nick"), "user_nick")
        subs = {s.member_id: s for s in self.backend.list_sub_accounts(account.id)}
        return {"departments": Listed("department", [
            {
                "department_id": self._dept_id(account, d.id),
                "department_name": d.name,
                "parent_id": self._dept_id(account, d.parent_id) if d.parent_id else 0,
                "sub_user_ids": Listed("number", [
                    self._sub_id(account, subs[m]) for m in d.member_ids if m in subs
                ]),
            }
            for d in self.backend.list_departments(account.id)
        ])}

    def _roles(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(session, p.get("nick"))
        times = self._role_times(account)
        return {"roles": Listed("role", [
            self._role_json(account, r.id, with_permissions=False, times=times)
            for r in self.backend.list_roles(account.id)
        ])}

    def _role_add(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        account = self._account(session, p.get("nick"))
        name = p.get("name")
        if not name:
            raise _missing("name")
        codes = tuple(c.strip() for c in (p.get("permission_codes") or "").split(",")
                      if c.strip())
        cat = self.backend.permission_catalogue(account.id)
        unknown = [c for c in codes if c not in cat]
        if unknown:
            raise _business("isv.permission-code-invalid",
                            f"not grantable (is_authorize != 1): {', '.join(unknown)}")
        role_id = f"top-{top_id(account.id, 'role-name', name) % 10**10}"
        role = self.backend.create_role(
            account.id, RoleSpec(role_id, name, codes, p.get("description") or "")
        )
        # Done: the answer is read without injected faults (a fault now would tell the
        # client "not done" about a write that was).
        return {"role": self._role_json(account, role.id, with_permissions=True,
                                        via=self._quiet.backend)}

    def _held(self, account: Account, sub: SubAccount) -> list[str]:
        return sorted({
            r for g in self.backend.list_grants(account.id) if g.member_id == sub.member_id
            for r in g.role_ids
        })

    def _subuser_roles(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        nick = p.get("nick")
        if not nick:
            raise _missing("nick")
        account, sub = self._sub_by_nick(session, nick, "nick")
        times = self._role_times(account)
        return {"subuser_permission": {
            "roles": Listed("role", [
                self._role_json(account, r, with_permissions=True, times=times)
                for r in self._held(account, sub)
            ]),
            "permissions": Listed("permission", []),
        }}

    def _permissions(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        """A main nick: every point of the catalogue; a sub-account nick: what it holds."""
        nick = p.get("nick")
        account = self._account(session, nick)
        assert nick is not None
        if ":" in nick:
            _, sub = self._sub_by_nick(session, nick, "nick")
            held: set[str] = set()
            for role_id in self._held(account, sub):
                role = self.backend.get_role(account.id, role_id)
                if role is not None:
                    held.update(role.effective)
            codes: list[str] = sorted(held)
        else:
            codes = list(self.backend.permission_catalogue(account.id).points)
        return {"permissions": Listed("permission", self._points(account, codes))}

    def _info_update(self, session: Account, p: Mapping[str, str]) -> dict[str, Any]:
        if not p.get("sub_id"):
            raise _missing("sub_id")
        account, sub = session, self._sub_by_id(session, p["sub_id"])
        dispatch = _flag(p.get("is_dispatch"), "is_dispatch")
        disable = _flag(p.get("is_disable_subaccount"), "is_disable_subaccount")
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


def _request_id() -> str:
    return uuid.uuid4().hex[:12]


# --- HTTP ------------------------------------------------------------------------------------


class BadRequest(Exception):
    """A body the endpoint cannot read (answered as TOP error 43)."""


def read_body(headers: Mapping[str, str], rfile: Any) -> bytes:
    """The request body: ``Content-Length`` bytes, or the chunks of a chunked upload."""
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        out = bytearray()
        while True:
            line = rfile.readline(1024)
            if not line:
                raise BadRequest("the chunked body ends early")
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return bytes(out)
            out += rfile.read(size)
            rfile.readline(8)  # the CRLF after the chunk
            if len(out) > MAX_BODY:
                raise BadRequest("the body is too large")
    length = int(headers.get("Content-Length") or 0)
    if length > MAX_BODY:
        raise BadRequest("the body is too large")
    data: bytes = rfile.read(length) if length else b""
    return data


def parse_body(content_type: str, body: bytes) -> tuple[dict[str, str], frozenset[str]]:
    """Form fields of a urlencoded or multipart body, and the names of uploaded files
    (which TOP leaves out of the signature)."""
    if not body:
        return {}, frozenset()
    if content_type.lower().startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise BadRequest("a multipart body without parts")
        fields: dict[str, str] = {}
        files: set[str] = set()
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            raw = payload if isinstance(payload, bytes) else b""
            if part.get_filename() is not None:
                files.add(name)
                continue
            charset = part.get_content_charset() or "utf-8"
            fields[name] = raw.decode(charset)
        return fields, frozenset(files)
    text = body.decode("utf-8")
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}, frozenset()


class _Handler(LoopbackHandler):
    service: TopService  # set on the subclass made per server

    def _query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query,
                                               keep_blank_values=True).items()}

    def _answer(self, read_form: bool) -> None:
        try:
            form: dict[str, str] = {}
            files: frozenset[str] = frozenset()
            if read_form:
                body = read_body(self.headers, self.rfile)  # type: ignore[arg-type]
                form, files = parse_body(self.headers.get("Content-Type") or "", body)
            params = {**self._query(), **form}
            if urlsplit(self.path).path != PATH:
                answer = self.service.error(TopFailure(
                    22, "Invalid Method", "isv.invalid-path",
                    f"TOP answers at {PATH} only"), _format(params), 404)
            else:
                answer = self.service.handle(params, files)
        except (BadRequest, ValueError, UnicodeDecodeError) as exc:
            self.close_connection = True
            answer = self.service.error(TopFailure(43, "Parameter Error",
                                                   "isv.invalid-request-body", str(exc)))
        except Exception as exc:
            self.close_connection = True
            answer = self.service.error(TopFailure(15, "Remote service error",
                                                   "isp.unknown-error", type(exc).__name__))
        self._send(answer)

    def do_GET(self) -> None:
        self._answer(read_form=False)

    def do_POST(self) -> None:
        self._answer(read_form=True)

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._send(self.service.error(TopFailure(
            9, "Http Action Not Allowed", "isv.http-action-not-allowed",
            f"{self.command} is not allowed: use GET or POST"), _format(self._query()), 405))

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """Whatever http.server itself refuses (a bad request line, an unknown HTTP
        method) is still a TOP error, never an HTML page."""
        self.close_connection = True
        top_code = 9 if code in (405, 501) else 43
        failure = TopFailure(top_code, "Http Action Not Allowed" if top_code == 9
                             else "Parameter Error", "isv.bad-request",
                             message or str(code))
        try:
            self._send(self.service.error(failure, "json", code))
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # never log requests: their parameters carry the session


def _format(params: Mapping[str, str]) -> str:
    return "json" if params.get("format") == "json" else "xml"


class TopServer(LoopbackServer):
    """The endpoint on 127.0.0.1, served from a daemon thread."""

    def __init__(self, service: TopService, port: int = 0) -> None:
        handler = type("TopHandler", (_Handler,), {"service": service})
        super().__init__(handler, port, "top-server")

    @property
    def url(self) -> str:
        return f"{self.base_url}{PATH}"
