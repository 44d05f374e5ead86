"""The Kuaishou client (``shoporg.backends.kuaishou.client``) against the sandbox's Kuaishou
gateway on loopback -- the six staff methods, paging, both sign methods and every refusal the
gateway can answer -- and through ``httpx.MockTransport`` for what a gateway cannot be made
to do on cue: a connection lost mid-write, a bare HTTP 503, a throttle followed by success.

The world (two sellers, their roles and staff, tokens ``tok-1001`` / ``tok-2002``) is the
endpoint test's ``kuaishou_world``, shared as the SDK tests share it. The pinned signatures
were computed with ``openssl`` from the documented base string, not with the client.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from shoporg.backends.kuaishou.client import (
    MASK,
    KuaishouClient,
    KuaishouCredentials,
    SignMethod,
    Target,
    error_for,
    sign,
)
from shoporg.backends.sandbox import FaultConfig, SellerCenter
from shoporg.errors import (
    AuthError,
    BackendError,
    ConflictError,
    NotFoundError,
    RuleViolation,
    ThrottledError,
    TransientError,
)
from tests.backends.test_kuaishou_endpoint import (
    APP_KEY,
    NEW,
    ROLES,
    SECRET,
    SELLER,
    TOKEN,
    KsWorld,
    kuaishou_world,
)

ROLE_LIST = "open.user.sub.account.role.list"
CREATE = "open.user.sub.account.create"
LIST = "open.user.sub.account.list"
UPDATE = "open.user.sub.account.update"
STATUS = "open.user.sub.account.status.update"
REMOVE = "open.user.sub.account.remove"

OTHER_ACCOUNT = "ks-other"
CREDS = KuaishouCredentials(APP_KEY, SECRET, TOKEN, {OTHER_ACCOUNT: "tok-2002"})
T = Target("kuaishou_staff", "ks-youpin/xiao-zhou", "create")
#: Every secret a message must never carry.
SECRETS = (SECRET, TOKEN, "tok-2002")


@dataclass
class Calls:
    """What the client did: the methods it sent and the waits it asked for."""

    methods: list[str] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[KsWorld]:
    with kuaishou_world(tmp_path / "s.db") as w:
        yield w


def make_client(url: str, calls: Calls, creds: KuaishouCredentials = CREDS, **kw: Any
                ) -> KuaishouClient:
    return KuaishouClient(url, creds, on_call=calls.methods.append,
                          sleep=calls.sleeps.append, **kw)


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def client(world: KsWorld, calls: Calls) -> Iterator[KuaishouClient]:
    with make_client(world.url, calls) as c:
        yield c


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, text


# --- the signature ---------------------------------------------------------------------------

SIGNED = {"access_token": "tok-1001", "appkey": "ks-app",
          "method": "open.user.sub.account.list", "param": '{"page":1}',
          "timestamp": "1700000000000", "version": "1"}


@pytest.mark.parametrize(("sign_method", "expected"), [
    pytest.param("MD5", "e30475eee1e25911cdb31ed4007d642b",
                 id="MD5 is the lower-case hex MD5 of the sorted pairs and the signSecret"),
    pytest.param("HMAC_SHA256", "s+VB2eXYhlb/8i8clAnIXOMqiToxgTxSNre0A+D0nGQ=",
                 id="HMAC_SHA256 is the Base64 HMAC of the same string keyed by the secret"),
])
def test_the_signature_matches_the_pinned_vector(sign_method: SignMethod, expected: str) -> None:
    params = {**SIGNED, "signMethod": sign_method, "sign": "ignored", "extra": "unsigned"}
    assert sign(params, "s3cret", sign_method) == expected


def test_a_request_is_a_signed_form_post_to_the_methods_path() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": 1, "data": {"roles": []}})

    now = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    with KuaishouClient("https://gw.example/", CREDS, sign_method="MD5", now=lambda: now,
                        transport=httpx.MockTransport(answer)) as client:
        assert client.call(ROLE_LIST, {"a": 1, "skipped": None}, T) == {"roles": []}
    [request] = seen
    assert request.method == "POST" and request.url.query == b""
    assert str(request.url) == "https://gw.example/open/user/sub/account/role/list"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {"appkey": APP_KEY, "method": ROLE_LIST, "version": "1", "param": '{"a":1}',
                    "access_token": TOKEN, "timestamp": "1700000000000", "signMethod": "MD5",
                    "sign": sign(form, SECRET, "MD5")}


@pytest.mark.parametrize("sign_method", ["MD5", "HMAC_SHA256"])
def test_the_gateway_accepts_both_sign_methods(world: KsWorld, calls: Calls,
                                               sign_method: SignMethod) -> None:
    with make_client(world.url, calls, sign_method=sign_method) as client:
        assert [r["roleId"] for r in client.call(ROLE_LIST, {}, T)["roles"]] == list(ROLES)


def test_an_unknown_sign_method_is_refused_before_any_call() -> None:
    with pytest.raises(ValueError, match="must be one of MD5, HMAC_SHA256"):
        KuaishouClient("http://127.0.0.1:1", CREDS, sign_method="SHA1")  # type: ignore[arg-type]


# --- the six methods -------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    name: str
    method: str
    param: Callable[[KsWorld], dict[str, Any]]
    check: Callable[[KsWorld, Any], None]


def _roles(world: KsWorld, data: Any) -> None:
    assert [(r["roleId"], r["roleName"]) for r in data["roles"]] == list(ROLES.items())


def _created(world: KsWorld, data: Any) -> None:
    live = world.staff.staff(SELLER, data["staffUserid"])
    assert (live.nick_name, live.contact_phone, live.role_ids) == ("小周", "13700000001",
                                                                   (11, 12))


def _listed(world: KsWorld, data: Any) -> None:
    assert [s["nickName"] for s in data["staffs"]] == ["张伟", "李娜"]
    assert data["totalCount"] == 2 and data["staffs"][0]["roleInfo"][0]["roleName"] == "客服"


def _updated(world: KsWorld, data: Any) -> None:
    assert data == {"success": True}
    assert world.staff.staff(SELLER, world.ids["张伟"]).role_ids == (13,)


def _stopped(world: KsWorld, data: Any) -> None:
    assert data == {"success": True} and world.staff.staff(SELLER, world.ids["张伟"]).disabled


def _removed(world: KsWorld, data: Any) -> None:
    assert data == {"success": True} and world.staff.staff(SELLER, world.ids["张伟"]).deleted


METHODS = [
    Method("role.list lists the seller's roles", ROLE_LIST, lambda w: {}, _roles),
    Method("create makes a staff member and answers its staffUserid", CREATE,
           lambda w: dict(NEW), _created),
    Method("list answers staffs and totalCount", LIST,
           lambda w: {"page": 1, "count": 20, "includeDisabled": True}, _listed),
    Method("update changes a staff member's roles", UPDATE,
           lambda w: {"staffUserId": w.ids["张伟"], "roleIds": [13]}, _updated),
    Method("status.update stops a staff member", STATUS,
           lambda w: {"staffUserId": w.ids["张伟"], "stop": True}, _stopped),
    Method("remove removes a staff member", REMOVE,
           lambda w: {"staffUserId": w.ids["张伟"]}, _removed),
]


@pytest.mark.parametrize("case", [pytest.param(m, id=m.name) for m in METHODS])
def test_each_staff_method_is_accepted_and_its_data_parsed(
    world: KsWorld, client: KuaishouClient, calls: Calls, case: Method,
) -> None:
    case.check(world, client.call(case.method, case.param(world), T))
    assert calls.methods == [case.method] and calls.sleeps == []


def test_an_account_id_picks_that_sellers_token(client: KuaishouClient) -> None:
    # tok-2002 is the other seller's: its staff, not ours.
    names = [s["nickName"] for s in client.call(LIST, {}, T, account_id=OTHER_ACCOUNT)["staffs"]]
    assert names == ["赵六"]
    # An account without its own token uses the default one.
    assert [s["nickName"] for s in client.call(LIST, {}, T, account_id="ks-youpin")["staffs"]
            ] == ["张伟"]


# --- paging ----------------------------------------------------------------------------------

EVERYONE = {"includeDeleted": True, "includeDisabled": True}


@pytest.mark.parametrize(("count", "requests"), [
    pytest.param(1, 3, id="one a page takes three pages and stops at totalCount"),
    pytest.param(2, 2, id="two a page stops at the short second page"),
    pytest.param(3, 1, id="a page exactly totalCount long is the only one read"),
    pytest.param(100, 1, id="the default page size reads a small list at once"),
])
def test_pages_read_every_staff_member_once_in_order(
    client: KuaishouClient, calls: Calls, count: int, requests: int,
) -> None:
    staff = list(client.pages(LIST, EVERYONE, "staffs", T, count=count))
    assert [s["nickName"] for s in staff] == ["张伟", "李娜", "王芳"]
    assert calls.methods == [LIST] * requests


def test_paging_stops_at_an_empty_page(client: KuaishouClient, calls: Calls) -> None:
    assert list(client.pages(LIST, {"userName": "nobody"}, "staffs", T)) == []
    assert calls.methods == [LIST]


def test_a_page_size_the_platform_refuses_is_refused_here(client: KuaishouClient) -> None:
    with pytest.raises(ValueError, match="1 to 100"):
        list(client.pages(LIST, {}, "staffs", T, count=101))


# --- refusals the gateway answers ------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    name: str
    error: type[BackendError]
    method: str = ROLE_LIST
    param: Callable[[KsWorld], dict[str, Any]] = lambda w: {}
    token: str = TOKEN
    secret: str = SECRET
    app_key: str = APP_KEY
    path: str = ""
    says: tuple[str, ...] = ()
    rule: str = ""


def _prepare(world: KsWorld) -> None:
    now = world.service.now()
    world.service.grant("tok-expired", SELLER, now - timedelta(seconds=1))
    world.service.grant("tok-revoked", SELLER)
    world.service.revoke("tok-revoked")
    world.service.grant("tok-orphan", 9999)


REFUSALS = [
    Refusal("a token the platform never issued is an auth error naming the token key",
            AuthError, token="tok-nobody", says=("鉴权失败", "shoporg:kuaishouAccessToken",
                                                  "shoporg:kuaishouAppKey")),
    Refusal("an expired token is an auth error saying to refresh it", AuthError,
            token="tok-expired", says=("TOKEN过期", "refresh", "shoporg:kuaishouAccessToken")),
    Refusal("a revoked token is an auth error saying to authorise the app again", AuthError,
            token="tok-revoked", says=("AUTHORIZATION_REVOKED", "authorise it again")),
    Refusal("a token whose seller does not exist says so", AuthError, token="tok-orphan",
            says=("主账号不存在", "seller of this access token does not exist")),
    Refusal("a sign made with another secret is an auth error naming the sign secret key",
            AuthError, secret="not-the-secret",
            says=("签名校验失败", "shoporg:kuaishouSignSecret")),
    Refusal("an appkey the platform did not issue is an auth error naming the appkey key",
            AuthError, app_key="ks-someone-else", says=("shoporg:kuaishouAppKey",)),
    Refusal("a method the platform does not have is an error pointing at the endpoint",
            BackendError, method="open.user.sub.account.role.create",
            says=("Invalid url", "shoporg:kuaishouEndpoint")),
    Refusal("an endpoint with a wrong base path is an error pointing at the endpoint",
            BackendError, path="/gateway", says=("Invalid url", "shoporg:kuaishouEndpoint")),
    Refusal("a page size over 100 is an invalid parameter", BackendError, method=LIST,
            param=lambda w: {"count": 101}, says=("count must be 1 to 100",)),
    Refusal("a staff member of another seller is not found: not ours", NotFoundError,
            method=STATUS, param=lambda w: {"staffUserId": w.ids["赵六"], "stop": True},
            says=("another seller", "operation reject")),
    Refusal("a staff id nobody has is not found", NotFoundError, method=UPDATE,
            param=lambda w: {"staffUserId": 424242, "remarks": "x"}, says=("ks_staff_not_found",)),
    Refusal("a login phone already taken is a conflict, so a create can adopt", ConflictError,
            method=CREATE, param=lambda w: {**NEW, "phone": "13800010001"},
            says=("ks_phone_taken",)),
    Refusal("a role the seller does not have is a rule violation named by sub_code",
            RuleViolation, method=CREATE, param=lambda w: {**NEW, "roleIds": [11, 99]},
            rule="ks_role_unknown"),
    Refusal("a contact phone that is not a mobile number is a rule violation", RuleViolation,
            method=CREATE, param=lambda w: {**NEW, "contactPhone": "12345"},
            rule="ks_contact_phone_format"),
    Refusal("changing a removed staff member is a rule violation", RuleViolation,
            method=REMOVE, param=lambda w: {"staffUserId": w.ids["王芳"]},
            rule="ks_staff_removed"),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in REFUSALS])
def test_each_refusal_becomes_its_shoporg_error(world: KsWorld, calls: Calls,
                                                case: Refusal) -> None:
    _prepare(world)
    creds = KuaishouCredentials(case.app_key, case.secret, case.token)
    with make_client(world.url + case.path, calls, creds) as client, \
            pytest.raises(BackendError) as caught:
        client.call(case.method, case.param(world), T)
    exc = caught.value
    assert type(exc) is case.error, exc
    assert (exc.kind, exc.name, exc.operation) == (T.kind, T.name, T.operation)
    for words in case.says:
        assert words in str(exc), exc
    if case.rule:
        assert isinstance(exc, RuleViolation) and exc.rule == case.rule
    assert_no_secret(str(exc))
    assert case.token not in str(exc) and case.secret not in str(exc)
    assert calls.sleeps == [] and len(calls.methods) == 1  # none of these is retried


def test_a_missing_token_is_an_auth_error_before_anything_is_sent(calls: Calls) -> None:
    creds = KuaishouCredentials(APP_KEY, SECRET, "")
    with make_client("http://127.0.0.1:9", calls, creds) as client, \
            pytest.raises(AuthError, match="no Kuaishou access token") as caught:
        client.call(LIST, {}, T, account_id="ks-youpin")
    assert "shoporg:kuaishouAccessToken" in str(caught.value) and calls.methods == []


def test_the_qps_limit_is_a_throttle_waited_then_given_up(tmp_path: Path, calls: Calls) -> None:
    with kuaishou_world(tmp_path / "s.db", qps=1) as world, \
            make_client(world.url, calls, attempts=3) as client:
        assert client.call(ROLE_LIST, {}, T)["roles"]
        with pytest.raises(ThrottledError, match="Exceed qps limit") as caught:
            client.call(ROLE_LIST, {}, T)
    assert caught.value.retry_after == 1.0
    assert calls.sleeps == [1.0, 1.0] and len(calls.methods) == 4
    assert_no_secret(str(caught.value))


def test_a_system_error_on_a_write_is_retried_because_the_gateway_answered_it(
    world: KsWorld, client: KuaishouClient, calls: Calls,
) -> None:
    SellerCenter(world.seller).set_faults(FaultConfig.from_mapping({"fail_on_call": 1}))
    staff_id = client.call(CREATE, NEW, T)["staffUserid"]
    assert world.staff.staff(SELLER, staff_id).nick_name == "小周"
    assert calls.methods == [CREATE, CREATE] and len(calls.sleeps) == 1


def test_a_system_error_that_persists_is_a_transient_error(world: KsWorld, calls: Calls) -> None:
    SellerCenter(world.seller).set_faults(FaultConfig.from_mapping({"fail_on_call": 1}))
    with make_client(world.url, calls, attempts=1) as client, \
            pytest.raises(TransientError) as caught:
        client.call(CREATE, NEW, T)
    assert type(caught.value) is TransientError and "系统繁忙" in str(caught.value)


# --- what only a mock transport can stage ----------------------------------------------------

Answer = Callable[[httpx.Request], httpx.Response]
OK_LIST = httpx.Response(200, json={"result": 1, "data": {"staffs": [], "totalCount": 0}})


def qps_refusal(retry: str = "") -> httpx.Response:
    return httpx.Response(200, json={
        "result": 1017, "data": None, "requestId": "r1",
        "error_msg": f"Exceed qps limit, KEY [apiId:x;appkey:{APP_KEY}], MAX_QPS [5.0]{retry}"})


def lost(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                    request=request)


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def sequence(*answers: httpx.Response | Answer) -> Answer:
    """Each request gets the next answer (the last one repeats), a fresh copy of a staged
    response each time (a response object is consumed once it is read)."""
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        next_one = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(next_one):
            return next_one(request)
        return httpx.Response(next_one.status_code, headers=next_one.headers,
                              content=next_one.content)
    return answer


@dataclass(frozen=True)
class Staged:
    name: str
    method: str
    answers: tuple[httpx.Response | Answer, ...]
    requests: int
    sleeps: list[float] | None = None  # None: as many backoffs as retries, any length
    error: type[BackendError] | None = None
    retry_after: float | None = None


STAGED = [
    Staged("a connection lost on a write is not retried: it may have been done", CREATE,
           (lost, OK_LIST), 1, [], TransientError),
    Staged("a timeout on a write is not retried either", REMOVE, (timed_out, OK_LIST), 1, [],
           TransientError),
    Staged("a bare HTTP 503 on a write is not retried", UPDATE,
           (httpx.Response(503, text="<html>busy</html>"), OK_LIST), 1, [], TransientError),
    Staged("a connection lost on a read is retried", LIST, (lost, OK_LIST), 2),
    Staged("a timeout on a read is retried", ROLE_LIST, (timed_out, OK_LIST), 2),
    Staged("an HTTP 503 on a read is retried", LIST,
           (httpx.Response(503, text="<html>busy</html>"), OK_LIST), 2),
    Staged("a read that keeps failing gives up after the attempts", LIST, (lost,), 3,
           error=TransientError),
    Staged("a throttle waits the second it asks for, then succeeds", CREATE,
           (qps_refusal(), OK_LIST), 2, [1.0]),
    Staged("a throttle that says how long is waited that long", STATUS,
           (qps_refusal(", retry after 3s"), OK_LIST), 2, [3.0]),
    Staged("an HTTP 429 waits its Retry-After", LIST,
           (httpx.Response(429, headers={"Retry-After": "2"}), OK_LIST), 2, [2.0]),
    Staged("a system error in a Kuaishou answer is retried even for a write", REMOVE,
           (httpx.Response(500, json={"result": 2, "error_msg": "system error"}), OK_LIST),
           2),
    Staged("an answer that is not JSON is an error, not retried", LIST,
           (httpx.Response(200, text="<html>login</html>"),), 1, [], BackendError),
    Staged("an unknown result number that says 签名 is a signature problem", LIST,
           (httpx.Response(200, json={"result": 40, "error_msg": "签名错误"}),), 1, [],
           AuthError),
    Staged("an unknown result number that says 系统繁忙 is transient", LIST,
           (httpx.Response(200, json={"result": 41, "error_msg": "系统繁忙"}), OK_LIST), 2),
    Staged("an unknown result number otherwise is a backend error with Kuaishou's words",
           LIST, (httpx.Response(200, json={"result": 99, "error_msg": "奇怪"}),), 1, [],
           BackendError),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in STAGED])
def test_what_is_retried_and_what_is_not(calls: Calls, case: Staged) -> None:
    transport = httpx.MockTransport(sequence(*case.answers))
    with make_client("https://gw.example", calls, transport=transport, attempts=3) as client:
        if case.error is None:
            assert client.call(case.method, {}, T) == {"staffs": [], "totalCount": 0}
        else:
            with pytest.raises(case.error) as caught:
                client.call(case.method, {}, T)
            assert type(caught.value) is case.error, caught.value
            assert_no_secret(str(caught.value))
    assert calls.methods == [case.method] * case.requests
    if case.sleeps is not None:
        assert calls.sleeps == case.sleeps
    else:
        assert len(calls.sleeps) == case.requests - 1
        assert all(0 < s <= 3.0 for s in calls.sleeps)  # backoff with jitter, bounded


def test_paging_stops_at_totalcount_even_when_pages_are_full() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        page = json.loads(parse_qs(request.content.decode())["param"][0])["page"]
        return httpx.Response(200, json={"result": 1, "data": {
            "staffs": [{"staffUserId": page * 10 + i} for i in range(2)], "totalCount": 4}})

    calls = Calls()
    with make_client("https://gw.example", calls, transport=httpx.MockTransport(answer)
                     ) as client:
        ids = [s["staffUserId"] for s in client.pages(LIST, {}, "staffs", T, count=2)]
    assert ids == [10, 11, 20, 21] and calls.methods == [LIST, LIST]


# --- secrets ---------------------------------------------------------------------------------


def test_no_secret_shows_in_a_repr() -> None:
    with KuaishouClient("https://gw.example", CREDS) as client:
        for text in (repr(CREDS), str(CREDS), repr(client)):
            assert APP_KEY in text
            assert_no_secret(text)


def test_a_secret_echoed_by_the_gateway_is_masked_in_the_error() -> None:
    echo = httpx.Response(200, json={
        "result": 22, "error_msg": f"bad request access_token={TOKEN}",
        "sub_code": "ks_x", "sub_msg": f"signSecret={SECRET} token tok-2002"})
    with KuaishouClient("https://gw.example", CREDS, transport=httpx.MockTransport(
            sequence(echo))) as client, pytest.raises(RuleViolation) as caught:
        client.call(CREATE, {}, T)
    assert_no_secret(str(caught.value))
    assert str(caught.value).count(MASK) == 3


def test_a_secret_in_a_transport_error_is_masked() -> None:
    def leak(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused while sending {TOKEN}", request=request)

    with KuaishouClient("https://gw.example", CREDS, transport=httpx.MockTransport(leak)
                        ) as client, pytest.raises(TransientError) as caught:
        client.call(CREATE, {}, T)
    assert_no_secret(str(caught.value))
    assert MASK in str(caught.value)


# --- the translation table, for answers a gateway gives rarely -------------------------------


@pytest.mark.parametrize(("body", "error", "words"), [
    pytest.param({"result": 13, "error_msg": "signMethod must be one of MD5, HMAC_SHA256"},
                 BackendError, "MD5 or HMAC_SHA256", id="a refused sign method says which "
                                                        "ones are accepted"),
    pytest.param({"result": 11, "error_msg": "timestamp not exist"}, BackendError, "bug",
                 id="a missing system parameter is a shoporg bug to report"),
    pytest.param({"result": 1017, "error_msg": "[1017] exceed quota limit"}, ThrottledError,
                 "retry after 1s", id="the documented quota refusal is a throttle of a second"),
    pytest.param({"result": 26, "data": None, "error_msg": "主账号不存在"}, AuthError,
                 "does not exist", id="K0005's 主账号不存在 is an auth error"),
    pytest.param({"result": 21, "error_msg": "order operation reject", "requestId": "abc"},
                 NotFoundError, "requestId abc", id="K1006's operation reject is not found "
                                                    "and keeps the requestId"),
    pytest.param({"result": 22, "error_msg": "business error"}, RuleViolation,
                 "ks_business_error", id="a business refusal without a sub_code still has "
                                         "a rule"),
])
def test_error_for_translates_documented_answers(body: dict[str, Any],
                                                 error: type[BackendError], words: str) -> None:
    exc = error_for(body, T)
    assert type(exc) is error
    text = str(exc) + (f" {exc.rule}" if isinstance(exc, RuleViolation) else "")
    assert words in text, text
