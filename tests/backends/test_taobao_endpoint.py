"""The sandbox's TOP endpoint on its own: its wire rules (``top_protocol``) pinned to TOP's
documented signing example and to vectors computed by hand with ``openssl``, and its
behaviour as TOP's documentation describes it (simplify, formats, epoch-millisecond
timestamps, one session per main account, per-nick permissions, documented fields, code 50
business errors, every exception an ``error_response``, multipart and chunked bodies, wrong
paths and HTTP methods as TOP errors), driven by raw HTTP -- never through our client.

The signing example is the one in TOP's documentation ("API调用方法详解"): secret
``helloworld``, ``taobao.item.seller.get``, timestamp ``2016-01-01 12:00:00``, md5 →
``66987CB115214E59E6EC978214934FB8``. hmac and hmac-sha256 were computed with
``printf %s "$BASE" | openssl dgst -md5|-sha256 -hmac helloworld``.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import pytest

from shoporg.backends.sandbox import FaultConfig, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_protocol import (
    answer_key,
    base_string,
    expected_sign,
    read_timestamp,
)
from shoporg.backends.sandbox.top_server import TopService, top_id
from tests.backends.conftest import top_world

DOC = {
    "method": "taobao.item.seller.get", "app_key": "12345678", "session": "test",
    "timestamp": "2016-01-01 12:00:00", "format": "json", "v": "2.0",
    "fields": "num_iid,title,nick,price,num", "num_iid": "11223344",
}
SIGNATURES = [
    ("md5 reproduces TOP's documented example", "md5", "66987CB115214E59E6EC978214934FB8"),
    ("hmac is HMAC-MD5 of the sorted string", "hmac", "D56D7858309C31B6251083A874D48273"),
    ("hmac-sha256 is HMAC-SHA256 of the sorted string", "hmac-sha256",
     "04DB15AD0774D5CFCE2C837DE43E3FCEA9011ED74F3038FB6AB5F3C4CEA119E8"),
]


@pytest.mark.parametrize(("case", "method", "expected"), SIGNATURES,
                         ids=[s[0] for s in SIGNATURES])
def test_the_gateway_signature_matches_the_documented_vectors(
    case: str, method: str, expected: str
) -> None:
    assert expected_sign({**DOC, "sign_method": method}, "helloworld", method) == expected


def test_empty_values_files_and_the_sign_itself_are_left_out_of_the_signed_string() -> None:
    params = {"b": "2", "a": "1", "empty": "", "sign": "X", "image": "..."}
    assert base_string(params, frozenset({"image"})) == "a1b2"


TIMESTAMPS = [
    ("the documented form is read as GMT+8", "2026-12-01 20:00:00",
     datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
    ("epoch milliseconds (TOP's Python SDK) are read as UTC instants", "1796126400000",
     datetime(2026, 12, 1, 12, 0, tzinfo=UTC)),
]


@pytest.mark.parametrize(("case", "text", "when"), TIMESTAMPS, ids=[t[0] for t in TIMESTAMPS])
def test_both_timestamp_forms_are_read(case: str, text: str, when: datetime) -> None:
    assert read_timestamp(text) == when


@pytest.mark.parametrize("text", ["2026/12/01 20:00:00", "1796126400", "soon", ""])
def test_other_timestamps_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        read_timestamp(text)


def test_the_answer_key_drops_taobao_and_turns_dots_into_underscores() -> None:
    assert answer_key("taobao.sellercenter.subuser.permissions.roles.get") == (
        "sellercenter_subuser_permissions_roles_get_response")


# --- the endpoint over raw HTTP --------------------------------------------------------------

SECRET = "s3cret"
SESSIONS = {"tb": "session-tb", "tm": "session-tm"}


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[tuple[SandboxBackend, str]]:
    with top_world(tmp_path / "s.db", app_key="app", secret=SECRET, sessions=SESSIONS) as w:
        yield w


def signed(method: str, session: str = "session-tb", sign_method: str = "md5",
           **params: str) -> dict[str, str]:
    now = datetime.now(UTC)
    out = {"method": method, "app_key": "app", "session": session, "v": "2.0",
           "sign_method": sign_method, "format": "json",
           "timestamp": str(int(now.timestamp() * 1000)), **params}
    base = "".join(k + out[k] for k in sorted(out) if out[k] != "")
    if sign_method == "md5":
        out["sign"] = hashlib.md5((SECRET + base + SECRET).encode()).hexdigest().upper()
    else:
        import hmac
        out["sign"] = hmac.new(SECRET.encode(), base.encode(), "md5").hexdigest().upper()
    return out


def raw(url: str, verb: str = "POST", path: str | None = None, body: bytes | None = None,
        headers: dict[str, str] | None = None, query: dict[str, str] | None = None
        ) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    target = (path or parts.path) + ("?" + urlencode(query) if query else "")
    conn.request(verb, target, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, response.getheader("Content-Type") or "", data


def post(url: str, params: dict[str, str]) -> dict[str, Any]:
    status, _, data = raw(url, body=urlencode(params).encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200
    body: dict[str, Any] = json.loads(data)
    return body


def error(body: dict[str, Any]) -> tuple[int, str]:
    e = body["error_response"]
    return e["code"], e.get("sub_code", "")


def test_simplify_puts_the_fields_at_the_top_with_bare_lists(
    endpoint: tuple[SandboxBackend, str],
) -> None:
    _, url = endpoint
    body = post(url, signed("taobao.sellercenter.roles.get", nick="优品", simplify="true"))
    assert [r["role_name"] for r in body["roles"]] == ["客服"]
    wrapped = post(url, signed("taobao.sellercenter.roles.get", nick="优品"))
    assert [r["role_name"] for r in wrapped["sellercenter_roles_get_response"]["roles"]["role"]
            ] == ["客服"]


def test_no_format_or_xml_answers_xml_and_a_bad_format_is_code_23(
    endpoint: tuple[SandboxBackend, str],
) -> None:
    _, url = endpoint
    for fmt in ("", "xml"):
        _, ctype, data = raw(url, body=urlencode(
            signed("taobao.sellercenter.roles.get", nick="优品", format=fmt)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert "xml" in ctype
        root = ElementTree.fromstring(data)
        assert root.tag == "sellercenter_roles_get_response"
        assert root.find("roles").get("list") == "true"  # type: ignore[union-attr]
        assert root.findtext("roles/role/role_name") == "客服"
    _, _, data = raw(url, body=urlencode(
        signed("taobao.sellercenter.roles.get", nick="优品", format="yaml")).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert ElementTree.fromstring(data).findtext("code") == "23"


DOCUMENTED_FULLINFO = {
    "sub_id", "sub_nick", "sub_status", "sub_dispatch_status", "sub_owed_status", "user_id",
    "user_nick", "subuser_email", "user_email", "employee_id", "employee_name",
    "employee_nickname", "employee_num", "sex", "entry_date", "leader_id", "office_phone",
    "work_location", "department_id", "department_name", "parent_department", "duty_id",
    "duty_name", "duty_level",
}


def test_fullinfo_roles_and_permissions_carry_every_documented_field(
    endpoint: tuple[SandboxBackend, str],
) -> None:
    _, url = endpoint
    full = post(url, signed("taobao.subuser.fullinfo.get", sub_nick="优品:张伟", simplify="true",
                            fields="subuser_email,user_email"))["sub_fullinfo"]
    assert set(full) == DOCUMENTED_FULLINFO
    assert (full["sub_status"], full["employee_num"], full["subuser_email"]) == (
        1, "zhang-wei", "zw@example.com")
    held = post(url, signed("taobao.sellercenter.subuser.permissions.roles.get",
                            nick="优品:张伟", simplify="true"))
    role = held["subuser_permission"]["roles"][0]
    assert {"role_id", "role_name", "description", "seller_id", "create_time",
            "modified_time", "permissions"} <= set(role)
    assert read_timestamp(role["create_time"]) <= read_timestamp(role["modified_time"])
    assert all(p["is_authorize"] == 1 for p in role["permissions"])


def test_user_permissions_answer_per_nick(endpoint: tuple[SandboxBackend, str]) -> None:
    _, url = endpoint
    main = post(url, signed("taobao.sellercenter.user.permissions.get", nick="优品",
                            simplify="true"))["permissions"]
    sub = post(url, signed("taobao.sellercenter.user.permissions.get", nick="优品:张伟",
                           simplify="true"))["permissions"]
    assert {p["permission_code"] for p in sub} < {p["permission_code"] for p in main}
    assert "ww-chat" in {p["permission_code"] for p in sub}


ERRORS = [
    ("an unexpected value is an invalid argument, not a dropped connection",
     "taobao.sellercenter.subusers.page", {"nick": "优品", "page_size": "10", "page_num": "1",
                                           "account_status": "abc"},
     "session-tb", (41, "isv.invalid-parameter:account_status")),
    ("a boolean that is not one is an invalid argument", "taobao.subuser.info.update",
     {"sub_id": str(top_id("tb", "sub", "zhang-wei")), "is_dispatch": "perhaps"}, "session-tb",
     (41, "isv.invalid-parameter:is_dispatch")),
    ("a sub_id that is not a number is an invalid argument", "taobao.subuser.info.update",
     {"sub_id": "abc"}, "session-tb", (41, "isv.invalid-parameter:sub_id")),
    ("a missing sub-account is business error 50 with an isv sub-code",
     "taobao.subuser.fullinfo.get", {"sub_nick": "优品:nobody"}, "session-tb",
     (50, "isv.subuser-not-exist")),
    ("a session serves one main account: another seller's nick is code 42",
     "taobao.sellercenter.roles.get", {"nick": "优品旗舰"}, "session-tb",
     (42, "isv.session-not-match-nick")),
    ("the other account's own session reads it", "taobao.sellercenter.roles.get",
     {"nick": "优品旗舰"}, "session-tm", None),
    ("an unknown session is code 27", "taobao.sellercenter.roles.get", {"nick": "优品"},
     "nope", (27, "invalid-sessionkey")),
    ("an unknown method is code 22", "taobao.subuser.employee.add", {"sub_id": "1"},
     "session-tb", (22, "")),
    ("an unknown permission code is refused as a business error",
     "taobao.sellercenter.role.add", {"nick": "优品", "name": "x", "permission_codes": "nope"},
     "session-tb", (50, "isv.permission-code-invalid")),
]


@pytest.mark.parametrize(("case", "method", "params", "session", "expected"), ERRORS,
                         ids=[e[0] for e in ERRORS])
def test_errors_are_top_errors(
    endpoint: tuple[SandboxBackend, str], case: str, method: str, params: dict[str, str],
    session: str, expected: tuple[int, str] | None,
) -> None:
    _, url = endpoint
    body = post(url, signed(method, session=session, **params))
    if expected is None:
        assert "error_response" not in body
    else:
        assert error(body) == expected


def test_any_exception_in_a_method_becomes_error_15(
    endpoint: tuple[SandboxBackend, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = endpoint

    def broken(*args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(TopService, "_role_times", broken)
    body = post(url, signed("taobao.sellercenter.roles.get", nick="优品"))
    assert error(body) == (15, "isp.unknown-error")


def test_multipart_and_chunked_posts_are_understood(
    endpoint: tuple[SandboxBackend, str],
) -> None:
    _, url = endpoint
    params = signed("taobao.sellercenter.roles.get", nick="优品")
    boundary = "----shoporg"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in params.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                 f'filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n')
    body = ("".join(parts) + f"--{boundary}--\r\n").encode("utf-8")
    status, _, data = raw(url, body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 200 and "error_response" not in json.loads(data)

    form = urlencode(params).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(form[i:i + 50]), form[i:i + 50])
                      for i in range(0, len(form), 50)) + b"0\r\n\r\n"
    status, _, data = raw(url, body=chunks, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"})
    assert status == 200 and "error_response" not in json.loads(data)


def test_a_get_with_the_query_string_works(endpoint: tuple[SandboxBackend, str]) -> None:
    _, url = endpoint
    status, _, data = raw(url, "GET", query=signed("taobao.sellercenter.roles.get", nick="优品"))
    assert status == 200 and "error_response" not in json.loads(data)


WRONG = [
    ("a wrong path is a TOP error with 404", "POST", "/rest", 404, 22),
    ("PUT is not an allowed HTTP action", "PUT", None, 405, 9),
    ("DELETE is not an allowed HTTP action", "DELETE", None, 405, 9),
    ("an unknown HTTP verb is a TOP error too", "BREW", None, 501, 9),
]


@pytest.mark.parametrize(("case", "verb", "path", "status", "code"), WRONG,
                         ids=[w[0] for w in WRONG])
def test_wrong_paths_and_methods_answer_top_errors_not_html(
    endpoint: tuple[SandboxBackend, str], case: str, verb: str, path: str | None,
    status: int, code: int,
) -> None:
    _, url = endpoint
    got, ctype, data = raw(url, verb, path, query={"format": "json"})
    assert got == status
    assert "html" not in ctype
    assert json.loads(data)["error_response"]["code"] == code


def test_a_plain_session_with_several_main_accounts_names_the_json_form(
    tmp_path: Path,
) -> None:
    seller = SandboxBackend(tmp_path / "s.db", instrumented=False)
    sc = SellerCenter(seller)
    sc.register_account("tb", "taobao", "优品", 5)
    sc.register_account("tm", "tmall", "优品旗舰", 5)
    service = TopService(SandboxBackend(tmp_path / "s.db", actor="top-api"), app_key="app",
                         app_secret=SECRET, session="one-for-all")
    body = service.call(signed("taobao.sellercenter.roles.get", session="one-for-all",
                               nick="优品"))
    assert error(body) == (27, "invalid-sessionkey")
    assert "<account id>" in body["error_response"]["sub_msg"]
    generated = TopService(SandboxBackend(tmp_path / "s.db", actor="top-api"), app_key="app",
                           app_secret=SECRET)
    assert set(generated.sessions) == {"tb", "tm"}
    assert len(set(generated.sessions.values())) == 2


FAULTS = [
    ("a transient fault is code 10 by default", {"transient_rate": 1}, (10,
     "isp.service-unavailable")),
    ("a transient fault can be an isp remote-connection error",
     {"transient_rate": 1, "isp_sub_codes": ["isp.remote-connection-error"]},
     (15, "isp.remote-connection-error")),
    ("a throttle is code 7 by default", {"throttle_rate": 1},
     (7, "accesscontrol.limited-by-app-access-count")),
    ("a throttle can be isp.call-limited", {"throttle_rate": 1, "call_limited": "isp"},
     (15, "isp.call-limited")),
]


@pytest.mark.parametrize(("case", "faults", "expected"), FAULTS, ids=[f[0] for f in FAULTS])
def test_injected_faults_reach_clients_as_the_configured_top_errors(
    endpoint: tuple[SandboxBackend, str], case: str, faults: dict[str, object],
    expected: tuple[int, str],
) -> None:
    seller, url = endpoint
    SellerCenter(seller).set_faults(FaultConfig.from_mapping({"seed": 1, **faults}))
    assert error(post(url, signed("taobao.sellercenter.roles.get", nick="优品"))) == expected


STATUSES = [
    ("punished is served as 3 on the page and in the full info", 3),
    ("deleted is served as -1", -1),
]


@pytest.mark.parametrize(("case", "code"), STATUSES, ids=[s[0] for s in STATUSES])
def test_injected_statuses_are_served(
    endpoint: tuple[SandboxBackend, str], case: str, code: int,
) -> None:
    seller, url = endpoint
    SellerCenter(seller).set_faults(FaultConfig.from_mapping(
        {"top_statuses": f"tb/zhang-wei={code}"}))
    page = post(url, signed("taobao.sellercenter.subusers.page", nick="优品", page_size="10",
                            page_num="1", simplify="true"))
    assert [s["status"] for s in page["subusers"]] == [code]
    full = post(url, signed("taobao.subuser.fullinfo.get", sub_nick="优品:张伟",
                            simplify="true"))
    assert full["sub_fullinfo"]["sub_status"] == code
