"""An httpx client for TOP (the Taobao Open Platform "router/rest" protocol).

One call::

    POST <endpoint>   (form-encoded)
      method=taobao.sellercenter.roles.get  app_key=...  session=...  v=2.0  format=json
      timestamp=2026-11-23 22:15:00 (GMT+8)  sign_method=hmac  sign=<upper hex>  nick=...

Signing (``shared/platform-apis.md`` §1.4): every parameter except ``sign``, keys sorted in
ASCII order, concatenated ``key1value1key2value2...``; ``md5`` is ``MD5(secret + s +
secret)``, ``hmac`` is ``HMAC-MD5(secret, s)``, ``hmac-sha256`` is ``HMAC-SHA256(secret, s)``;
hex in upper case.

Answers are ``{"<method without taobao., dots as underscores>_response": {...}}`` or, with
``simplify=true``, the fields at the top level; failures are ``{"error_response": {code,
msg, sub_code, sub_msg}}``, translated here into the shoporg exception tree (the only place
that sees TOP error codes; a timeout or a failed connection is translated by the httpx client
both open platforms share, :class:`~shoporg.backends.open_platform.OpenPlatformClient`):

* 7 (App Call Limited) and sub-code ``isp.call-limited`` → :class:`ThrottledError`,
  ``retry_after`` = the N of "This ban will last for N more seconds" + 1;
* 10, the transient ``isp.*`` sub-codes (service unavailable, remote connection errors and
  timeouts, unknown and service errors: :data:`TRANSIENT_ISP`), HTTP 5xx and connection
  failures → :class:`TransientError`;
* 24-29, 42 (signature, session, app key) and 11/12 (permissions) → :class:`AuthError`
  naming the stack config keys to set;
* 31 (a timestamp outside the gateway's ±10 minutes) → :class:`BackendError` saying which
  clocks disagree, by how much when TOP says its time, and what to set (:func:`clock_error`);
* 15/50 business errors: "...-not-exist" → :class:`NotFoundError`, "...-exist" →
  :class:`ConflictError`, others → :class:`BackendError`; everything else → BackendError.

:meth:`TopClient.call` retries what is transient itself, a few times, by the policy both
open-platform clients share (:mod:`shoporg.backends.open_platform`, which also holds
:class:`Target`, the httpx client and the translation of its failures): a throttle after the
wait TOP asks for, other transient errors with exponential backoff and jitter; a read (a
method ending :data:`READ_SUFFIXES`) after any transient failure, a write (``role.add``,
``info.update``) only when TOP *answered* that it did not do it (an ``error_response``),
never after a lost connection, which may have done it. What is left propagates, and the
resource layer's own retries (``providers/resources/base.py``) and adoption take over.

Empty-valued parameters are neither sent nor signed (TOP's reference SDK skips them).

Every error names the kind, the object and the operation the caller was doing. Secrets (the
app secret, the session) are sent in the form body only and never appear in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, Unpack

from shoporg.backends.open_platform import (
    ClientOptions,
    OpenPlatformClient,
    Target,
    answer_int,
    answered,
)
from shoporg.errors import (
    AuthError,
    BackendError,
    ConflictError,
    NotFoundError,
    ThrottledError,
    TransientError,
)

SignMethod = Literal["md5", "hmac", "hmac-sha256"]
SIGN_METHODS: tuple[SignMethod, ...] = ("md5", "hmac", "hmac-sha256")
GMT8 = timezone(timedelta(hours=8), "GMT+8")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
API_VERSION = "2.0"

#: The stack config keys (and environment variables) that hold TOP credentials.
CONFIG_KEYS = {
    "app_key": "shoporg:taobaoAppKey",
    "app_secret": "shoporg:taobaoAppSecret",
    "session": "shoporg:taobaoSession",
    "endpoint": "shoporg:taobaoEndpoint",
}
ENV_KEYS = {
    "app_key": "SHOPORG_TAOBAO_APP_KEY",
    "app_secret": "SHOPORG_TAOBAO_APP_SECRET",
    "session": "SHOPORG_TAOBAO_SESSION",
    "endpoint": "SHOPORG_TAOBAO_ENDPOINT",
}
SESSION_HINT = (
    "set a main-account session: `pulumi config set --secret shoporg:taobaoSession <token>` "
    "(or $SHOPORG_TAOBAO_SESSION)"
)
APP_HINT = (
    "check `shoporg:taobaoAppKey` and `pulumi config set --secret shoporg:taobaoAppSecret ...` "
    "(or $SHOPORG_TAOBAO_APP_KEY / $SHOPORG_TAOBAO_APP_SECRET)"
)
PERMISSION_HINT = "the app needs the 子账号管理API permission package and a main-account session"
CLOCK_HINT = (
    "TOP accepts a request within 10 minutes of its own clock: set this machine's clock right "
    "(NTP); against `shoporg sandbox serve` the gateway's clock is the sandbox's: "
    "`shoporg sandbox clock show`, `shoporg sandbox clock reset`"
)
#: The gateway's time, where its refusal says it ("server time is 2026-12-07 15:03:56").
_SERVER_TIME = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")

_BAN = re.compile(r"ban will last for (\d+) more seconds", re.IGNORECASE)

#: Parts of ``isp.*`` sub-codes that TOP uses for failures that pass when tried again
#: (``isp.top-remote-connection-timeout``, ``isp.remote-connection-error``,
#: ``isp.top-remote-service-unavailable``, ``isp.top-remote-unknown-error``,
#: ``isp.service-error``, ... and their ``-tmall`` twins).
TRANSIENT_ISP = ("unavailable", "remote-connection", "connection-error", "timeout",
                 "unknown-error", "service-error", "system-busy", "control-error")
CALL_LIMITED = ("isp.call-limited",)
#: TOP methods that change nothing: retried after any transient failure.
READ_SUFFIXES = (".get", ".page", ".search", ".query")


def sign(params: Mapping[str, str], secret: str, method: SignMethod) -> str:
    """The TOP signature of ``params`` (``sign`` and empty values are left out), upper hex."""
    base = "".join(
        f"{key}{params[key]}" for key in sorted(params) if key != "sign" and params[key] != ""
    )
    if method == "md5":
        digest = hashlib.md5((secret + base + secret).encode("utf-8")).hexdigest()
    elif method == "hmac":
        digest = hmac.new(secret.encode("utf-8"), base.encode("utf-8"), hashlib.md5).hexdigest()
    elif method == "hmac-sha256":
        digest = hmac.new(
            secret.encode("utf-8"), base.encode("utf-8"), hashlib.sha256
        ).hexdigest()
    else:
        raise ValueError(f"unknown sign_method {method!r}")
    return digest.upper()


def top_timestamp(now: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in GMT+8, as TOP expects (naive datetimes are taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(GMT8).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """The inverse of :func:`top_timestamp` (an aware datetime); ValueError if malformed."""
    return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=GMT8)


def response_key(method: str) -> str:
    """``taobao.sellercenter.roles.get`` → ``sellercenter_roles_get_response``."""
    return method.removeprefix("taobao.").replace(".", "_") + "_response"


@dataclass(frozen=True)
class TopCredentials:
    """App key, app secret and session. The secret parts never show in a repr."""

    app_key: str
    app_secret: str = field(repr=False)
    session: str = field(repr=False)
    #: per-account sessions (account id → session) when one app serves several main accounts
    sessions: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)

    def session_for(self, account_id: str) -> str:
        return self.sessions.get(account_id, self.session)


def error_for(error: Mapping[str, Any], target: Target, sent: str | None = None
              ) -> BackendError:
    """Translate a TOP ``error_response`` into the shoporg exception tree; ``sent``: the
    request's ``timestamp`` (for a refused one, how far this machine's clock is off)."""
    code = answer_int(error.get("code"))
    msg = str(error.get("msg") or "")
    sub_code = str(error.get("sub_code") or "")
    sub_msg = str(error.get("sub_msg") or "")
    detail = f"{sub_code}: {sub_msg}" if sub_code and sub_msg else sub_code
    text = f"TOP error {code}: {msg}" + (f" ({detail})" if detail else "")
    kind, name, operation = target.kind, target.name, target.operation
    if code == 7 or sub_code in CALL_LIMITED:
        match = _BAN.search(msg) or _BAN.search(sub_msg)
        wait = int(match.group(1)) + 1 if match else 1
        return ThrottledError(kind, name, operation, text, float(wait))
    if code == 10 or is_transient_isp(sub_code):
        return TransientError(kind, name, operation, text)
    if code in (26, 27, 42):
        return AuthError(kind, name, operation, text, SESSION_HINT)
    if code in (24, 25, 28, 29):
        return AuthError(kind, name, operation, text, APP_HINT)
    if code in (11, 12):
        return AuthError(kind, name, operation, text, PERMISSION_HINT)
    if code == 31:
        return clock_error(text, f"{msg} {sub_msg}", target, sent)
    if code in (15, 50):
        if sub_code.endswith("not-exist") or sub_code.endswith("not-found"):
            return NotFoundError(kind, name, operation, text)
        if sub_code.endswith("-exist") or sub_code.endswith("-taken"):
            return ConflictError(kind, name, operation, text)
    return BackendError(kind, name, operation, text)


def clock_error(text: str, said: str, target: Target, sent: str | None) -> BackendError:
    """TOP refused the request's timestamp: this machine's clock (which signs every request)
    and the gateway's disagree by more than TOP's 10 minutes. Not transient: every call
    fails the same way until a clock is set right, so nothing retries it."""
    cause = "TOP refused the request's timestamp"
    found = _SERVER_TIME.search(said)
    if sent is not None and found is not None:
        try:
            skew = parse_timestamp(found.group(1)) - parse_timestamp(sent)
        except ValueError:
            skew = None
        if skew is not None:
            side = "behind" if skew > timedelta(0) else "ahead of"
            cause = (f"{cause}: this machine's clock ({sent} GMT+8) is {_duration(abs(skew))} "
                     f"{side} the gateway's")
    return BackendError(target.kind, target.name, target.operation, f"{cause}; {text}",
                        CLOCK_HINT)


def _duration(delta: timedelta) -> str:
    """A clock difference in words: "2 days 3 h", "3 h 20 min", "12 min"."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {mins} min" if mins else "")
    return f"{mins} min"


def is_transient_isp(sub_code: str) -> bool:
    """Whether an ``isp.*`` sub-code is one of TOP's passing failures (:data:`TRANSIENT_ISP`)."""
    code = sub_code.lower()
    return code.startswith("isp.") and any(part in code for part in TRANSIENT_ISP)


class TopClient(OpenPlatformClient):
    """Signed calls to one TOP endpoint with one set of credentials (thread-safe, never
    pickled: :class:`~shoporg.backends.open_platform.OpenPlatformClient`)."""

    platform_name = "TOP"
    read_suffixes = READ_SUFFIXES

    def __init__(
        self,
        endpoint: str,
        credentials: TopCredentials,
        *,
        sign_method: SignMethod = "hmac",
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(endpoint, **options)
        self._credentials = credentials
        self.sign_method: SignMethod = sign_method

    def __repr__(self) -> str:
        return f"TopClient({self.endpoint!r}, app_key={self._credentials.app_key!r})"

    def signed_params(
        self, method: str, params: Mapping[str, object], account_id: str | None = None
    ) -> dict[str, str]:
        """The full parameter set of one call, signed."""
        creds = self._credentials
        out = {
            "method": method,
            "app_key": creds.app_key,
            "session": creds.session_for(account_id) if account_id else creds.session,
            "timestamp": top_timestamp(self._now()),
            "format": "json",
            "v": API_VERSION,
            "sign_method": self.sign_method,
        }
        for key, value in params.items():
            if value is None:
                continue
            text = _param(value)
            if text != "":
                out[key] = text
        out["sign"] = sign(out, creds.app_secret, self.sign_method)
        return out

    def call(
        self,
        method: str,
        params: Mapping[str, object],
        target: Target,
        account_id: str | None = None,
    ) -> dict[str, Any]:
        """One TOP call, retried while transient (see the module docstring); the response
        body (unwrapped) or a shoporg error naming ``target``."""
        return self._retried(
            method, lambda: self._call_once(method, params, target, account_id))

    def _call_once(
        self,
        method: str,
        params: Mapping[str, object],
        target: Target,
        account_id: str | None,
    ) -> dict[str, Any]:
        if self._on_call is not None:
            self._on_call(method)
        data = self.signed_params(method, params, account_id)
        response = self._post(method, self.endpoint, data, target)
        kind, name, operation = target.kind, target.name, target.operation
        if response.status_code >= 500:
            raise TransientError(kind, name, operation, f"{method}: HTTP {response.status_code}")
        if response.status_code != 200:
            raise BackendError(kind, name, operation, f"{method}: HTTP {response.status_code}")
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BackendError(kind, name, operation, f"{method}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise BackendError(kind, name, operation, f"{method}: unexpected answer shape")
        if "error_response" in body:
            # Answered: a transient failure TOP reports was not done, so it may be sent again.
            raise answered(error_for(body["error_response"], target, data["timestamp"]))
        inner = body.get(response_key(method), body)
        if not isinstance(inner, dict):
            raise BackendError(kind, name, operation, f"{method}: unexpected answer shape")
        return inner

    def pages(
        self,
        method: str,
        params: Mapping[str, object],
        items_key: str,
        target: Target,
        account_id: str | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (``page_num`` from 1, ``page_size`` in 2..199)."""
        if not 1 < page_size < 200:
            raise ValueError("TOP page_size must be > 1 and < 200")
        page, seen = 1, 0
        while True:
            body = self.call(
                method, {**params, "page_num": page, "page_size": page_size}, target, account_id
            )
            items = unwrap_list(body.get(items_key))
            yield from items
            seen += len(items)
            total = answer_int(body.get("total_count"))
            if not items or len(items) < page_size or (total >= 0 and seen >= total):
                return
            page += 1


def unwrap_list(value: object) -> list[dict[str, Any]]:
    """TOP lists come bare (simplify) or wrapped once (``{"sub_user_info": [...]}``)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict) and len(value) == 1:
        return unwrap_list(next(iter(value.values())))
    return []


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
