"""The TOP client without a network: signing against pinned vectors, timestamps, error
mapping and paging through ``httpx.MockTransport``.

The vectors were computed by hand from the documented algorithm (platform-apis.md §1.4):
the base string below is the parameters sorted by key and concatenated, then
``MD5(secret + s + secret)``, ``HMAC-MD5(secret, s)`` and ``HMAC-SHA256(secret, s)``, in
upper-case hex (``hashlib`` / ``hmac`` once, results pinned here).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs

import httpx
import pytest

from shoporg.backends.taobao.client import (
    SignMethod,
    Target,
    TopClient,
    TopCredentials,
    error_for,
    parse_timestamp,
    response_key,
    sign,
    top_timestamp,
)
from shoporg.errors import (
    AuthError,
    BackendError,
    ConflictError,
    NotFoundError,
    ThrottledError,
    TransientError,
)

SECRET = "helloworld"
PARAMS = {
    "method": "taobao.sellercenter.roles.get",
    "app_key": "12345678",
    "session": "test-session",
    "timestamp": "2026-11-23 22:15:00",
    "format": "json",
    "v": "2.0",
    "nick": "优品数码专营",
}
# app_key12345678formatjsonmethodtaobao.sellercenter.roles.getnick优品数码专营
# sessiontest-sessionsign_method<m>timestamp2026-11-23 22:15:00v2.0
VECTORS: list[tuple[str, SignMethod, str]] = [
    ("md5 wraps the sorted string in the secret", "md5", "261F796D9B5B801418B4A053B2F6EDB7"),
    ("hmac is HMAC-MD5 keyed by the secret", "hmac", "36FACE37D394F7DFF90CA5AFCA135472"),
    ("hmac-sha256 is HMAC-SHA256 keyed by the secret", "hmac-sha256",
     "1677243B6A623FAA681A5FD235F6B65A3411721F474ADAD57A6FBFA9D877E606"),
]


# TOP's own documented example ("API调用方法详解"), and the same base string under hmac and
# hmac-sha256 computed with `printf %s "$BASE" | openssl dgst -md5|-sha256 -hmac helloworld`.
DOC = {
    "method": "taobao.item.seller.get", "app_key": "12345678", "session": "test",
    "timestamp": "2016-01-01 12:00:00", "format": "json", "v": "2.0",
    "fields": "num_iid,title,nick,price,num", "num_iid": "11223344",
}
VECTORS += [
    ("md5 reproduces TOP's documented example", "md5", "66987CB115214E59E6EC978214934FB8"),
    ("hmac of TOP's example matches openssl", "hmac", "D56D7858309C31B6251083A874D48273"),
    ("hmac-sha256 of TOP's example matches openssl", "hmac-sha256",
     "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8"),
]


@pytest.mark.parametrize(("case", "method", "expected"), VECTORS, ids=[v[0] for v in VECTORS])
def test_signature_matches_the_pinned_vector(case: str, method: SignMethod, expected: str) -> None:
    params, secret = (DOC, "helloworld") if "example" in case else (PARAMS, SECRET)
    assert sign({**params, "sign_method": method}, secret, method) == expected


def test_empty_values_are_not_signed_as_topss_reference_sdk_does() -> None:
    params = {**PARAMS, "sign_method": "md5"}
    assert sign({**params, "description": ""}, SECRET, "md5") == sign(params, SECRET, "md5")


def test_the_sign_parameter_itself_is_never_signed() -> None:
    params = {**PARAMS, "sign_method": "md5"}
    assert sign({**params, "sign": "ANYTHING"}, SECRET, "md5") == sign(params, SECRET, "md5")


def test_a_changed_parameter_changes_the_signature() -> None:
    params = {**PARAMS, "sign_method": "hmac"}
    assert sign({**params, "nick": "别的店"}, SECRET, "hmac") != sign(params, SECRET, "hmac")


TIMES = [
    ("UTC afternoon is GMT+8 evening", datetime(2026, 11, 23, 14, 15, tzinfo=UTC),
     "2026-11-23 22:15:00"),
    ("UTC late evening is the next day in GMT+8", datetime(2026, 11, 23, 18, 30, 5, tzinfo=UTC),
     "2026-11-24 02:30:05"),
]


@pytest.mark.parametrize(("case", "when", "text"), TIMES, ids=[t[0] for t in TIMES])
def test_timestamps_are_gmt8_and_parse_back(case: str, when: datetime, text: str) -> None:
    assert top_timestamp(when) == text
    assert parse_timestamp(text) == when


def test_response_keys_drop_the_taobao_prefix_and_use_underscores() -> None:
    expected = "sellercenter_subusers_page_response"
    assert response_key("taobao.sellercenter.subusers.page") == expected


TARGET = Target("role", "tb/ops", "create")
ERRORS: list[tuple[str, dict[str, object], type[BackendError], str]] = [
    ("code 7 waits the stated seconds plus one",
     {"code": 7, "msg": "App Call Limited, This ban will last for 12 more seconds"},
     ThrottledError, "retry after 13s"),
    ("code 7 without a number waits one second", {"code": 7, "msg": "App Call Limited"},
     ThrottledError, "retry after 1s"),
    ("code 10 is transient", {"code": 10, "msg": "Service Currently Unavailable"},
     TransientError, "TOP error 10"),
    ("an invalid session names the session config key", {"code": 27, "msg": "Invalid session"},
     AuthError, "shoporg:taobaoSession"),
    ("a missing session names the session config key", {"code": 26, "msg": "Missing Session"},
     AuthError, "shoporg:taobaoSession"),
    ("insufficient session permissions name the session config key",
     {"code": 42, "msg": "Insufficient session permissions"}, AuthError, "shoporg:taobaoSession"),
    ("a bad signature names the app key and secret", {"code": 25, "msg": "Invalid Signature"},
     AuthError, "shoporg:taobaoAppSecret"),
    ("a business not-exist is not found",
     {"code": 15, "msg": "Remote service error", "sub_code": "isv.subuser-not-exist"},
     NotFoundError, "isv.subuser-not-exist"),
    ("a taken name is a conflict",
     {"code": 15, "msg": "Remote service error", "sub_code": "isv.role-name-taken"},
     ConflictError, "role-name-taken"),
    ("isp.call-limited is throttling with the wait TOP asks for",
     {"code": 15, "msg": "Remote service error", "sub_code": "isp.call-limited",
      "sub_msg": "This ban will last for 3 more seconds"}, ThrottledError, "retry after 4s"),
    ("a remote service unavailable is transient",
     {"code": 15, "sub_code": "isp.top-remote-service-unavailable"}, TransientError, "isp."),
    ("a remote connection error is transient",
     {"code": 15, "sub_code": "isp.remote-connection-error"}, TransientError, "isp."),
    ("a remote connection timeout on Tmall is transient",
     {"code": 15, "sub_code": "isp.top-remote-connection-timeout-tmall"}, TransientError,
     "isp."),
    ("an unknown remote error is transient",
     {"code": 15, "sub_code": "isp.top-remote-unknown-error"}, TransientError, "isp."),
    ("a service error is transient", {"code": 15, "sub_code": "isp.service-error"},
     TransientError, "isp."),
    ("a business error 50 not-exist is not found",
     {"code": 50, "msg": "Business Error", "sub_code": "isv.role-not-exist"}, NotFoundError,
     "isv.role-not-exist"),
    ("an invalid argument is permanent",
     {"code": 41, "sub_code": "isv.invalid-parameter:sub_id"}, BackendError, "TOP error 41"),
    ("anything else is a backend error naming the object and operation",
     {"code": 22, "msg": "Invalid Method"}, BackendError, "role 'tb/ops': create failed"),
    ("a refused timestamp says the clocks disagree and what to set",
     {"code": 31, "msg": "Invalid Timestamp", "sub_code": "isv.timestamp-out-of-range"},
     BackendError, "TOP refused the request's timestamp; TOP error 31"),
]


@pytest.mark.parametrize(("case", "error", "kind", "text"), ERRORS, ids=[e[0] for e in ERRORS])
def test_error_responses_map_into_the_exception_tree(
    case: str, error: dict[str, object], kind: type[BackendError], text: str
) -> None:
    exc = error_for(error, TARGET)
    assert type(exc) is kind
    assert text in str(exc)


# case: the request's timestamp, what the gateway said → how the clocks disagree
CLOCKS = [
    ("a gateway a day ahead: this machine is behind", "2026-11-23 22:15:00",
     "server time is 2026-11-24 22:15:00 (GMT+8)", "(2026-11-23 22:15:00 GMT+8) is 1 day behind"),
    ("a gateway 25 minutes behind: this machine is ahead", "2026-11-23 22:15:00",
     "server time is 2026-11-23 21:50:00 (GMT+8)", "is 25 min ahead of the gateway's"),
    ("days and hours are both told", "2026-11-23 22:15:00",
     "server time is 2026-11-26 01:15:00 (GMT+8)", "is 2 days 3 h behind"),
    ("a gateway that does not say its time: the cause alone", "2026-11-23 22:15:00",
     "", "TOP refused the request's timestamp; TOP error 31"),
]


@pytest.mark.parametrize(("case", "sent", "said", "text"), CLOCKS, ids=[c[0] for c in CLOCKS])
def test_a_refused_timestamp_names_both_clocks_and_what_to_set(
    case: str, sent: str, said: str, text: str
) -> None:
    error = {"code": 31, "msg": "Invalid Timestamp", "sub_code": "isv.timestamp-out-of-range",
             "sub_msg": said}
    exc = error_for(error, Target("sub_account", "tb-youpin", "list"), sent)
    line = str(exc)
    assert type(exc) is BackendError and text in line
    assert line.startswith("sub_account 'tb-youpin': list failed: TOP refused the request's "
                           "timestamp") and "\n" not in line
    # what to do, for a real gateway and for `shoporg sandbox serve`
    assert "this machine's clock" in exc.hint and "shoporg sandbox clock" in exc.hint


def client(handler: Callable[[httpx.Request], httpx.Response],
           sleeps: list[float] | None = None) -> TopClient:
    return TopClient(
        "http://top.invalid/router/rest",
        TopCredentials("12345678", SECRET, "test-session"),
        transport=httpx.MockTransport(handler),
        now=lambda: datetime(2026, 11, 23, 14, 15, tzinfo=UTC),
        sleep=(sleeps if sleeps is not None else []).append,
    )


def failing(errors: list[dict[str, object] | None], method: str = "taobao.x.get"
            ) -> Callable[[httpx.Request], httpx.Response]:
    """A TOP that answers ``errors`` in turn (``None``: success), then succeeds."""
    queue = list(errors)

    def handler(request: httpx.Request) -> httpx.Response:
        error = queue.pop(0) if queue else None
        if error is None:
            return httpx.Response(200, json={response_key(method): {"ok": True}})
        return httpx.Response(200, json={"error_response": error})

    return handler


RETRIES = [
    ("a transient isp error is retried with backoff until it passes", "taobao.x.get",
     [{"code": 15, "sub_code": "isp.top-remote-service-unavailable"},
      {"code": 15, "sub_code": "isp.remote-connection-error"}], 2, None),
    ("call limiting waits what TOP asks for", "taobao.x.get",
     [{"code": 15, "sub_code": "isp.call-limited",
       "sub_msg": "This ban will last for 2 more seconds"}], 1, [3.0]),
    ("a write TOP answered as not done is sent again", "taobao.subuser.info.update",
     [{"code": 10, "msg": "Service Currently Unavailable"}], 1, None),
    ("a permanent error is not retried", "taobao.x.get",
     [{"code": 41, "sub_code": "isv.invalid-parameter:x"}], 0, None),
]


@pytest.mark.parametrize(("case", "method", "errors", "waits", "exact"), RETRIES,
                         ids=[r[0] for r in RETRIES])
def test_transient_answers_are_retried_by_the_client(
    case: str, method: str, errors: list[dict[str, object] | None], waits: int,
    exact: list[float] | None,
) -> None:
    sleeps: list[float] = []
    top = client(failing(errors, method), sleeps)
    if case.startswith("a permanent"):
        with pytest.raises(BackendError, match="TOP error 41"):
            top.call(method, {}, TARGET)
    else:
        assert top.call(method, {}, TARGET) == {"ok": True}
    assert len(sleeps) == waits
    if exact is not None:
        assert sleeps == exact


def test_a_write_whose_connection_failed_is_left_to_the_resource_layer() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ConnectError("reset", request=request)

    with pytest.raises(TransientError):
        client(handler).call("taobao.sellercenter.role.add", {}, TARGET)
    assert calls == [1]  # it may have been done: never blindly sent twice


def test_retries_give_up_after_the_attempts_with_the_last_error() -> None:
    sleeps: list[float] = []
    busy = {"code": 15, "sub_code": "isp.service-error"}
    with pytest.raises(TransientError, match=r"isp\.service-error"):
        client(failing([busy] * 10), sleeps).call("taobao.x.get", {}, TARGET)
    assert len(sleeps) == 5


def test_a_refused_timestamp_is_not_retried_and_tells_the_clock_the_request_carried() -> None:
    sleeps: list[float] = []
    refused = {"code": 31, "msg": "Invalid Timestamp", "sub_code": "isv.timestamp-out-of-range",
               "sub_msg": "server time is 2026-11-24 22:15:00 (GMT+8)"}
    with pytest.raises(BackendError, match="22:15:00 GMT\\+8\\) is 1 day behind") as caught:
        client(failing([refused] * 3), sleeps).call("taobao.x.get", {}, TARGET)
    assert not isinstance(caught.value, TransientError) and sleeps == []


def test_empty_valued_parameters_are_not_sent() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append({k: v[0] for k, v in parse_qs(request.content.decode(),
                                                 keep_blank_values=True).items()})
        return httpx.Response(200, json={"x_get_response": {}})

    client(handler).call("taobao.x.get", {"description": "", "nick": "n"}, TARGET)
    assert "description" not in seen[0] and seen[0]["nick"] == "n"


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_a_call_posts_signed_common_parameters_and_unwraps_the_answer() -> None:
    seen: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(form(request))
        return httpx.Response(200, json={"sellercenter_roles_get_response": {"roles": []}})

    body = client(handler).call("taobao.sellercenter.roles.get", {"nick": "优品数码专营"}, TARGET)
    assert body == {"roles": []}
    sent = seen[0]
    assert {k: sent[k] for k in ("format", "v", "sign_method", "timestamp")} == {
        "format": "json", "v": "2.0", "sign_method": "hmac", "timestamp": "2026-11-23 22:15:00",
    }
    assert sent["sign"] == sign(sent, SECRET, "hmac")


def test_an_error_response_raises_and_never_shows_the_secret_or_session() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error_response": {"code": 27, "msg": "Invalid session"}})

    with pytest.raises(AuthError) as caught:
        client(handler).call("taobao.sellercenter.roles.get", {"nick": "x"}, TARGET)
    assert SECRET not in str(caught.value) and "test-session" not in str(caught.value)


@pytest.mark.parametrize(("case", "response", "kind"), [
    ("a 5xx is transient", httpx.Response(502), TransientError),
    ("a non-JSON answer is a backend error", httpx.Response(200, content=b"<xml/>"),
     BackendError),
], ids=["a 5xx is transient", "a non-JSON answer is a backend error"])
def test_http_failures_are_translated(
    case: str, response: httpx.Response, kind: type[BackendError]
) -> None:
    with pytest.raises(kind):
        client(lambda request: response).call("taobao.x.get", {}, TARGET)


def test_a_connection_failure_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError, match="cannot reach TOP"):
        client(handler).call("taobao.x.get", {}, TARGET)


def test_paging_reads_every_page_until_the_total_count() -> None:
    subs = [{"sub_id": n, "nick": f"shop:{n}"} for n in range(5)]
    pages: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent = form(request)
        pages.append(sent["page_num"])
        size, num = int(sent["page_size"]), int(sent["page_num"])
        chunk = subs[(num - 1) * size:num * size]
        body = {"subusers": {"sub_user_info": chunk}, "total_count": len(subs)}
        return httpx.Response(200, content=json.dumps(
            {"sellercenter_subusers_page_response": body}).encode())

    got = list(client(handler).pages("taobao.sellercenter.subusers.page", {"nick": "shop"},
                                     "subusers", TARGET, page_size=2))
    assert [s["sub_id"] for s in got] == [0, 1, 2, 3, 4]
    assert pages == ["1", "2", "3"]


def test_page_sizes_outside_tops_range_are_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        list(client(lambda r: httpx.Response(200, json={})).pages(
            "taobao.sellercenter.subusers.page", {}, "subusers", TARGET, page_size=200))


def test_credentials_never_show_their_secrets_in_a_repr() -> None:
    text = repr(TopCredentials("12345678", SECRET, "test-session", {"tb": "other"}))
    assert SECRET not in text and "test-session" not in text and "other" not in text
