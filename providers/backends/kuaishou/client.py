"""An httpx client for the Kuaishou merchant open platform (快手电商开放平台).

One call::

    POST <endpoint>/open/user/sub/account/list        (application/x-www-form-urlencoded)
      appkey=...  method=open.user.sub.account.list  version=1  param={"page":1,"count":100}
      access_token=...  timestamp=1796458500000  signMethod=HMAC_SHA256  sign=<Base64>

Where each rule comes from (written from the documentation, not from any other code here:
this module shares nothing with ``shoporg.backends.sandbox``):

* **Request** -- Kuaishou's "API调用说明" (open.kwaixiaodian.com, mirrored in the
  ``AndersonBY/kwaixiaodian-python-sdk`` repository under
  ``docs/开发指南和规则协议/开发文档/API调用说明.md``): the URL is the gateway
  (``https://openapi.kwaixiaodian.com``) + ``/`` + the method with dots as slashes; the
  parameters ``appkey``, ``method``, ``version`` (``1``), ``param`` (every business parameter
  as one JSON object), ``access_token``, ``timestamp`` (Unix milliseconds), ``signMethod``
  and ``sign``; a POST body must be ``application/x-www-form-urlencoded`` ("仅支持"). Sent
  in the body, never the query string, so no URL (in a log, in an httpx error) carries the
  token.
* **Signature** -- the same page and its Java reference (``getSignParam``,
  ``sortAndJoin``): the ``key=value`` pairs of ``access_token``, ``appkey``, ``method``,
  ``param``, ``signMethod``, ``timestamp``, ``version`` (those present) sorted by key,
  joined with ``&``, then ``&signSecret=<signSecret>``; ``MD5`` is its lower-case hex MD5,
  ``HMAC_SHA256`` the **Base64** of HMAC-SHA256 keyed with the signSecret.
* **Answers** -- ``{"result": 1, "data": ...}`` is success; anything else is
  ``{"result": N, "error_msg": ..., "sub_code"?, "sub_msg"?, "requestId"?}`` (the PHP and
  Node SDKs check ``result == 1``; the FAQ pages K0004-K0006, K1006, K1008 of the same
  mirror give the documented failures).

Failures are translated here into the shoporg exception tree (the only place that sees
Kuaishou result numbers; a timeout or a failed connection is translated by the httpx client
both open platforms share, :class:`~shoporg.backends.open_platform.OpenPlatformClient`):

* 24 鉴权失败 / TOKEN过期 / AUTHORIZATION_REVOKED (K0004, K0006) → :class:`AuthError` saying
  to set ``shoporg:kuaishouAccessToken`` (a token issued to the app in
  ``shoporg:kuaishouAppKey``), to refresh an expired one, or to have a revoked
  authorisation given again;
* 26 主账号不存在 (K0005) → :class:`AuthError`: the token's seller does not exist;
* 1017, "Exceed qps limit", "exceed quota limit" (K1008) → :class:`ThrottledError`,
  ``retry_after`` the "retry after Ns" of the message, else 1 s (the limit is per second);
* 2 (system error, 系统繁忙), HTTP 5xx, no connection, a timeout → :class:`TransientError`;
* 21 operation reject (K1006: an object of another seller) → :class:`NotFoundError`: not
  ours, so for us it does not exist;
* 22 with ``sub_code`` ``ks_phone_taken`` → :class:`ConflictError` (see below), with
  ``ks_staff_not_found`` → :class:`NotFoundError`, with any other → :class:`RuleViolation`
  whose ``rule`` is the ``sub_code`` (:data:`UNNAMED_RULE` when there is none);
* 14 签名校验失败 / 12 unknown appkey → :class:`AuthError` naming
  ``shoporg:kuaishouSignSecret`` / ``shoporg:kuaishouAppKey``;
* 16 Invalid url → :class:`BackendError` pointing at ``shoporg:kuaishouEndpoint`` and the
  app's API permissions; 11 / 20 (a missing or invalid parameter) and 13 (sign method) →
  :class:`BackendError` saying what to check; anything else → :class:`BackendError` with
  Kuaishou's own words and ``requestId``.

Kuaishou documents 21, 24, 26 and 1017; the other numbers (2, 11-14, 16, 20, 22 and the
``sub_code`` of a rule) are the ones our sandbox gateway answers where the documentation is
silent. For a number it does not know (a real gateway may number these otherwise) the client
goes by the words instead (签名, appkey, Invalid url, 系统繁忙, 主账号不存在, qps limit), never
for a known one (a rule's sub_msg may say anything); an unrecognised failure is a
:class:`BackendError` carrying Kuaishou's own message and ``requestId``.

``ks_phone_taken`` is a :class:`ConflictError`, not a :class:`RuleViolation`: the login
phone is a staff member's identity on the platform (one staff member per phone and seller),
and the backend protocol's convention is that a create of an existing identity raises
ConflictError -- which the resource layer answers by reading the existing object and adopting
it (``providers/resources/base.py``), the very thing a create retried after a lost answer
needs. Its message still names ``ks_phone_taken``.

:meth:`KuaishouClient.call` retries what is transient itself, a few times, by the policy
both open-platform clients share (:mod:`shoporg.backends.open_platform`, which also holds
:class:`Target`, the httpx client and the translation of its failures): a throttle after
the wait, other transient errors with exponential backoff and jitter. A read (a method ending
``.list``, ``.get`` or ``.query``: :data:`READ_SUFFIXES`) is retried after any transient
failure; a write only when Kuaishou *answered* that it did not do it (a throttle, a system
error in a Kuaishou answer), never after a lost connection, a timeout or a bare HTTP 5xx,
which may have done it. What is left propagates, and the resource layer's own retries and
adoption take over.

Secrets (the sign secret, the access tokens) travel only in the form body: never in a repr,
and any echo of them in an answer or an httpx error is masked before it becomes a message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Unpack

import httpx

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
    RuleViolation,
    ThrottledError,
    TransientError,
)

SignMethod = Literal["MD5", "HMAC_SHA256"]
SIGN_METHODS: tuple[SignMethod, ...] = ("MD5", "HMAC_SHA256")
API_VERSION = "1"
#: The parameters the signature covers ("API调用说明", ``getSignParam``); ``sign`` is not.
SIGNED = ("access_token", "appkey", "method", "param", "signMethod", "timestamp", "version")

#: The stack config keys (and environment variables) a connector reads credentials from.
CONFIG_KEYS = {
    "app_key": "shoporg:kuaishouAppKey",
    "sign_secret": "shoporg:kuaishouSignSecret",
    "access_token": "shoporg:kuaishouAccessToken",
    "endpoint": "shoporg:kuaishouEndpoint",
}
ENV_KEYS = {
    "app_key": "SHOPORG_KUAISHOU_APP_KEY",
    "sign_secret": "SHOPORG_KUAISHOU_SIGN_SECRET",
    "access_token": "SHOPORG_KUAISHOU_ACCESS_TOKEN",
    "endpoint": "SHOPORG_KUAISHOU_ENDPOINT",
}
TOKEN_HINT = (
    "set the seller's current access token: `pulumi config set --secret "
    "shoporg:kuaishouAccessToken <token>` (or a JSON map per account; "
    "$SHOPORG_KUAISHOU_ACCESS_TOKEN), issued to the app in shoporg:kuaishouAppKey whose "
    "shoporg:kuaishouSignSecret signs the calls"
)
EXPIRED_HINT = "the token expired (48 h after issue): refresh it, then " + TOKEN_HINT
REVOKED_HINT = (
    "the seller revoked the app's authorisation: ask them to authorise it again, then "
    + TOKEN_HINT
)
SELLER_HINT = (
    "the seller (main account, 主账号) this access token was issued for does not exist: set "
    "the token of an existing seller in shoporg:kuaishouAccessToken"
)
APPKEY_HINT = (
    "check `pulumi config set shoporg:kuaishouAppKey <appkey>` (or $SHOPORG_KUAISHOU_APP_KEY): "
    "the appkey Kuaishou issued to the app"
)
SIGN_HINT = (
    "check `pulumi config set --secret shoporg:kuaishouSignSecret <signSecret>` (or "
    "$SHOPORG_KUAISHOU_SIGN_SECRET): the app's signSecret, not its appSecret"
)
SIGN_METHOD_HINT = "sign with MD5 or HMAC_SHA256 (the client's sign_method)"
URL_HINT = (
    "check shoporg:kuaishouEndpoint (the gateway's base URL, e.g. "
    "https://openapi.kwaixiaodian.com) and that the app holds the method's API permission"
)
PARAM_HINT = "the request's parameters were refused (see which above): a shoporg bug to report"

# Result numbers. Documented: 1, 21, 24, 26, 1017; the rest as the sandbox gateway answers.
SUCCESS = 1
SYSTEM_ERROR = 2
MISSING_PARAMETER = 11
INVALID_APPKEY = 12
INVALID_SIGN_METHOD = 13
INVALID_SIGN = 14
INVALID_URL = 16
INVALID_PARAM = 20
OPERATION_REJECT = 21
BUSINESS_ERROR = 22
AUTH_FAILED = 24
NO_MAIN_ACCOUNT = 26
LIMITED = 1017

#: The numbers the client knows; another number is recognised by its words instead.
KNOWN = frozenset({SUCCESS, SYSTEM_ERROR, MISSING_PARAMETER, INVALID_APPKEY, INVALID_SIGN_METHOD,
                   INVALID_SIGN, INVALID_URL, INVALID_PARAM, OPERATION_REJECT, BUSINESS_ERROR,
                   AUTH_FAILED, NO_MAIN_ACCOUNT, LIMITED})

#: Business refusals (22) whose ``sub_code`` is a state the backend protocol names otherwise.
CONFLICT_RULES = frozenset({"ks_phone_taken"})
NOT_FOUND_RULES = frozenset({"ks_staff_not_found"})
#: The rule of a business refusal that names none.
UNNAMED_RULE = "ks_business_error"

_LIMIT = re.compile(r"exceed (qps|quota) limit", re.IGNORECASE)
_RETRY_AFTER = re.compile(r"retry after (\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_SYSTEM = re.compile(r"system error|系统繁忙|系统错误|service.unavailable|服务不可用",
                     re.IGNORECASE)
_SIGN_WORDS = re.compile(r"签名|invalid sign|sign (is )?invalid", re.IGNORECASE)

#: Kuaishou methods that change nothing: retried after any transient failure.
READ_SUFFIXES = (".list", ".get", ".query")
#: ``count`` of a page: the sandbox allows 1..100 (Kuaishou documents no maximum we found).
MAX_COUNT = 100
PAGE_SIZE = 100
MASK = "***"


def sign(params: Mapping[str, str], secret: str, method: SignMethod) -> str:
    """The documented signature of ``params`` (only :data:`SIGNED` keys that are present)."""
    base = "&".join(f"{key}={params[key]}" for key in sorted(SIGNED) if key in params)
    text = f"{base}&signSecret={secret}".encode()
    if method == "MD5":
        return hashlib.md5(text).hexdigest()
    if method == "HMAC_SHA256":
        digest = hmac.new(secret.encode("utf-8"), text, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"unknown signMethod {method!r}")


def millis(now: datetime) -> int:
    """Unix milliseconds of ``now`` (a naive datetime is taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp() * 1000)


def encode_param(param: Mapping[str, object]) -> str:
    """The business parameters as the one JSON object ``param``. ``None`` means "not given"
    and is left out (Kuaishou may read an explicit ``null`` as "clear it")."""
    return json.dumps({k: v for k, v in param.items() if v is not None},
                      ensure_ascii=False, separators=(",", ":"))


def path_of(method: str) -> str:
    """``open.user.sub.account.create`` → ``/open/user/sub/account/create``."""
    return "/" + method.replace(".", "/")


@dataclass(frozen=True)
class KuaishouCredentials:
    """App key, sign secret and access token(s). The secret parts never show in a repr."""

    app_key: str
    sign_secret: str = field(repr=False)
    access_token: str = field(repr=False)
    #: per-account tokens (account id → token) when one app serves several sellers
    access_tokens: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)

    def token_for(self, account_id: str | None) -> str:
        """The account's own token, else the default one."""
        if account_id is None:
            return self.access_token
        return self.access_tokens.get(account_id, self.access_token)

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, longest first (so a token containing another is masked whole)."""
        values = {self.sign_secret, self.access_token, *self.access_tokens.values()}
        return tuple(sorted((v for v in values if v), key=len, reverse=True))


def error_for(body: Mapping[str, Any], target: Target) -> BackendError:
    """Translate a failed Kuaishou answer (``result`` other than 1) into the shoporg
    exception tree (the table in the module docstring)."""
    result = answer_int(body.get("result"))
    msg = str(body.get("error_msg") or "")
    sub_code = str(body.get("sub_code") or "")
    sub_msg = str(body.get("sub_msg") or "")
    request_id = str(body.get("requestId") or "")
    detail = f"{sub_code}: {sub_msg}" if sub_code and sub_msg else sub_code or sub_msg
    text = f"Kuaishou result {result}: {msg}" + (f" ({detail})" if detail else "")
    if request_id:
        text += f" [requestId {request_id}]"  # what Kuaishou's support asks for
    kind, name, operation = target.kind, target.name, target.operation
    said = f"{msg} {sub_msg}"
    # Words only decide for a number we do not know (a rule's sub_msg may say anything).
    words = "" if result in KNOWN else said
    if result == LIMITED or _LIMIT.search(words):
        match = _RETRY_AFTER.search(said)
        # "Exceed qps limit ... MAX_QPS [n]" is a per-second window: a second is enough.
        return ThrottledError(kind, name, operation, text,
                              float(match.group(1)) if match else 1.0)
    if result == SYSTEM_ERROR or _SYSTEM.search(words):
        return TransientError(kind, name, operation, text)
    if result == AUTH_FAILED:
        upper = msg.upper()
        hint = (EXPIRED_HINT if "过期" in msg or "EXPIRE" in upper
                else REVOKED_HINT if "REVOKED" in upper else TOKEN_HINT)
        return AuthError(kind, name, operation, text, hint)
    if result == NO_MAIN_ACCOUNT or "主账号不存在" in words:
        return AuthError(kind, name, operation,
                         f"the seller of this access token does not exist; {text}", SELLER_HINT)
    if result == OPERATION_REJECT:
        # K1006: the object belongs to another seller. Not ours, so for us it does not exist.
        return NotFoundError(kind, name, operation,
                             f"it belongs to another seller (operation reject); {text}")
    if result == BUSINESS_ERROR:
        if sub_code in CONFLICT_RULES:
            return ConflictError(kind, name, operation, text)
        if sub_code in NOT_FOUND_RULES:
            return NotFoundError(kind, name, operation, text)
        return RuleViolation(kind, name, operation, text, sub_code or UNNAMED_RULE)
    if result == INVALID_SIGN or _SIGN_WORDS.search(words):
        return AuthError(kind, name, operation, text, SIGN_HINT)
    if result == INVALID_APPKEY or "appkey" in words.lower():
        return AuthError(kind, name, operation, text, APPKEY_HINT)
    if result == INVALID_SIGN_METHOD:
        return BackendError(kind, name, operation, text, SIGN_METHOD_HINT)
    if result == INVALID_URL or "invalid url" in words.lower():
        return BackendError(kind, name, operation, text, URL_HINT)
    if result in (MISSING_PARAMETER, INVALID_PARAM):
        return BackendError(kind, name, operation, text, PARAM_HINT)
    return BackendError(kind, name, operation, text)


class KuaishouClient(OpenPlatformClient):
    """Signed calls to one Kuaishou gateway with one set of credentials (thread-safe, never
    pickled: :class:`~shoporg.backends.open_platform.OpenPlatformClient`)."""

    platform_name = "Kuaishou"
    read_suffixes = READ_SUFFIXES

    def __init__(
        self,
        endpoint: str,
        credentials: KuaishouCredentials,
        *,
        sign_method: SignMethod = "HMAC_SHA256",
        **options: Unpack[ClientOptions],
    ) -> None:
        if sign_method not in SIGN_METHODS:
            raise ValueError(f"sign_method must be one of {', '.join(SIGN_METHODS)}")
        super().__init__(endpoint.rstrip("/"), **options)
        self._credentials = credentials
        self.sign_method: SignMethod = sign_method

    def __repr__(self) -> str:
        return f"KuaishouClient({self.endpoint!r}, app_key={self._credentials.app_key!r})"

    def __enter__(self) -> KuaishouClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_of(self, method: str) -> str:
        return self.endpoint + path_of(method)

    def signed_params(
        self, method: str, param: Mapping[str, object], account_id: str | None = None
    ) -> dict[str, str]:
        """The full parameter set of one call, signed."""
        creds = self._credentials
        out = {
            "appkey": creds.app_key,
            "method": method,
            "version": API_VERSION,
            # Always sent (``{}`` when empty) so the signature covers what the gateway reads.
            "param": encode_param(param),
            "access_token": creds.token_for(account_id),
            "timestamp": str(millis(self._now())),
            "signMethod": self.sign_method,
        }
        out["sign"] = sign(out, creds.sign_secret, self.sign_method)
        return out

    def call(
        self,
        method: str,
        param: Mapping[str, object],
        target: Target,
        account_id: str | None = None,
    ) -> Any:
        """One Kuaishou call, retried while transient (see the module docstring); the
        answer's ``data`` or a shoporg error naming ``target``."""
        return self._retried(
            method, lambda: self._call_once(method, param, target, account_id))

    def _call_once(
        self,
        method: str,
        param: Mapping[str, object],
        target: Target,
        account_id: str | None,
    ) -> Any:
        kind, name, operation = target.kind, target.name, target.operation
        if not self._credentials.token_for(account_id):
            raise AuthError(kind, name, operation,
                            f"{method}: no Kuaishou access token for account "
                            f"{account_id or '(default)'}", TOKEN_HINT)
        if self._on_call is not None:
            self._on_call(method)
        data = self.signed_params(method, param, account_id)
        response = self._post(method, self.url_of(method), data, target)
        body = _json_object(response)
        if body is not None and "result" in body:
            # A Kuaishou answer, whatever the HTTP status (its gateway answers 404/400 too).
            if answer_int(body["result"]) == SUCCESS:
                return body.get("data")
            # Answered: a transient failure Kuaishou reports was not done, may be sent again.
            raise answered(error_for(self._masked(body), target))
        status = response.status_code
        if status == 429:
            raise ThrottledError(kind, name, operation, f"{method}: HTTP 429",
                                 _retry_after(response.headers.get("Retry-After")))
        if status >= 500:
            raise TransientError(kind, name, operation, f"{method}: HTTP {status}")
        what = f"HTTP {status}" if status != 200 else "the answer is not a Kuaishou answer"
        raise BackendError(kind, name, operation, f"{method}: {what}", URL_HINT)

    def _mask(self, text: str) -> str:
        for secret in self._credentials.secrets():
            text = text.replace(secret, MASK)
        return text

    def _masked(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The answer with any echo of a secret masked (a gateway may quote the request)."""
        return {k: self._mask(v) if isinstance(v, str) else v for k, v in body.items()}

    def pages(
        self,
        method: str,
        param: Mapping[str, object],
        items_key: str,
        target: Target,
        account_id: str | None = None,
        count: int = PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Every item of a paged list: ``page`` from 1, ``count`` items a page, until a page
        is short or ``totalCount`` items were seen. Not a snapshot: a change between pages
        can shift an item across them (the connector reads ids, not positions)."""
        if not 1 <= count <= MAX_COUNT:
            raise ValueError(f"count must be 1 to {MAX_COUNT}")
        page, seen = 1, 0
        while True:
            data = self.call(method, {**param, "page": page, "count": count}, target,
                             account_id)
            if not isinstance(data, dict):
                raise BackendError(target.kind, target.name, target.operation,
                                   f"{method}: unexpected answer shape (data is not an object)")
            raw = data.get(items_key)
            items = [i for i in raw if isinstance(i, dict)] if isinstance(raw, list) else []
            yield from items
            seen += len(items)
            total = answer_int(data.get("totalCount"))
            if len(items) < count or (total >= 0 and seen >= total):
                return
            page += 1


def _retry_after(header: str | None) -> float:
    try:
        return max(float(header or "1"), 0.0)
    except ValueError:
        return 1.0


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None
