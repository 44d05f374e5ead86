"""The independent-client tier for Kuaishou: ``shoporg sandbox serve --protocol kuaishou``'s
endpoint driven by Kuaishou client libraries from PyPI that we did not write, through the
whole staff lifecycle and a wrong secret. Neither shares code with the endpoint:

* ``ks-shop-python-sdk`` 0.3.0 (module ``ks_shop_api``): a thin ``RestApi`` -- MD5,
  ``base_url + "/" + method.replace(".", "/")``, system and business parameters in one form
  POST (or a GET query), the JSON answer returned as it came. It has no request classes for
  the staff methods, so each is a ``RestApi`` subclass naming its method, exactly as the
  package's own request classes are written; it points at loopback by setting the instance's
  ``base_url`` attribute (its constructor sets it; nothing is patched).
* ``kwaixiaodian`` 1.0.3: a port of the official Java SDK's request and domain classes. Its
  request models (``UserSubAccountCreateRequest`` ...) build the business parameters, its
  ``SignatureManager`` signs (HMAC_SHA256 and MD5), its ``SyncHTTPClient`` sends, and its
  domain models (``Staffs``, ``CreateStaffData``, ``SubAccountRoleListData`` ...) parse the
  answer's ``data``. Two parts of it contradict Kuaishou's documentation and are not used
  for the calls: its URL builder (``/open/`` + the dotted method: ``/open/open/user/...``)
  and its envelope parser (payload read from ``result``, failures from ``error_code``);
  :func:`test_kwaixiaodians_own_url_builder_is_refused_as_an_invalid_url` pins the first.
  Its ``server_url`` is a constructor argument (``AuthConfig.server_url``).

Both are test-only dependencies in pyproject's ``test`` extra.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.backends.test_kuaishou_endpoint import (
    APP_KEY,
    ROLES,
    SECRET,
    SELLER,
    TOKEN,
    KsWorld,
    kuaishou_world,
)

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning")]

ROLE_LIST = "open.user.sub.account.role.list"
CREATE = "open.user.sub.account.create"
LIST = "open.user.sub.account.list"
UPDATE = "open.user.sub.account.update"
STATUS = "open.user.sub.account.status.update"
REMOVE = "open.user.sub.account.remove"


class SdkError(Exception):
    def __init__(self, result: object, error_msg: object, sub_code: object = "") -> None:
        super().__init__(f"{result} {error_msg} {sub_code}")
        self.result = int(str(result))
        self.error_msg = str(error_msg or "")
        self.sub_code = str(sub_code or "")


def _quiet_import(module: str) -> Any:
    """Import an SDK module; its pydantic models warn on import (field shadowing)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return __import__(module, fromlist=["_"])
    except ImportError:
        pytest.skip(f"{module} is not installed: pip install -e '.[test]' (or make setup)")


# --- ks-shop-python-sdk --------------------------------------------------------------------


def ks_shop(url: str, method: str, param: dict[str, Any], *, secret: str = SECRET,
            token: str = TOKEN, http: str = "POST") -> dict[str, Any]:
    base = _quiet_import("ks_shop_api.base")

    class Request(base.RestApi):  # type: ignore[misc,name-defined]
        def get_api_name(self) -> str:
            return method

        def set_httpmethod(self) -> None:
            self.httpmethod = http

    request = Request(APP_KEY, "app-secret", secret)
    request.base_url = url  # the SDK's own attribute for the gateway
    answer: dict[str, Any] = request.getResponse(token, params=param)
    if answer.get("result") != 1:
        raise SdkError(answer.get("result"), answer.get("error_msg"), answer.get("sub_code"))
    data: dict[str, Any] = answer["data"]
    return data


# --- kwaixiaodian ----------------------------------------------------------------------------


@dataclass
class Kwai:
    """The kwaixiaodian pieces a call uses."""

    url: str
    secret: str = SECRET
    sign_method: str = "HMAC_SHA256"

    def call(self, request: Any, data_model: Any) -> Any:
        auth = _quiet_import("kwaixiaodian.auth")
        http = _quiet_import("kwaixiaodian.http")
        config = auth.AuthConfig(app_key=APP_KEY, app_secret="app-secret",
                                 sign_secret=self.secret,
                                 sign_method=auth.SignMethod(self.sign_method),
                                 server_url=self.url)
        params = auth.SignatureManager(config).build_signed_params(
            method=request.api_method, access_token=request.access_token,
            business_params=request.get_business_params(), version=request.api_version)
        # Kuaishou's documented gateway path (API调用说明 §3), not kwaixiaodian's builder.
        url = config.server_url + "/" + request.api_method.replace(".", "/")
        client = http.SyncHTTPClient(http.HTTPConfig(), http.RetryConfig(max_retries=0))
        try:
            response = client.post(url, data=params)
        finally:
            client.close()
        body = response.json()
        if body.get("result") != 1:
            raise SdkError(body.get("result"), body.get("error_msg"), body.get("sub_code"))
        return data_model.model_validate(body["data"])


def user_models() -> Any:
    return _quiet_import("kwaixiaodian.models.user")


# --- the lifecycle, by each SDK ----------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[KsWorld]:
    with kuaishou_world(tmp_path / "s.db") as w:
        yield w


@pytest.mark.parametrize("http", ["POST", "GET"])
def test_ks_shop_sdk_drives_the_whole_staff_lifecycle(world: KsWorld, http: str) -> None:
    def call(method: str, param: dict[str, Any]) -> dict[str, Any]:
        return ks_shop(world.url, method, param, http=http)

    roles = call(ROLE_LIST, {})["roles"]
    assert {r["roleId"]: r["roleName"] for r in roles} == ROLES
    staff_id = call(CREATE, {"contactPhone": "13700000001", "roleIds": [11, 12],
                             "nickName": "小周", "phone": "13700000009",
                             "remarks": "新人"})["staffUserid"]
    listed = call(LIST, {"page": 1, "count": 20})
    assert [s["nickName"] for s in listed["staffs"]] == ["张伟", "小周"]
    assert call(UPDATE, {"staffUserId": staff_id, "roleIds": [13], "remarks": "调岗",
                         "contactPhone": "13700000002"}) == {"success": True}
    assert call(STATUS, {"staffUserId": staff_id, "stop": True}) == {"success": True}
    assert [s["nickName"] for s in call(LIST, {})["staffs"]] == ["张伟"]
    assert call(STATUS, {"staffUserId": staff_id, "stop": False}) == {"success": True}
    assert call(REMOVE, {"staffUserId": staff_id}) == {"success": True}
    removed = call(LIST, {"includeDeleted": True, "userName": "小周"})["staffs"]
    assert [(s["deleted"], s["remarks"], [r["roleId"] for r in s["roleInfo"]])
            for s in removed] == [(True, "调岗", [13])]
    live = world.staff.staff(SELLER, staff_id)
    assert (live.deleted, live.contact_phone, live.phone) == (True, "13700000002",
                                                              "13700000009")


@pytest.mark.parametrize("sign_method", ["HMAC_SHA256", "MD5"])
def test_kwaixiaodian_requests_and_models_drive_the_whole_staff_lifecycle(
    world: KsWorld, sign_method: str,
) -> None:
    m = user_models()
    kwai = Kwai(world.url, sign_method=sign_method)

    roles = kwai.call(m.UserSubAccountRoleListRequest(access_token=TOKEN),
                      m.SubAccountRoleListData)
    assert {r.role_id: r.role_name for r in roles.roles} == ROLES
    created = kwai.call(m.UserSubAccountCreateRequest(
        access_token=TOKEN, contact_phone="13700000001", role_ids=[11], nick_name="小周",
        phone="13700000009", remarks="新人"), m.CreateStaffData)
    staff_id = created.staff_userid
    staffs = kwai.call(m.UserSubAccountListRequest(access_token=TOKEN, count=20, page=1),
                       m.Staffs)
    assert [s.nick_name for s in staffs.staffs] == ["张伟", "小周"]
    assert (staffs.total_count, staffs.normal_count, staffs.disabled_count,
            staffs.deleted_count) == (2, 2, 1, 1)
    mine = staffs.staffs[1]
    assert (mine.staff_user_id, mine.phone, mine.disabled, mine.deleted) == (
        staff_id, "13700000009", False, False)
    assert [(r.role_id, r.role_name) for r in mine.role_info] == [(11, "客服")]
    assert kwai.call(m.UserSubAccountUpdateRequest(
        access_token=TOKEN, staff_user_id=staff_id, role_ids=[12, 13], remarks="调岗"),
        m.UpdateStaffResp).success
    assert kwai.call(m.UserSubAccountStatusUpdateRequest(
        access_token=TOKEN, staff_user_id=staff_id, stop=True),
        m.UpdateStaffStatusResp).success
    stopped = kwai.call(m.UserSubAccountListRequest(
        access_token=TOKEN, include_disabled=True, user_name="小周"), m.Staffs)
    assert [(s.disabled, s.remarks) for s in stopped.staffs] == [(True, "调岗")]
    assert kwai.call(m.UserSubAccountStatusUpdateRequest(
        access_token=TOKEN, staff_user_id=staff_id, stop=False),
        m.UpdateStaffStatusResp).success
    assert kwai.call(m.UserSubAccountRemoveRequest(access_token=TOKEN, staff_user_id=staff_id),
                     m.RemoveStaffResp).success
    gone = kwai.call(m.UserSubAccountListRequest(
        access_token=TOKEN, include_deleted=True, user_name="小周"), m.Staffs)
    assert [s.deleted for s in gone.staffs] == [True]
    assert world.staff.staff(SELLER, staff_id).deleted


# --- what the SDKs are refused ---------------------------------------------------------------


def _ks_shop_roles(url: str, secret: str, token: str) -> Any:
    return ks_shop(url, ROLE_LIST, {}, secret=secret, token=token)


def _kwai_roles(sign_method: str) -> Callable[[str, str, str], Any]:
    def run(url: str, secret: str, token: str) -> Any:
        m = user_models()
        return Kwai(url, secret, sign_method).call(
            m.UserSubAccountRoleListRequest(access_token=token), m.SubAccountRoleListData)
    return run


CLIENTS = [
    pytest.param(_ks_shop_roles, id="ks-shop-python-sdk (MD5)"),
    pytest.param(_kwai_roles("HMAC_SHA256"), id="kwaixiaodian (HMAC_SHA256)"),
    pytest.param(_kwai_roles("MD5"), id="kwaixiaodian (MD5)"),
]


@pytest.mark.parametrize("client", CLIENTS)
def test_a_wrong_secret_is_refused_as_a_bad_signature(
    world: KsWorld, client: Callable[[str, str, str], Any],
) -> None:
    with pytest.raises(SdkError) as caught:
        client(world.url, "not-the-sign-secret", TOKEN)
    assert (caught.value.result, caught.value.error_msg) == (14, "签名校验失败")


@pytest.mark.parametrize("client", CLIENTS)
def test_an_unknown_token_is_refused_as_authentication_failed(
    world: KsWorld, client: Callable[[str, str, str], Any],
) -> None:
    with pytest.raises(SdkError) as caught:
        client(world.url, SECRET, "tok-nobody")
    assert (caught.value.result, caught.value.error_msg) == (24, "鉴权失败")


def test_a_business_rule_reaches_ks_shop_with_its_code(world: KsWorld) -> None:
    with pytest.raises(SdkError) as caught:
        ks_shop(world.url, CREATE, {"contactPhone": "13700000001", "roleIds": [99],
                                    "nickName": "小周"})
    assert (caught.value.result, caught.value.sub_code) == (22, "ks_role_unknown")


def test_kwaixiaodians_own_url_builder_is_refused_as_an_invalid_url(world: KsWorld) -> None:
    """kwaixiaodian 1.0.3's client sends to ``/open/open/user/...`` (its URL builder prefixes
    ``/open/`` to the dotted method); the gateway answers that path 404 "Invalid url", and
    the SDK reports an error rather than an empty success."""
    main = _quiet_import("kwaixiaodian")
    errors = _quiet_import("kwaixiaodian.exceptions")
    http = _quiet_import("kwaixiaodian.http")
    with main.SyncKwaixiaodianClient(app_key=APP_KEY, app_secret="app-secret",
                                     sign_secret=SECRET, server_url=world.url,
                                     retry_config=http.RetryConfig(max_retries=0)) as client:
        with pytest.raises(errors.KwaixiaodianAPIError) as caught:
            client.user.list_sub_account_roles(access_token=TOKEN)
    assert caught.value.http_status == 404


# --- the gateway's signature agrees with the SDKs' ---------------------------------------------


SIGNED = {"appkey": APP_KEY, "method": CREATE, "version": "1", "access_token": TOKEN,
          "timestamp": "1583271919000",
          "param": '{"contactPhone":"13700000001","nickName":"小周","roleIds":[11]}'}


@pytest.mark.parametrize("sign_method", ["MD5", "HMAC_SHA256"])
def test_the_gateways_expected_sign_is_what_kwaixiaodian_computes(sign_method: str) -> None:
    from shoporg.backends.sandbox.kuaishou_protocol import expected_sign

    auth = _quiet_import("kwaixiaodian.auth")
    types = _quiet_import("kwaixiaodian.auth.types")
    config = auth.AuthConfig(app_key=APP_KEY, app_secret="app-secret", sign_secret=SECRET,
                             sign_method=auth.SignMethod(sign_method))
    theirs = auth.SignatureManager(config).sign_request(types.SignatureParams(
        method=CREATE, app_key=APP_KEY, access_token=TOKEN, version="1",
        timestamp=SIGNED["timestamp"], sign_method=sign_method, param=SIGNED["param"]))
    params = {**SIGNED, "signMethod": sign_method}
    assert expected_sign(params, SECRET, sign_method) == theirs


def test_the_gateways_md5_sign_is_what_ks_shop_computes(capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from shoporg.backends.sandbox.kuaishou_protocol import expected_sign

    base = _quiet_import("ks_shop_api.base")
    params = {**SIGNED, "signMethod": "MD5"}
    theirs = base.sign(SECRET, params)
    capsys.readouterr()  # it prints the string it signs (secret included): not for the log
    assert expected_sign(params, SECRET, "MD5") == theirs
