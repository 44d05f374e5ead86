"""Kuaishou merchant open platform (快手电商开放平台) wire rules, as the *gateway* applies
them -- our own code, written from Kuaishou's documentation, sharing nothing with any client.

Where each rule comes from:

* **Gateway and request** -- Kuaishou's "API调用说明" (open.kwaixiaodian.com, docs/dev
  pageSign 8cca5d25…, mirrored in the ``AndersonBY/kwaixiaodian-python-sdk`` repository
  under ``docs/开发指南和规则协议/开发文档/API调用说明.md``): ``https://openapi.kwaixiaodian.com``
  + ``/`` + the method with dots as slashes (``open.user.sub.account.create`` →
  ``/open/user/sub/account/create``); parameters ``appkey``, ``method``, ``version`` (``1``),
  ``param`` (the business parameters as one JSON object), ``access_token``, ``timestamp``
  (Unix milliseconds), ``signMethod`` (``MD5`` or ``HMAC_SHA256``) and ``sign``; in the
  query string, or for POST in an ``application/x-www-form-urlencoded`` body ("仅支持").
  The same layout is what the independent clients send: ``ks-shop-python-sdk`` 0.3.0
  (``ks_shop_api/base.py``: ``base_url + "/" + method.replace(".", "/")``), the PHP
  ``G-YDG/kwaixiaodian-sdk`` and the Node ``crywolfx/kuaishou-merchant-open-api``.
* **Signature** -- the same page, and its Java reference code (``getSignParam``,
  ``sortAndJoin``): of ``method``, ``appkey``, ``access_token`` (required) and
  ``signMethod``, ``version``, ``timestamp``, ``param`` (when present), ``key=value`` pairs
  sorted by key and joined with ``&``, then ``&signSecret=<signSecret>`` appended; ``MD5`` is
  the hex MD5 of that string (lower case from the SDKs; compared case-insensitively here),
  ``HMAC_SHA256`` the **Base64** of HMAC-SHA256 keyed with the signSecret. Confirmed by
  ``kwaixiaodian`` 1.0.3 (``kwaixiaodian/auth/signature.py``) and ``ks-shop-python-sdk``
  (``sign()``: MD5 only).
* **Answers** -- ``result`` is the outcome, ``1`` for success (the PHP SDK's tests assert
  ``result == 1``; the Node client's OAuth calls check ``res.result !== 1``), the payload in
  ``data``; a failure has another ``result`` and ``error_msg``. Documented failures
  (the FAQ pages K0005, K0006, K1006, K1008 of the same mirror): ``{"result":26,
  "data":null,"error_msg":"主账号不存在"}``, ``{"result":24,"error_msg":
  "AUTHORIZATION_REVOKED"}`` (authorisation gone; K0004: "鉴权失败" / "TOKEN过期" for an
  unknown or expired token), ``{"result":21,"error_msg":"order operation reject",
  "requestId":...}`` (an object of another seller), and the rate limits' messages
  ``Exceed qps limit, KEY [apiId:<method>;appkey:<appkey>], MAX_QPS [<n>]`` and
  ``[1017] exceed quota limit, ...``. The payload shapes (``staffs``, ``roleInfo``,
  ``staffUserid`` …) are the Java SDK's domain classes as ``kwaixiaodian`` ports them
  (``kwaixiaodian/models/user.py``).

What the documentation does not give, the sandbox decides (and says so): the ``result``
numbers of a bad signature, a missing system parameter, an unknown appkey, an unknown method
or url, a bad business parameter and a refused business rule (see :data:`RESULTS`), the
``sub_code``/``sub_msg`` pair naming the sandbox rule that refused (field names as the Java
SDK's response carries them, per ``kwaixiaodian``'s ``BaseResponse``), and ``requestId``.

Two things ``kwaixiaodian`` 1.0.3 does differently from the documentation (its defects, not
the protocol): it builds ``/open/`` + the dotted method (``/open/open/user/...``), and it
reads the payload from ``result`` and failures from ``error_code``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGN_METHODS = ("MD5", "HMAC_SHA256")
#: The parameters the signature covers (Kuaishou's ``getSignParam``); others are not signed.
SIGNED = ("access_token", "appkey", "method", "param", "signMethod", "timestamp", "version")
REQUIRED_SIGNED = ("method", "appkey", "access_token")
PATH_PREFIX = "/"

SUCCESS = 1
# Documented numbers.
OPERATION_REJECT = 21  # an object of another seller (K1006: "order operation reject")
AUTH_FAILED = 24  # token unknown, expired or revoked (K0004, K0006)
NO_MAIN_ACCOUNT = 26  # the token's seller does not exist (K0005: "主账号不存在")
LIMITED = 1017  # "[1017] exceed quota limit" (K1008); the sandbox answers its QPS limit so too
# The sandbox's numbers (not in the documentation we found).
SYSTEM_ERROR = 2
MISSING_PARAMETER = 11
INVALID_APPKEY = 12
INVALID_SIGN_METHOD = 13
INVALID_SIGN = 14
INVALID_URL = 16
INVALID_PARAM = 20
BUSINESS_ERROR = 22

RESULTS: dict[int, str] = {
    SUCCESS: "success",
    SYSTEM_ERROR: "system error (an injected fault or a sandbox bug): retry later",
    MISSING_PARAMETER: "a required system parameter is missing",
    INVALID_APPKEY: "unknown appkey",
    INVALID_SIGN_METHOD: "signMethod is not MD5 or HMAC_SHA256",
    INVALID_SIGN: "签名校验失败 (the sign does not match)",
    INVALID_URL: "Invalid url (unknown method, or a path that is not the method's)",
    INVALID_PARAM: "param is not a JSON object, or a business parameter is missing or invalid",
    OPERATION_REJECT: "operation reject (an object of another seller)",
    BUSINESS_ERROR: "a platform rule refused the change (sub_code names it)",
    AUTH_FAILED: "鉴权失败 / TOKEN过期 / AUTHORIZATION_REVOKED",
    NO_MAIN_ACCOUNT: "主账号不存在",
    LIMITED: "Exceed qps limit / exceed quota limit",
}


def path_of(method: str) -> str:
    """``open.user.sub.account.create`` → ``/open/user/sub/account/create``."""
    return PATH_PREFIX + method.replace(".", "/")


def sign_base(params: Mapping[str, str]) -> str:
    """``k=v&...`` over the signed parameters present, sorted by key (absent ones skipped,
    as the Java reference skips nulls)."""
    return "&".join(f"{key}={params[key]}" for key in sorted(SIGNED) if key in params)


def expected_sign(params: Mapping[str, str], sign_secret: str, sign_method: str) -> str:
    """What the gateway expects in ``sign``; ValueError for an unknown ``sign_method``."""
    text = (sign_base(params) + "&signSecret=" + sign_secret).encode("utf-8")
    if sign_method == "MD5":
        return hashlib.md5(text).hexdigest()
    if sign_method == "HMAC_SHA256":
        digest = hmac.new(sign_secret.encode("utf-8"), text, hashlib.sha256).digest()
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"signMethod {sign_method!r} is not one of {SIGN_METHODS}")


def sign_matches(given: str, expected: str, sign_method: str) -> bool:
    """Constant-time comparison; an MD5 hex digest in either case."""
    if sign_method == "MD5":
        given, expected = given.lower(), expected.lower()
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class KsFailure(Exception):
    """A failed call, as the gateway answers it."""

    result: int
    error_msg: str
    sub_code: str = ""
    sub_msg: str = ""
    status: int = 200


def success_body(data: Any, request_id: str) -> dict[str, Any]:
    return {"result": SUCCESS, "error_msg": "", "data": data, "requestId": request_id}


def failure_body(failure: KsFailure, request_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"result": failure.result, "data": None,
                            "error_msg": failure.error_msg, "requestId": request_id}
    if failure.sub_code:
        body["sub_code"] = failure.sub_code
        body["sub_msg"] = failure.sub_msg
    return body


def encode(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def qps_message(method: str, app_key: str, qps: float) -> str:
    """The documented text of a QPS refusal (K1008)."""
    return f"Exceed qps limit, KEY [apiId:{method};appkey:{app_key}], MAX_QPS [{float(qps)}]"


def read_param(text: str | None) -> dict[str, Any]:
    """The business parameters: ``param`` is one JSON object (absent or empty: none)."""
    if text is None or text.strip() == "":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise KsFailure(INVALID_PARAM, "param is not valid JSON") from None
    if not isinstance(value, dict):
        raise KsFailure(INVALID_PARAM, "param must be a JSON object")
    return value
