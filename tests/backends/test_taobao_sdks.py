"""The independent-client tier: ``shoporg sandbox serve``'s TOP endpoint driven by TOP client
libraries we did not write, from the package registries, for all eight TOP methods shoporg
uses and the error cases. None of them shares code with the endpoint or our client:

* ``topsdk`` (PyPI): TOP's own Python SDK ("taobao-sdk-python-20180413") -- md5, system
  parameters in the query string and business parameters in a POST body, epoch-millisecond
  timestamps, ``partner_id``;
* ``taobaopy`` (PyPI): an independent Python client on ``requests`` -- hmac, everything in a
  form POST (multipart when a file is sent), local wall-clock timestamps (run under
  ``TZ=Asia/Shanghai``, as TOP expects GMT+8), its own retries of ``isp.*`` errors;
* ``node-taobao-topclient`` (npm): a Node client -- md5, GET or form POST, local wall-clock
  timestamps. It is installed by this test into ``~/.cache/shoporg/node-top`` (never into the
  repo); without node/npm the Node cases skip locally and fail under ``CI=true``.

Each SDK signs with what it supports (topsdk and node: md5; taobaopy: hmac); GET is the Node
client's. The Python SDKs are test-only dependencies in pyproject's ``test`` extra.
"""

from __future__ import annotations

import gc
import io
import json
import os
import shutil
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from shoporg.backends.sandbox import FaultConfig, SandboxBackend, SellerCenter
from shoporg.backends.sandbox.top_server import top_id
from tests.backends.conftest import top_world

# topsdk never closes its HTTP connection: the SDK's leak, not the endpoint's.
pytestmark = [pytest.mark.slow,  # the SDKs' own processes: started first (tests/conftest.py)
              pytest.mark.filterwarnings("ignore::ResourceWarning"),
              pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")]

REPO = Path(__file__).resolve().parents[2]
NODE_DRIVER = REPO / "tests" / "fixtures" / "top_sdks" / "node_call.js"
NODE_PACKAGE = "node-taobao-topclient@0.1.7"
NODE_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shoporg" / (
    "node-top")
APP_KEY, SECRET = "12345678", "sdk-secret"
SESSIONS = {"tb": "sdk-session-tb", "tm": "sdk-session-tm"}
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


class SdkError(Exception):
    def __init__(self, code: object, sub_code: object) -> None:
        super().__init__(f"{code} {sub_code}")
        self.code = int(str(code)) if code not in (None, "") else -1
        self.sub_code = str(sub_code or "")


@dataclass
class Sdk:
    name: str
    call: Callable[[str, str, str, dict[str, Any], str], dict[str, Any]]
    http_methods: tuple[str, ...] = ("POST",)


# --- the three SDKs ------------------------------------------------------------------------


@pytest.fixture(autouse=True, scope="module")
def _collect_what_the_sdks_leave_open() -> Iterator[None]:
    """The SDKs' own unclosed connections are collected here, not in a later test module
    (where ``filterwarnings = error`` would fail whatever test the collector ran in)."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _topsdk(url: str, session: str, method: str, params: dict[str, Any], http: str
            ) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its source has `is not 200`: a SyntaxWarning
        import top
        from top.api.base import RestApi, TopException
    parts = urlsplit(url)

    class Request(RestApi):  # type: ignore[misc]
        def getapiname(self) -> str:
            return method

    request = Request(parts.hostname, parts.port)
    request.set_app_info(top.appinfo(APP_KEY, SECRET))
    for key, value in params.items():
        setattr(request, key, value)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                answer: dict[str, Any] = request.getResponse(session)
            finally:
                del request
                gc.collect()  # it never closes its connection: let that warning go here
    except TopException as exc:
        raise SdkError(exc.errorcode, exc.subcode) from None
    return answer


def _taobaopy(url: str, session: str, method: str, params: dict[str, Any], http: str
              ) -> dict[str, Any]:
    from taobaopy.taobao import TaoBaoAPIClient, TaoBaoAPIError

    parts = urlsplit(url)
    client = TaoBaoAPIClient(APP_KEY, SECRET, domain=f"http://{parts.netloc}", retry_count=3)
    client.set_access_token(session)
    attr = method.removeprefix("taobao.").replace(".", "_")
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"  # it stamps datetime.now(): TOP's clock is GMT+8
    time.tzset()
    try:
        answer: dict[str, Any] = getattr(client, attr)(**params)
    except TaoBaoAPIError as exc:
        raise SdkError(exc.code, exc.sub_code) from None
    finally:
        # Each request's requests.Session is never closed by the SDK: collect it here, or
        # its socket is collected (and warned about) during some later, unrelated test.
        del client
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()
    return answer


def _node_ready() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        unavailable("node and npm are needed for the Node TOP client tier")
    modules = NODE_CACHE / "node_modules"
    if not (modules / "node-taobao-topclient" / "lib" / "topClient.js").exists():
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [npm or "npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
             "--prefix", str(NODE_CACHE), NODE_PACKAGE],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if proc.returncode != 0:
            unavailable(f"npm could not install {NODE_PACKAGE}: {proc.stderr.strip()[-300:]}")
    return modules


def _node(url: str, session: str, method: str, params: dict[str, Any], http: str
          ) -> dict[str, Any]:
    modules = _node_ready()
    request = {"url": url, "appkey": APP_KEY, "appsecret": SECRET, "method": method,
               "params": {**params, "session": session}, "http": http}
    proc = subprocess.run(
        ["node", str(NODE_DRIVER)], input=json.dumps(request), capture_output=True, text=True,
        timeout=60, check=False,
        env={**os.environ, "NODE_PATH": str(modules), "TZ": "Asia/Shanghai"},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    if "error" in out:
        raise SdkError(out["error"].get("code"), out["error"].get("sub_code"))
    answer: dict[str, Any] = out["ok"]
    return {method.removeprefix("taobao.").replace(".", "_") + "_response": answer}


def _python_sdk(module: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            __import__(module)
    except ImportError:
        unavailable(f"the TOP SDK module {module!r} is not installed: "
                    "pip install -e '.[test]' (or make setup)")


SDKS = [
    Sdk("topsdk (TOP's Python SDK, md5, epoch-ms, POST)", _topsdk),
    Sdk("taobaopy (hmac, form POST)", _taobaopy),
    Sdk("node-taobao-topclient (md5, GET and POST)", _node, ("GET", "POST")),
]
REQUIRES = {SDKS[0].name: "top.api.base", SDKS[1].name: "taobaopy.taobao"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SandboxBackend, str]]:
    with top_world(tmp_path / "s.db", app_key=APP_KEY, secret=SECRET, sessions=SESSIONS) as w:
        yield w


def inner(method: str, answer: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = answer[method.removeprefix("taobao.").replace(".", "_") + "_response"]
    return body


SUB_ID = str(top_id("tb", "sub", "zhang-wei"))


def _check_page(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert [s["nick"] for s in b["subusers"]["sub_user_info"]] == ["优品:张伟"]
    assert b["total_count"] == 1


def _check_full(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert b["sub_fullinfo"]["sub_id"] == int(SUB_ID)
    assert b["sub_fullinfo"]["department_name"] == "客服部"


def _check_depts(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert [d["department_name"] for d in b["departments"]["department"]] == ["客服部"]


def _check_roles(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert [r["role_name"] for r in b["roles"]["role"]] == ["客服"]


def _check_add(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert b["role"]["role_name"] == "运营"
    assert seller.get_role_by_name("tb", "运营") is not None


def _check_held(b: dict[str, Any], seller: SandboxBackend) -> None:
    roles = b["subuser_permission"]["roles"]["role"]
    assert [r["role_name"] for r in roles] == ["客服"]


def _check_perms(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert "ww-chat" in {p["permission_code"] for p in b["permissions"]["permission"]}


def _check_update(b: dict[str, Any], seller: SandboxBackend) -> None:
    assert b["is_success"] is True
    live = seller.get_sub_account("tb", "zhang-wei")
    assert live is not None and live.status == "disabled"


METHODS: list[tuple[str, str, dict[str, Any], Callable[[dict[str, Any], SandboxBackend], None]]
              ] = [
    ("the paged sub-account list", "taobao.sellercenter.subusers.page",
     {"nick": "优品", "page_size": 10, "page_num": 1}, _check_page),
    ("one sub-account's full info", "taobao.subuser.fullinfo.get",
     {"sub_nick": "优品:张伟", "fields": "subuser_email"}, _check_full),
    ("the departments", "taobao.subuser.departments.get", {"user_nick": "优品"}, _check_depts),
    ("the roles", "taobao.sellercenter.roles.get", {"nick": "优品"}, _check_roles),
    ("a role created", "taobao.sellercenter.role.add",
     {"nick": "优品", "name": "运营", "permission_codes": "ww-chat", "description": "运营"},
     _check_add),
    ("a sub-account's roles", "taobao.sellercenter.subuser.permissions.roles.get",
     {"nick": "优品:张伟"}, _check_held),
    ("the permission points", "taobao.sellercenter.user.permissions.get", {"nick": "优品"},
     _check_perms),
    ("a sub-account disabled", "taobao.subuser.info.update",
     {"sub_id": SUB_ID, "is_disable_subaccount": "true"}, _check_update),
]

CASES = [
    pytest.param(sdk, http, m, id=f"{sdk.name} reads {m[0]} by {http}")
    for sdk in SDKS for http in sdk.http_methods for m in METHODS
]


def _ready(sdk: Sdk) -> None:
    if sdk.name in REQUIRES:
        _python_sdk(REQUIRES[sdk.name])
    else:
        _node_ready()


@pytest.mark.parametrize(("sdk", "http", "case"), CASES)
def test_every_method_shoporg_uses_answers_an_independent_sdk(
    world: tuple[SandboxBackend, str], sdk: Sdk, http: str,
    case: tuple[str, str, dict[str, Any], Callable[[dict[str, Any], SandboxBackend], None]],
) -> None:
    _ready(sdk)
    seller, url = world
    _, method, params, check = case
    check(inner(method, sdk.call(url, SESSIONS["tb"], method, params, http)), seller)


ERRORS = [
    ("a wrong session is code 27", "nope", "taobao.sellercenter.roles.get", {"nick": "优品"},
     27, "invalid-sessionkey"),
    ("another seller's nick is code 42", SESSIONS["tb"], "taobao.sellercenter.roles.get",
     {"nick": "优品旗舰"}, 42, "isv.session-not-match-nick"),
    ("a missing sub-account is business error 50", SESSIONS["tb"],
     "taobao.subuser.fullinfo.get", {"sub_nick": "优品:nobody"}, 50, "isv.subuser-not-exist"),
    ("a bad value is an invalid argument, not a dropped connection", SESSIONS["tb"],
     "taobao.sellercenter.subusers.page",
     {"nick": "优品", "page_size": 10, "page_num": 1, "account_status": "abc"}, 41,
     "isv.invalid-parameter:account_status"),
    ("a withdrawn method is code 22", SESSIONS["tb"], "taobao.subuser.employee.add",
     {"sub_id": SUB_ID}, 22, ""),
]


@pytest.mark.parametrize(("sdk", "case"), [
    pytest.param(sdk, e, id=f"{sdk.name}: {e[0]}") for sdk in SDKS for e in ERRORS
])
def test_errors_reach_an_independent_sdk_as_top_errors(
    world: tuple[SandboxBackend, str], sdk: Sdk, case: tuple[str, str, str, dict[str, Any],
                                                             int, str],
) -> None:
    _ready(sdk)
    _, url = world
    _, session, method, params, code, sub_code = case
    with pytest.raises(SdkError) as caught:
        sdk.call(url, session, method, params, sdk.http_methods[-1])
    assert (caught.value.code, caught.value.sub_code) == (code, sub_code)


def test_a_wrong_secret_fails_every_sdks_signature(world: tuple[SandboxBackend, str]) -> None:
    _, url = world
    global SECRET
    for sdk in SDKS:
        _ready(sdk)
    real, SECRET = SECRET, "wrong"
    try:
        for sdk in SDKS:
            with pytest.raises(SdkError) as caught:
                sdk.call(url, SESSIONS["tb"], "taobao.sellercenter.roles.get", {"nick": "优品"},
                         "POST")
            assert caught.value.code == 25, sdk.name
    finally:
        SECRET = real


def test_a_multipart_upload_from_taobaopy_is_understood_and_the_file_not_signed(
    world: tuple[SandboxBackend, str],
) -> None:
    _python_sdk("taobaopy.taobao")
    _, url = world
    answer = _taobaopy(url, SESSIONS["tb"], "taobao.sellercenter.roles.get",
                       {"nick": "优品", "image": io.BytesIO(b"\x89PNG")}, "POST")
    assert [r["role_name"] for r in inner("taobao.sellercenter.roles.get", answer)["roles"][
        "role"]] == ["客服"]


def test_taobaopy_retries_an_injected_isp_error_by_itself(
    world: tuple[SandboxBackend, str],
) -> None:
    _python_sdk("taobaopy.taobao")
    seller, url = world
    SellerCenter(seller).set_faults(FaultConfig.from_mapping({
        "fail_on_call": 1, "isp_sub_codes": ["isp.top-remote-service-unavailable"]}))
    answer = _taobaopy(url, SESSIONS["tb"], "taobao.sellercenter.roles.get", {"nick": "优品"},
                       "POST")
    assert inner("taobao.sellercenter.roles.get", answer)["roles"]["role"]
