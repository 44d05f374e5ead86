"""The Kuaishou open-platform endpoint (``shoporg sandbox serve --protocol kuaishou``) by raw
HTTP: its signature, envelope, errors, paging, list filters and rate limit, as Kuaishou
documents them (``providers/backends/sandbox/kuaishou_protocol.py`` cites the pages).

Requests here are signed by :func:`sign` below, written from Kuaishou's "API调用说明" and not
from the endpoint's code; the independent SDKs drive it in ``test_kuaishou_sdks.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from shoporg.backends.sandbox import FaultConfig, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.kuaishou_server import KuaishouServer, KuaishouService
from shoporg.backends.sandbox.kuaishou_staff import KuaishouStaff

APP_KEY, SECRET = "ks-sandbox-app", "sign-secret-for-tests"
SELLER, OTHER = 1001, 2002
TOKENS = {"tok-1001": SELLER, "tok-2002": OTHER}
TOKEN = "tok-1001"
ROLES = {11: "客服", 12: "运营", 13: "仓管"}


@dataclass
class KsWorld:
    """A sandbox with two Kuaishou sellers served on loopback."""

    seller: SandboxBackend  # the seller centre's own view (a person, not the API)
    staff: KuaishouStaff
    service: KuaishouService
    url: str
    ids: dict[str, int] = field(default_factory=dict)  # nickName → staffUserId


@contextmanager
def kuaishou_world(db: Path, *, qps: float = 1000.0) -> Iterator[KsWorld]:
    """Seller 1001 (roles 11 客服, 12 运营, 13 仓管; staff 张伟 active with role 11, 李娜
    stopped by hand, 王芳 removed) and seller 2002 (role 21, staff 赵六), served with tokens
    ``tok-1001`` and ``tok-2002``. Shared with the SDK tests."""
    seller = SandboxBackend(db, instrumented=False, actor="seller-center")
    staff = KuaishouStaff(seller)
    staff.register_seller(SELLER, "快手优品")
    for role_id, name in ROLES.items():
        staff.add_role(SELLER, role_id, name, f"{name}角色")
    staff.register_seller(OTHER, "另一家")
    staff.add_role(OTHER, 21, "客服")
    ids = {
        "张伟": staff.create(SELLER, contact_phone="13800010001", nick_name="张伟",
                             role_ids=[11]).staff_user_id,
        "李娜": staff.create(SELLER, contact_phone="13800010002", nick_name="李娜",
                             role_ids=[12], phone="13900010002").staff_user_id,
        "王芳": staff.create(SELLER, contact_phone="13800010003", nick_name="王芳",
                             role_ids=[11, 13]).staff_user_id,
        "赵六": staff.create(OTHER, contact_phone="13800020001", nick_name="赵六",
                             role_ids=[21]).staff_user_id,
    }
    staff.hand_set_disabled(SELLER, ids["李娜"])
    staff.remove(SELLER, ids["王芳"])
    service = KuaishouService(SandboxBackend(db, actor="kuaishou-api"), app_key=APP_KEY,
                              sign_secret=SECRET, tokens=TOKENS, qps=qps)
    try:
        with KuaishouServer(service) as server:
            yield KsWorld(seller, staff, service, server.url, ids)
    finally:
        service.close()
        service.backend.close()
        seller.close()


# --- a request, as the documentation describes it -------------------------------------------


def sign(params: dict[str, str], secret: str, method: str) -> str:
    """Kuaishou's documented signature: sorted ``k=v`` of the seven signed parameters joined
    with ``&``, then ``&signSecret=``; MD5 hex or Base64 HMAC-SHA256 keyed with the secret."""
    keys = ("access_token", "appkey", "method", "param", "signMethod", "timestamp", "version")
    text = "&".join(f"{k}={params[k]}" for k in sorted(keys) if k in params)
    text += f"&signSecret={secret}"
    if method == "MD5":
        return hashlib.md5(text.encode()).hexdigest()
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def request_params(method: str, param: dict[str, Any] | None, *, token: str = TOKEN,
                   secret: str = SECRET, sign_method: str = "HMAC_SHA256",
                   change: Callable[[dict[str, str]], None] | None = None) -> dict[str, str]:
    params = {"appkey": APP_KEY, "method": method, "version": "1", "access_token": token,
              "timestamp": str(int(time.time() * 1000)), "signMethod": sign_method}
    if param is not None:
        params["param"] = json.dumps(param, ensure_ascii=False)
    if change is not None:
        change(params)  # before signing: the sign covers the change
    params.setdefault("sign", sign(params, secret, sign_method))
    return params


def send(url: str, path: str, params: dict[str, str], *, verb: str = "POST",
         body: bytes | None = None, content_type: str = "application/x-www-form-urlencoded"
         ) -> tuple[int, dict[str, Any]]:
    if verb == "GET":
        req = urllib.request.Request(f"{url}{path}?{urlencode(params)}", method="GET")
    else:
        data = body if body is not None else urlencode(params).encode()
        req = urllib.request.Request(f"{url}{path}", data=data, method=verb,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def call(world: KsWorld, method: str, param: dict[str, Any] | None = None, *,
         path: str | None = None, verb: str = "POST", **kw: Any) -> tuple[int, dict[str, Any]]:
    return send(world.url, path or "/" + method.replace(".", "/"),
                request_params(method, param, **kw), verb=verb)


def ok(world: KsWorld, method: str, param: dict[str, Any] | None = None, **kw: Any) -> Any:
    status, body = call(world, method, param, **kw)
    assert (status, body["result"]) == (200, 1), body
    return body["data"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[KsWorld]:
    with kuaishou_world(tmp_path / "s.db") as w:
        yield w


ROLE_LIST = "open.user.sub.account.role.list"
CREATE = "open.user.sub.account.create"
LIST = "open.user.sub.account.list"
UPDATE = "open.user.sub.account.update"
STATUS = "open.user.sub.account.status.update"
REMOVE = "open.user.sub.account.remove"
NEW = {"contactPhone": "13700000001", "nickName": "小周", "roleIds": [11, 12]}


# --- the envelope ----------------------------------------------------------------------------


def test_a_success_is_result_1_with_the_payload_in_data(world: KsWorld) -> None:
    status, body = call(world, ROLE_LIST)
    assert status == 200
    assert body["result"] == 1 and body["requestId"]
    assert body["data"] == {"roles": [
        {"roleId": r, "roleName": n, "roleDesc": f"{n}角色"} for r, n in ROLES.items()]}


@pytest.mark.parametrize(("sign_method", "verb", "upper"), [
    pytest.param("HMAC_SHA256", "POST", False, id="an HMAC_SHA256 sign in a form POST"),
    pytest.param("MD5", "POST", False, id="an MD5 sign in a form POST"),
    pytest.param("MD5", "GET", True, id="an upper-case MD5 sign in a GET query"),
    pytest.param("HMAC_SHA256", "GET", False, id="an HMAC_SHA256 sign in a GET query"),
])
def test_both_documented_sign_methods_are_accepted_by_get_and_post(
    world: KsWorld, sign_method: str, verb: str, upper: bool,
) -> None:
    def shout(p: dict[str, str]) -> None:
        p["sign"] = sign(p, SECRET, sign_method).upper()

    data = ok(world, LIST, {"page": 1, "count": 10}, sign_method=sign_method, verb=verb,
              change=shout if upper else None)
    assert [s["nickName"] for s in data["staffs"]] == ["张伟"]


def test_a_call_without_param_is_signed_without_it(world: KsWorld) -> None:
    assert ok(world, ROLE_LIST, None)["roles"]


# --- errors, table-driven ------------------------------------------------------------------


def _set(key: str, value: str) -> Callable[[dict[str, str]], None]:
    return lambda p: p.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, str]], None]:
    def drop(p: dict[str, str]) -> None:
        p.pop(key, None)
    return drop


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    param: dict[str, Any] | None
    result: int
    error_msg: str = ""
    sub_code: str = ""
    kw: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    status: int = 200


def _other_staff(world: KsWorld) -> dict[str, Any]:
    return {"staffUserId": world.ids["赵六"], "stop": True}


CASES = [
    Case("a sign that is not the signature is 签名校验失败", ROLE_LIST, None, 14, "签名校验失败",
         kw={"change": _set("sign", "bm90IGEgc2lnbg==")}),
    Case("a sign made with another secret is 签名校验失败", ROLE_LIST, None, 14, "签名校验失败",
         kw={"secret": "wrong"}),
    Case("a parameter changed after signing is 签名校验失败", LIST, {"page": 1}, 14,
         kw={"change": lambda p: (p.__setitem__("sign", sign(p, SECRET, "HMAC_SHA256")),
                                  p.__setitem__("param", '{"page":2}'))}),
    Case("a sign method that is neither MD5 nor HMAC_SHA256 is refused", ROLE_LIST, None, 13,
         kw={"sign_method": "SHA1"}),
    Case("a missing access_token is a missing parameter", ROLE_LIST, None, 11,
         "access_token not exist", kw={"change": _drop("access_token")}),
    Case("a missing timestamp is a missing parameter", ROLE_LIST, None, 11,
         "timestamp not exist", kw={"change": _drop("timestamp")}),
    Case("a missing sign is a missing parameter", ROLE_LIST, None, 11, "sign not exist",
         kw={"change": _set("sign", "")}),
    Case("an appkey the platform did not issue is refused", ROLE_LIST, None, 12,
         kw={"change": _set("appkey", "ks-someone-else")}),
    Case("a token the platform never issued is 鉴权失败", ROLE_LIST, None, 24, "鉴权失败",
         kw={"token": "tok-nobody"}),
    Case("an expired token is TOKEN过期", ROLE_LIST, None, 24, "TOKEN过期",
         kw={"token": "tok-expired"}),
    Case("a token the seller revoked is AUTHORIZATION_REVOKED", ROLE_LIST, None, 24,
         "AUTHORIZATION_REVOKED", kw={"token": "tok-revoked"}),
    Case("a token whose seller does not exist is 主账号不存在", ROLE_LIST, None, 26,
         "主账号不存在", kw={"token": "tok-orphan"}),
    Case("a method sent to another method's path is a 404 Invalid url", ROLE_LIST, None, 16,
         "Invalid url", path="/open/user/sub/account/list", status=404),
    Case("a method the platform does not have is a 404 Invalid url",
         "open.user.sub.account.add", None, 16, "Invalid url", status=404),
    Case("a path outside /open/ is a 404 Invalid url", ROLE_LIST, None, 16, path="/router/rest",
         status=404),
    Case("a version other than 1 is refused", ROLE_LIST, None, 20,
         kw={"change": _set("version", "2")}),
    Case("a timestamp that is not milliseconds is refused", ROLE_LIST, None, 20,
         kw={"change": _set("timestamp", "2024-01-01 00:00:00")}),
    Case("param that is not JSON is refused", LIST, None, 20, "param is not valid JSON",
         kw={"change": _set("param", "{page:1")}),
    Case("a create without nickName misses a business parameter", CREATE,
         {"contactPhone": "13700000001", "roleIds": [11]}, 20, "nickName is required"),
    Case("roleIds that are not numbers are refused", CREATE, {**NEW, "roleIds": ["客服"]}, 20),
    Case("a page size over 100 is refused", LIST, {"count": 101}, 20),
    Case("a role the seller does not have is refused by its rule", CREATE,
         {**NEW, "roleIds": [11, 99]}, 22, sub_code="ks_role_unknown"),
    Case("a staff member without a role is refused", CREATE, {**NEW, "roleIds": []}, 22,
         sub_code="ks_roles_required"),
    Case("a login phone that is not a mobile number is refused", CREATE,
         {**NEW, "phone": "010-1234567"}, 22, sub_code="ks_phone_format"),
    Case("a contact phone that is not a mobile number is refused", CREATE,
         {**NEW, "contactPhone": "12345"}, 22, sub_code="ks_contact_phone_format"),
    Case("a phone that already logs in a staff member is refused", CREATE,
         {**NEW, "phone": "13800010001"}, 22, sub_code="ks_phone_taken"),
    Case("a blank nickName is refused", CREATE, {**NEW, "nickName": "  "}, 22,
         sub_code="ks_nick_name_required"),
    Case("a staff id nobody has is a business error", STATUS,
         {"staffUserId": 42, "stop": True}, 22, sub_code="ks_staff_not_found"),
    Case("stop that is not a boolean is refused", STATUS, {"staffUserId": 42, "stop": "yes"},
         20),
]


def _prepare(world: KsWorld, case: Case) -> dict[str, Any] | None:
    now = world.service.now()
    world.service.grant("tok-expired", SELLER, now - timedelta(seconds=1))
    world.service.grant("tok-revoked", SELLER)
    world.service.revoke("tok-revoked")
    world.service.grant("tok-orphan", 9999)
    return case.param


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_each_documented_error(world: KsWorld, case: Case) -> None:
    status, body = call(world, case.method, _prepare(world, case), path=case.path, **case.kw)
    assert status == case.status, body
    assert body["result"] == case.result, body
    assert body["data"] is None and body["requestId"]
    assert case.error_msg in body["error_msg"]
    if case.sub_code:
        assert body["sub_code"] == case.sub_code, body


STAFF_CASES = [
    pytest.param(STATUS, {"stop": True}, 21, "", id="stopping another seller's staff member is "
                                                       "operation reject"),
    pytest.param(UPDATE, {"remarks": "x"}, 21, "", id="updating another seller's staff member "
                                                       "is operation reject"),
    pytest.param(REMOVE, {}, 21, "", id="removing another seller's staff member is operation "
                                        "reject"),
]


@pytest.mark.parametrize(("method", "extra", "result", "sub_code"), STAFF_CASES)
def test_another_sellers_staff_is_out_of_reach(world: KsWorld, method: str,
                                               extra: dict[str, Any], result: int,
                                               sub_code: str) -> None:
    _, body = call(world, method, {"staffUserId": world.ids["赵六"], **extra})
    assert body["result"] == result, body
    live = world.staff.staff(OTHER, world.ids["赵六"])
    assert not live.disabled and not live.deleted and live.remarks == ""


@pytest.mark.parametrize(("method", "param"), [
    pytest.param(UPDATE, {"remarks": "回来"}, id="a removed staff member cannot be updated"),
    pytest.param(STATUS, {"stop": False}, id="a removed staff member cannot be restarted"),
    pytest.param(REMOVE, {}, id="a removed staff member cannot be removed again"),
])
def test_a_removed_staff_member_stays_removed(world: KsWorld, method: str,
                                              param: dict[str, Any]) -> None:
    _, body = call(world, method, {"staffUserId": world.ids["王芳"], **param})
    assert (body["result"], body["sub_code"]) == (22, "ks_staff_removed"), body


# --- paging and the list filters -------------------------------------------------------------


@pytest.mark.parametrize(("flags", "names", "total"), [
    pytest.param({}, ["张伟"], 1, id="by default only active staff are listed"),
    pytest.param({"includeDisabled": True}, ["张伟", "李娜"], 2,
                 id="includeDisabled adds the stopped ones"),
    pytest.param({"includeDeleted": True}, ["张伟", "王芳"], 2,
                 id="includeDeleted adds the removed ones"),
    pytest.param({"includeDeleted": True, "includeDisabled": True}, ["张伟", "李娜", "王芳"], 3,
                 id="both flags list everyone"),
    pytest.param({"includeDisabled": True, "userName": "李"}, ["李娜"], 1,
                 id="userName narrows by nickName"),
    pytest.param({"includeDisabled": True, "userName": "13900010002"}, ["李娜"], 1,
                 id="userName narrows by login phone"),
])
def test_the_list_filters(world: KsWorld, flags: dict[str, Any], names: list[str],
                          total: int) -> None:
    data = ok(world, LIST, {"page": 1, "count": 20, **flags})
    assert [s["nickName"] for s in data["staffs"]] == names
    assert data["totalCount"] == total
    assert (data["normalCount"], data["disabledCount"], data["deletedCount"]) == (1, 1, 1)


def test_a_listed_staff_member_carries_every_documented_field(world: KsWorld) -> None:
    [row] = ok(world, LIST, {"includeDeleted": True, "userName": "王芳"})["staffs"]
    assert row["staffUserId"] == world.ids["王芳"]
    assert row["deleted"] is True and row["disabled"] is False
    assert row["phone"] == row["contactPhone"] == "13800010003"
    assert [(r["roleId"], r["roleName"]) for r in row["roleInfo"]] == [(11, "客服"), (13, "仓管")]
    assert row["shopName"] == "快手优品" and row["remarks"] == ""
    assert isinstance(row["updateTime"], int) and row["updateTime"] > 1_600_000_000_000


def test_pages_cover_the_list_once_in_order(world: KsWorld) -> None:
    flags = {"includeDeleted": True, "includeDisabled": True, "count": 2}
    pages = [ok(world, LIST, {**flags, "page": n}) for n in (1, 2, 3)]
    assert [[s["nickName"] for s in p["staffs"]] for p in pages] == [
        ["张伟", "李娜"], ["王芳"], []]
    assert {p["totalCount"] for p in pages} == {3}


def test_paging_defaults_to_page_1_of_20(world: KsWorld) -> None:
    assert [s["nickName"] for s in ok(world, LIST, {"includeDisabled": True})["staffs"]] == [
        "张伟", "李娜"]


# --- the lifecycle, and what it leaves in the sandbox ----------------------------------------


def test_the_staff_lifecycle_end_to_end(world: KsWorld) -> None:
    staff_id = ok(world, CREATE, {**NEW, "phone": "13700000009", "remarks": "新人"})[
        "staffUserid"]
    live = world.staff.staff(SELLER, staff_id)
    assert (live.phone, live.contact_phone, live.role_ids) == ("13700000009", "13700000001",
                                                               (11, 12))
    assert ok(world, UPDATE, {"staffUserId": staff_id, "roleIds": [13],
                              "contactPhone": "13700000002"}) == {"success": True}
    assert world.staff.staff(SELLER, staff_id).role_ids == (13,)
    assert ok(world, STATUS, {"staffUserId": staff_id, "stop": True}) == {"success": True}
    assert world.staff.staff(SELLER, staff_id).disabled
    assert ok(world, STATUS, {"staffUserId": staff_id, "stop": False}) == {"success": True}
    assert not world.staff.staff(SELLER, staff_id).disabled
    assert ok(world, REMOVE, {"staffUserId": staff_id}) == {"success": True}
    assert world.staff.staff(SELLER, staff_id).deleted
    # The removed staff member's phone is free again.
    assert ok(world, CREATE, {**NEW, "phone": "13700000009"})["staffUserid"] != staff_id
    actors = {e.actor for e in SellerCenter(world.seller).audit_log()
              if e.kind == "kuaishou_staff"}
    assert actors == {"seller-center", "kuaishou-api"}


def test_a_hand_change_in_the_seller_centre_shows_in_the_api(world: KsWorld) -> None:
    world.staff.hand_set_disabled(SELLER, world.ids["张伟"])
    data = ok(world, LIST, {"includeDisabled": True})
    assert {s["nickName"]: s["disabled"] for s in data["staffs"]} == {"张伟": True,
                                                                       "李娜": True}
    assert ok(world, LIST, {})["staffs"] == []


def test_roles_can_be_listed_but_the_api_cannot_create_them(world: KsWorld) -> None:
    _, body = call(world, "open.user.sub.account.role.create", {"roleName": "新角色"})
    assert body["result"] == 16
    assert [r["roleId"] for r in ok(world, ROLE_LIST)["roles"]] == list(ROLES)



def test_a_token_expires_48_hours_after_it_was_issued_on_the_sandbox_clock(
    world: KsWorld,
) -> None:
    SellerCenter(world.seller).advance_clock(timedelta(hours=47, minutes=59))
    assert ok(world, ROLE_LIST)
    SellerCenter(world.seller).advance_clock(timedelta(minutes=2))
    _, body = call(world, ROLE_LIST)
    assert (body["result"], body["error_msg"]) == (24, "TOKEN过期")


# --- rate limiting, faults and HTTP ------------------------------------------------------------


def test_the_qps_limit_answers_the_documented_error_then_recovers(tmp_path: Path) -> None:
    with kuaishou_world(tmp_path / "s.db", qps=2) as world:
        assert ok(world, ROLE_LIST) and ok(world, ROLE_LIST)
        _, body = call(world, ROLE_LIST)
        assert body["result"] == 1017
        assert body["error_msg"] == (f"Exceed qps limit, KEY [apiId:{ROLE_LIST};appkey:"
                                     f"{APP_KEY}], MAX_QPS [2.0]")
        assert ok(world, LIST, {})  # the limit is per method
        time.sleep(1.05)
        assert ok(world, ROLE_LIST)


def test_an_injected_fault_reaches_the_client_as_a_kuaishou_error(world: KsWorld) -> None:
    SellerCenter(world.seller).set_faults(FaultConfig.from_mapping({"fail_on_call": 1}))
    _, body = call(world, CREATE, NEW)
    assert body["result"] == 2 and body["sub_code"] == "service-unavailable"
    assert ok(world, CREATE, NEW)["staffUserid"]


@pytest.mark.parametrize(("verb", "body", "content_type", "status", "result"), [
    pytest.param("PUT", None, "application/x-www-form-urlencoded", 405, 16,
                 id="PUT is not allowed and still answers JSON"),
    pytest.param("POST", b"--x\r\n", "multipart/form-data; boundary=x", 400, 20,
                 id="a multipart body is refused: urlencoded only"),
])
def test_what_the_gateway_refuses_over_http(world: KsWorld, verb: str, body: bytes | None,
                                            content_type: str, status: int,
                                            result: int) -> None:
    got, answer = send(world.url, "/open/user/sub/account/role/list",
                       request_params(ROLE_LIST, None), verb=verb, body=body,
                       content_type=content_type)
    assert (got, answer["result"]) == (status, result), answer


def test_a_body_over_1_mib_is_refused_before_it_is_read(world: KsWorld) -> None:
    parts = urlsplit(world.url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        conn.putrequest("POST", "/open/user/sub/account/role/list")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(1024 * 1024 + 1))
        conn.endheaders()
        conn.send(b"a=b")
        resp = conn.getresponse()
        answer = json.loads(resp.read())
    finally:
        conn.close()
    assert (resp.status, answer["result"]) == (400, 20)
    assert "larger than" in answer["error_msg"]


# --- the CLI ---------------------------------------------------------------------------------


def test_sandbox_serve_protocol_kuaishou_serves_the_staff_api(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with kuaishou_world(db):
        pass  # the sellers, roles and staff, left in the file
    server = subprocess.Popen(
        [sys.executable, "-m", "shoporg.cli.main", "sandbox", "--file", str(db), "serve",
         "--protocol", "kuaishou", "--port", "0", "--app-key", APP_KEY, "--app-secret",
         SECRET, "--token", json.dumps({str(SELLER): "tok-cli"})],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline().split()
        assert first[:1] == ["endpoint"], first
        status, body = send(first[1], "/open/user/sub/account/role/list",
                            request_params(ROLE_LIST, None, token="tok-cli"))
        assert (status, body["result"]) == (200, 1), body
        assert [r["roleId"] for r in body["data"]["roles"]] == list(ROLES)
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stdout is not None:
            server.stdout.close()
