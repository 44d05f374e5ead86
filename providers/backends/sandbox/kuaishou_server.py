"""A Kuaishou merchant open-platform endpoint over the sandbox:
``shoporg sandbox serve --protocol kuaishou``.

It answers the staff lifecycle of the merchant open platform (快手电商开放平台) for the
Kuaishou sellers of one sandbox company (:mod:`.kuaishou_staff`), as Kuaishou documents it
(:mod:`.kuaishou_protocol` says where each rule comes from)::

    POST|GET http://127.0.0.1:<port>/open/user/sub/account/list   (query or urlencoded body:
        appkey, method, version, param, access_token, timestamp, signMethod, sign)
    → {"result": 1, "error_msg": "", "data": {"staffs": [...], "totalCount": 2, ...},
       "requestId": "..."}
    → {"result": 24, "data": null, "error_msg": "TOKEN过期", "requestId": "..."}

Methods: ``open.user.sub.account.role.list`` (roles are listed, never created),
``.create`` (contactPhone, roleIds, nickName, phone, remarks → ``staffUserid``), ``.list``
(``page``/``count`` paging, ``includeDeleted``, ``includeDisabled``, ``userName``),
``.update`` (contactPhone, roleIds, remarks), ``.status.update`` (``stop`` true/false) and
``.remove``.

Checks, in order: the path is under ``/open/`` (else HTTP 404, result 16); system
parameters present (11); appkey (12); signMethod (13); the signature (14); a known method
whose path it is (HTTP 404, result 16 "Invalid url"); ``version`` 1 and ``timestamp`` in
milliseconds (20); the access token -- unknown or revoked 24, expired (sandbox clock) 24
``TOKEN过期``, its seller gone 26; the QPS limit per
appkey and method (1017, the documented "Exceed qps limit" text); then the business
parameters (20) and the platform's rules (22 with the rule in ``sub_code``; a staff member of
another seller 21). Every failure -- a bad body, a wrong HTTP method (405), an injected fault
(throttling 1017, transient 2), a bug (2) -- is a Kuaishou JSON answer, never HTML.

A token belongs to one seller (``tokens``: token → seller id), valid 48 hours from when the
service starts (Kuaishou's ``expires_in`` default, 172800 s) unless :meth:`KuaishouService.grant`
says otherwise. Writes are audited under the backend's actor (``kuaishou-api`` from the CLI).
Binds to 127.0.0.1 only; requests over :data:`MAX_BODY` are refused; parameters are never
logged (they carry the token).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shoporg.backends.sandbox.backend import SandboxBackend
from shoporg.backends.sandbox.kuaishou_protocol import (
    AUTH_FAILED,
    BUSINESS_ERROR,
    INVALID_APPKEY,
    INVALID_PARAM,
    INVALID_SIGN,
    INVALID_SIGN_METHOD,
    INVALID_URL,
    LIMITED,
    MISSING_PARAMETER,
    NO_MAIN_ACCOUNT,
    OPERATION_REJECT,
    SIGN_METHODS,
    SYSTEM_ERROR,
    KsFailure,
    encode,
    expected_sign,
    failure_body,
    path_of,
    qps_message,
    read_param,
    sign_matches,
    success_body,
)
from shoporg.backends.sandbox.kuaishou_staff import SELLER, STAFF, KsStaff, KuaishouStaff
from shoporg.backends.sandbox.loopback import (
    LoopbackHandler,
    LoopbackServer,
    serve_until_interrupted,
)
from shoporg.errors import (
    BackendError,
    NotFoundError,
    RuleViolation,
    ThrottledError,
    TransientError,
)

TOKEN_LIFETIME = timedelta(seconds=172_800)
MAX_BODY = 1024 * 1024
DEFAULT_QPS = 50.0
MAX_COUNT = 100


@dataclass
class Grant:
    """What an access token stands for."""

    seller_id: int
    expires_at: datetime
    revoked: bool = False


@dataclass(frozen=True)
class Answer:
    body: bytes
    status: int = 200
    content_type: str = "application/json;charset=UTF-8"


Handler = Callable[[int, dict[str, Any]], Any]


# --- business parameters -----------------------------------------------------------------------


def _invalid(name: str, why: str) -> KsFailure:
    return KsFailure(INVALID_PARAM, f"{name} {why}", f"invalid-param:{name}", why)


def _int(args: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = args.get(name)
    if value is None:
        if default is None:
            raise _invalid(name, "is required")
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid(name, "must be a number")
    try:
        return int(value)
    except ValueError:
        raise _invalid(name, "must be a number") from None


def _bool(args: Mapping[str, Any], name: str, default: bool | None = None) -> bool:
    value = args.get(name)
    if value is None:
        if default is None:
            raise _invalid(name, "is required")
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _invalid(name, "must be true or false")


def _str(args: Mapping[str, Any], name: str, required: bool = False) -> str | None:
    value = args.get(name)
    if value is None:
        if required:
            raise _invalid(name, "is required")
        return None
    if not isinstance(value, str):
        raise _invalid(name, "must be a string")
    return value


def _ids(args: Mapping[str, Any], name: str, required: bool = False) -> list[int] | None:
    value = args.get(name)
    if value is None:
        if required:
            raise _invalid(name, "is required")
        return None
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int)
                                          for v in value):
        raise _invalid(name, "must be a list of numbers")
    return [int(v) for v in value]


def _millis(when: datetime) -> int:
    return int(when.timestamp() * 1000)


# --- the service -------------------------------------------------------------------------------


class KuaishouService:
    """The protocol logic, free of HTTP: ``handle(path, params) -> Answer``."""

    def __init__(
        self, backend: SandboxBackend, *, app_key: str, sign_secret: str,
        tokens: Mapping[str, int] | None = None, qps: float = DEFAULT_QPS,
    ) -> None:
        self.backend = backend
        self.staff = KuaishouStaff(backend)
        # The gateway's own reads (clock, token owners) are not API calls: never counted,
        # never failed by injected faults.
        self._quiet = KuaishouStaff(SandboxBackend(backend.path, backend.company,
                                                   instrumented=False))
        self.app_key = app_key
        self._sign_secret = sign_secret
        self.qps = qps
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], deque[float]] = {}
        start = self.now()
        if tokens is None:
            tokens = {secrets.token_hex(16): seller_id
                      for seller_id, _ in self._quiet.sellers()}
        for token, seller_id in tokens.items():
            self._grants[token] = Grant(int(seller_id), start + TOKEN_LIFETIME)
        self._methods: dict[str, Handler] = {
            "open.user.sub.account.role.list": self._role_list,
            "open.user.sub.account.create": self._create,
            "open.user.sub.account.list": self._list,
            "open.user.sub.account.update": self._update,
            "open.user.sub.account.status.update": self._status_update,
            "open.user.sub.account.remove": self._remove,
        }

    def close(self) -> None:
        self._quiet.backend.close()

    def __repr__(self) -> str:
        return f"KuaishouService(company={self.backend.company!r}, app_key={self.app_key!r})"

    def now(self) -> datetime:
        return self._quiet.backend.now()

    @property
    def tokens(self) -> dict[str, int]:
        """Token → seller id, for the tokens not revoked."""
        with self._lock:
            return {t: g.seller_id for t, g in self._grants.items() if not g.revoked}

    def grant(self, token: str, seller_id: int, expires_at: datetime | None = None) -> None:
        with self._lock:
            self._grants[token] = Grant(seller_id, expires_at or self.now() + TOKEN_LIFETIME)

    def revoke(self, token: str) -> None:
        """The seller cancels the app's authorisation (K0006: AUTHORIZATION_REVOKED)."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None:
                grant.revoked = True

    # --- the envelope ----------------------------------------------------------------------

    def handle(self, path: str, params: Mapping[str, str]) -> Answer:
        try:
            method, seller_id = self._check(path, params)
            data = self._methods[method](seller_id, read_param(params.get("param")))
            return Answer(encode(success_body(data, _request_id())))
        except KsFailure as failure:
            return self.error(failure)
        except BackendError as exc:
            return self.error(self._failure_of(exc))
        except Exception as exc:  # a bug or a value nobody expected: still a Kuaishou answer
            return self.error(KsFailure(SYSTEM_ERROR, f"system error ({type(exc).__name__})"))

    @staticmethod
    def error(failure: KsFailure) -> Answer:
        return Answer(encode(failure_body(failure, _request_id())), failure.status)

    def _check(self, path: str, params: Mapping[str, str]) -> tuple[str, int]:
        if not path.startswith("/open/"):
            raise KsFailure(INVALID_URL, "Invalid url", status=404)
        for name in ("method", "appkey", "access_token", "version", "timestamp",
                     "signMethod", "sign"):
            if not params.get(name):
                raise KsFailure(MISSING_PARAMETER, f"{name} not exist",
                                f"missing-param:{name}", f"{name} is required")
        if params["appkey"] != self.app_key:
            raise KsFailure(INVALID_APPKEY, "appkey is invalid")
        sign_method = params["signMethod"]
        if sign_method not in SIGN_METHODS:
            raise KsFailure(INVALID_SIGN_METHOD, f"signMethod must be one of "
                                                 f"{', '.join(SIGN_METHODS)}")
        expected = expected_sign(params, self._sign_secret, sign_method)
        if not sign_matches(params["sign"], expected, sign_method):
            raise KsFailure(INVALID_SIGN, "签名校验失败")
        method = params["method"]
        if method not in self._methods or path.rstrip("/") != path_of(method):
            raise KsFailure(INVALID_URL, "Invalid url", "invalid-url",
                            f"{method} is served at {path_of(method)}", status=404)
        if params["version"] != "1":
            raise _invalid("version", "must be 1")
        if not params["timestamp"].isdigit():
            raise _invalid("timestamp", "must be Unix milliseconds")
        seller_id = self._token_seller(params["access_token"])
        self._count(method)
        return method, seller_id

    def _token_seller(self, token: str) -> int:
        with self._lock:
            grant = next((g for known, g in self._grants.items()
                          if secrets.compare_digest(known.encode(), token.encode())), None)
        if grant is None:
            raise KsFailure(AUTH_FAILED, "鉴权失败", "invalid-token", "access_token is unknown")
        if grant.revoked:
            raise KsFailure(AUTH_FAILED, "AUTHORIZATION_REVOKED")
        if self.now() >= grant.expires_at:
            raise KsFailure(AUTH_FAILED, "TOKEN过期", "token-expired",
                            "refresh the access_token")
        try:
            self._quiet.seller(grant.seller_id)
        except NotFoundError:
            raise KsFailure(NO_MAIN_ACCOUNT, "主账号不存在") from None
        return grant.seller_id

    def _count(self, method: str) -> None:
        """At most ``qps`` calls of one method per appkey in any second (wall clock)."""
        now = time.monotonic()
        with self._lock:
            window = self._calls.setdefault((self.app_key, method), deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.qps:
                raise KsFailure(LIMITED, qps_message(method, self.app_key, self.qps))
            window.append(now)

    def _failure_of(self, exc: BackendError) -> KsFailure:
        if isinstance(exc, ThrottledError):
            return KsFailure(LIMITED, f"[{LIMITED}] exceed quota limit, retry after "
                                      f"{exc.retry_after:g}s")
        if isinstance(exc, TransientError):
            return KsFailure(SYSTEM_ERROR, "系统繁忙, retry later", "service-unavailable",
                             exc.message)
        if isinstance(exc, NotFoundError) and exc.kind == SELLER:
            return KsFailure(NO_MAIN_ACCOUNT, "主账号不存在")
        if isinstance(exc, NotFoundError) and exc.kind == STAFF:
            return KsFailure(BUSINESS_ERROR, "staff not found", "ks_staff_not_found",
                             exc.message)
        if isinstance(exc, RuleViolation):
            sub_msg = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            return KsFailure(BUSINESS_ERROR, "business error", exc.rule, sub_msg)
        return KsFailure(SYSTEM_ERROR, "system error", "isp.unknown-error", exc.message)

    # --- the methods -------------------------------------------------------------------------

    def _own(self, seller_id: int, args: Mapping[str, Any]) -> int:
        """``staffUserId``, refused as "operation reject" when another seller's."""
        staff_user_id = _int(args, "staffUserId")
        owner = self._quiet.owner_of(staff_user_id)
        if owner is not None and owner != seller_id:
            raise KsFailure(OPERATION_REJECT, "staff operation reject", "operation-reject",
                            "the staff member belongs to another seller")
        return staff_user_id

    def _role_list(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        return {"roles": [{"roleId": r.role_id, "roleName": r.role_name,
                           "roleDesc": r.role_desc} for r in self.staff.roles(seller_id)]}

    def _create(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        staff = self.staff.create(
            seller_id,
            contact_phone=_str(args, "contactPhone", required=True) or "",
            nick_name=_str(args, "nickName", required=True) or "",
            role_ids=_ids(args, "roleIds", required=True) or [],
            phone=_str(args, "phone"), remarks=_str(args, "remarks") or "",
        )
        return {"staffUserid": staff.staff_user_id}

    def _list(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        page = _int(args, "page", 1)
        count = _int(args, "count", 20)
        if page < 1:
            raise _invalid("page", "must be 1 or more")
        if not 1 <= count <= MAX_COUNT:
            raise _invalid("count", f"must be 1 to {MAX_COUNT}")
        found, counts = self.staff.staff_list(
            seller_id, include_deleted=_bool(args, "includeDeleted", False),
            include_disabled=_bool(args, "includeDisabled", False),
            user_name=_str(args, "userName") or "",
        )
        _, shop_name = self._quiet.seller(seller_id)
        roles = {r.role_id: r for r in self._quiet.roles(seller_id)}
        start = (page - 1) * count
        return {
            "staffs": [self._view(s, shop_name, roles) for s in found[start:start + count]],
            "totalCount": len(found),
            "normalCount": counts.normal,
            "disabledCount": counts.disabled,
            "deletedCount": counts.deleted,
        }

    @staticmethod
    def _view(staff: KsStaff, shop_name: str, roles: Mapping[int, Any]) -> dict[str, Any]:
        return {
            "staffUserId": staff.staff_user_id,
            "phone": staff.phone,
            "nickName": staff.nick_name,
            "contactPhone": staff.contact_phone,
            "remarks": staff.remarks,
            "roleInfo": [{"roleId": r, "roleName": roles[r].role_name,
                          "roleDesc": roles[r].role_desc}
                         for r in staff.role_ids if r in roles],
            "disabled": staff.disabled,
            "deleted": staff.deleted,
            "shopName": shop_name,
            "updateTime": _millis(staff.updated_at),
        }

    def _update(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        staff_user_id = self._own(seller_id, args)
        self.staff.update(seller_id, staff_user_id,
                          contact_phone=_str(args, "contactPhone"),
                          role_ids=_ids(args, "roleIds"), remarks=_str(args, "remarks"))
        return {"success": True}

    def _status_update(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        staff_user_id = self._own(seller_id, args)
        self.staff.set_stopped(seller_id, staff_user_id, _bool(args, "stop"))
        return {"success": True}

    def _remove(self, seller_id: int, args: dict[str, Any]) -> dict[str, Any]:
        staff_user_id = self._own(seller_id, args)
        self.staff.remove(seller_id, staff_user_id)
        return {"success": True}


def _request_id() -> str:
    return uuid.uuid4().hex[:16]


# --- HTTP --------------------------------------------------------------------------------------


class BadRequest(Exception):
    """A body the endpoint cannot read."""


def read_body(transfer_encoding: str | None, content_length: str | None, rfile: Any) -> bytes:
    """``Content-Length`` bytes, or a chunked body; at most :data:`MAX_BODY`."""
    if "chunked" in (transfer_encoding or "").lower():
        out = bytearray()
        while True:
            line = rfile.readline(1024)
            if not line:
                raise BadRequest("the chunked body ends early")
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            if len(out) + size > MAX_BODY:
                raise BadRequest(f"the body is larger than {MAX_BODY} bytes")
            out += rfile.read(size)
            rfile.readline(8)
    length = int(content_length or 0)
    if length > MAX_BODY:
        raise BadRequest(f"the body is larger than {MAX_BODY} bytes")
    data: bytes = rfile.read(length) if length else b""
    return data


def _form(text: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}


class _Handler(LoopbackHandler):
    service: KuaishouService  # set on the subclass made per server

    def _answer(self, read_form: bool) -> None:
        try:
            parts = urlsplit(self.path)
            params = _form(parts.query)
            if read_form:
                body = read_body(self.headers.get("Transfer-Encoding"),
                                 self.headers.get("Content-Length"), self.rfile)
                kind = (self.headers.get("Content-Type") or "").lower()
                if body and not kind.startswith("application/x-www-form-urlencoded"):
                    raise BadRequest("Content-type仅支持application/x-www-form-urlencoded")
                params.update(_form(body.decode("utf-8")))
            answer = self.service.handle(parts.path, params)
        except (BadRequest, ValueError, UnicodeDecodeError) as exc:
            self.close_connection = True
            answer = self.service.error(KsFailure(INVALID_PARAM, str(exc), status=400))
        except Exception as exc:
            self.close_connection = True
            answer = self.service.error(KsFailure(SYSTEM_ERROR, type(exc).__name__))
        self._send(answer)

    def do_GET(self) -> None:
        self._answer(read_form=False)

    def do_POST(self) -> None:
        self._answer(read_form=True)

    def _not_allowed(self) -> None:
        self.close_connection = True
        self._send(self.service.error(KsFailure(
            INVALID_URL, f"{self.command} is not allowed: use GET or POST", status=405)))

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        """What http.server itself refuses (a bad request line, an unknown HTTP method) is
        still a Kuaishou answer, never an HTML page."""
        self.close_connection = True
        try:
            self._send(self.service.error(KsFailure(INVALID_PARAM, message or str(code),
                                                    status=code)))
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # never log requests: their parameters carry the token


class KuaishouServer(LoopbackServer):
    """The endpoint on 127.0.0.1, served from a daemon thread (or :meth:`serve_forever`)."""

    def __init__(self, service: KuaishouService, port: int = 0) -> None:
        handler = type("KuaishouHandler", (_Handler,), {"service": service})
        super().__init__(handler, port, "kuaishou-server")

    @property
    def url(self) -> str:
        """The gateway's base URL (``https://openapi.kwaixiaodian.com``'s stand-in)."""
        return self.base_url


def serve(path: Path, company: str, *, port: int, app_key: str, sign_secret: str | None,
          tokens: str | None, out: Callable[[str], None]) -> int:
    """``shoporg sandbox serve --protocol kuaishou``: serve until interrupted. ``tokens``:
    ``'{"<seller id>": "<token>"}'`` (else one random token per seller, printed); the first
    line printed is ``endpoint <url>``."""
    generated = []
    if not sign_secret:
        sign_secret = secrets.token_hex(16)
        generated.append(f"sign secret {sign_secret}")
    grants: dict[str, int] | None = None
    if tokens:
        data = json.loads(tokens)
        if not isinstance(data, dict):
            raise ValueError("--token JSON must map seller ids to tokens")
        grants = {str(token): int(seller_id) for seller_id, token in data.items()}
    # The platform side: instrumented (faults, call counts), audited as ``kuaishou-api``.
    backend = SandboxBackend(path, company, actor="kuaishou-api")
    service = KuaishouService(backend, app_key=app_key, sign_secret=sign_secret, tokens=grants)
    if grants is None:
        generated.append("tokens " + json.dumps(
            {str(s): t for t, s in service.tokens.items()}, ensure_ascii=False))
    server = KuaishouServer(service, port)
    out(f"endpoint {server.url}")
    out(f"company {company}, file {backend.path}, appkey {app_key}, Kuaishou open platform"
        + (f"; generated sandbox-only {', '.join(generated)}" if generated else ""))
    def close() -> None:
        service.close()
        backend.close()

    return serve_until_interrupted(server, close)
