"""TOP's wire rules as the *gateway* applies them, written from the documentation
(``shared/platform-apis.md`` §1.4), not from our client.

The endpoint (:mod:`.top_server`) must not import the connector's signing, timestamps or
response keys (``shoporg.backends.taobao.client``): a fake that shares its client's code
agrees with itself. ``tests/backends/test_top_protocol.py`` pins these functions to
hand-computed vectors and ``tests/backends/test_taobao_sdks.py`` drives the endpoint with
TOP client libraries that we did not write.

* **Signature**: every parameter but ``sign`` and the uploaded files, *and none with an
  empty value* (TOP's reference SDK leaves those out), keys in ASCII order, concatenated
  ``key1value1key2value2...``; ``md5`` = ``MD5(secret + s + secret)``, ``hmac`` =
  ``HMAC-MD5(secret, s)``, ``hmac-sha256`` = ``HMAC-SHA256(secret, s)``; upper-case hex
  (the gateway compares case-insensitively).
* **Timestamp**: ``yyyy-MM-dd HH:mm:ss`` in GMT+8, or the epoch in milliseconds (what TOP's
  own Python SDK sends); either within ±10 minutes of the gateway's clock.
* **Answers**: ``<method without "taobao.", dots → underscores>_response`` wraps the fields;
  with ``simplify=true`` (JSON only) the fields stand at the top level and lists are bare
  arrays; without it a list is wrapped once in its item name (``{"roles": {"role": [...]}}``).
  Errors are ``error_response`` (``code``, ``msg``, ``sub_code``, ``sub_msg``,
  ``request_id``). ``format`` is ``json`` or ``xml``; no format means XML.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from xml.sax.saxutils import escape

GATEWAY_SIGN_METHODS = ("md5", "hmac", "hmac-sha256")
BEIJING = timezone(timedelta(hours=8))
FORMATS = ("json", "xml")


def base_string(params: Mapping[str, str], skip: frozenset[str] = frozenset()) -> str:
    """The string TOP signs: sorted ``key + value`` of every non-empty, non-file parameter."""
    return "".join(
        key + params[key] for key in sorted(params)
        if key != "sign" and key not in skip and params[key] != ""
    )


def expected_sign(params: Mapping[str, str], secret: str, sign_method: str,
                  skip: frozenset[str] = frozenset()) -> str:
    """What the gateway expects in ``sign``; ValueError for an unknown ``sign_method``."""
    s = base_string(params, skip).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method == "md5":
        return hashlib.md5(key + s + key).hexdigest().upper()
    if sign_method == "hmac":
        return hmac.new(key, s, "md5").hexdigest().upper()
    if sign_method == "hmac-sha256":
        return hmac.new(key, s, "sha256").hexdigest().upper()
    raise ValueError(f"sign_method {sign_method!r} is not one of {GATEWAY_SIGN_METHODS}")


def read_timestamp(text: str) -> datetime:
    """An aware datetime from either documented form; ValueError otherwise."""
    stripped = text.strip()
    if stripped.isdigit():
        millis = int(stripped)
        if len(stripped) < 12:  # not milliseconds: seconds would be 10 digits until 2286
            raise ValueError(f"{text!r} is not an epoch in milliseconds")
        return datetime.fromtimestamp(millis / 1000, UTC)
    if len(stripped) != 19:
        raise ValueError(f"{text!r} is not yyyy-MM-dd HH:mm:ss")
    return datetime.strptime(stripped, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def beijing_time(when: datetime) -> str:
    """``when`` as the gateway prints it (GMT+8)."""
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def answer_key(method: str) -> str:
    """``taobao.subuser.info.update`` → ``subuser_info_update_response``."""
    name = method[len("taobao."):] if method.startswith("taobao.") else method
    return name.replace(".", "_") + "_response"


class Listed:
    """A TOP list in an answer: ``item`` is the element name TOP wraps each entry in
    (``roles`` → ``role``), used by the wrapped JSON and by XML."""

    __slots__ = ("item", "values")

    def __init__(self, item: str, values: list[Any]) -> None:
        self.item = item
        self.values = values

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listed) and (self.item, self.values) == (other.item,
                                                                          other.values)

    def __repr__(self) -> str:
        return f"Listed({self.item!r}, {self.values!r})"


def to_json_value(value: Any, simplify: bool) -> Any:
    """An answer value in TOP's JSON: lists wrapped once in their item name, or bare."""
    if isinstance(value, Listed):
        items = [to_json_value(v, simplify) for v in value.values]
        return items if simplify else {value.item: items}
    if isinstance(value, dict):
        return {k: to_json_value(v, simplify) for k, v in value.items()}
    return value


def json_body(method: str, fields: Mapping[str, Any], simplify: bool) -> dict[str, Any]:
    body = to_json_value(dict(fields), simplify)
    return body if simplify else {answer_key(method): body}


def _xml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def _xml(name: str, value: Any) -> str:
    if isinstance(value, Listed):
        inner = "".join(_xml(value.item, v) for v in value.values)
        return f'<{name} list="true">{inner}</{name}>'
    if isinstance(value, dict):
        return f"<{name}>" + "".join(_xml(k, v) for k, v in value.items()) + f"</{name}>"
    if value is None:
        return f"<{name}/>"
    return f"<{name}>{_xml_scalar(value)}</{name}>"


def xml_body(root: str, fields: Mapping[str, Any]) -> str:
    """``<?xml ...?><root>fields</root>``, as TOP's XML answers look."""
    return '<?xml version="1.0" encoding="utf-8" ?>' + _xml(root, dict(fields))
