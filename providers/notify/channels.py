"""The group robots' message formats and signatures, one function per ``Webhook.type``.

=========  =====================================================================================
type       request
=========  =====================================================================================
dingtalk   ``{"msgtype": "markdown", "markdown": {"title", "text"}}``; signed (加签): the URL gains
           ``timestamp`` (ms) and ``sign`` = urlencode(base64(HMAC-SHA256(secret,
           "{timestamp}\\n{secret}"))); the answer's ``errcode`` is 0
wecom      ``{"msgtype": "markdown", "markdown": {"content"}}`` (企业微信群机器人, unsigned);
           ``errcode`` 0
feishu     ``{"msg_type": "text", "content": {"text"}}``; signed (签名校验): the body gains
           ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}",
           msg=b"")); ``code`` (or ``StatusCode``) 0
generic    ``{"text": ...}`` (Slack-compatible); any 2xx
=========  =====================================================================================
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Message:
    title: str  # "杭州优品 · shoporg drift (prod)"
    lines: tuple[str, ...]  # the summary, one fact a line
    link: str | None = None  # the full report

    def text(self) -> str:
        body = "\n".join((self.title, *self.lines))
        return f"{body}\n{self.link}" if self.link else body

    def markdown(self) -> str:
        lines = [f"**{self.title}**", "", *(f"- {line}" for line in self.lines)]
        if self.link:
            lines += ["", f"[full report]({self.link})"]
        return "\n".join(lines)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def request(kind: str, url: str, secret: str | None, message: Message,
            now: float) -> tuple[str, dict[str, Any]]:
    """The URL to post to and the JSON body, for a webhook of ``kind`` at time ``now``."""
    if kind == "dingtalk":
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {
            "title": message.title, "text": message.markdown()}}
        if secret:
            ts = int(now * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
        return url, body
    if kind == "wecom":
        return url, {"msgtype": "markdown", "markdown": {"content": message.markdown()}}
    if kind == "feishu":
        body = {"msg_type": "text", "content": {"text": message.text()}}
        if secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return url, body
    return url, {"text": message.text()}


def accepted(kind: str, answer: Any) -> str | None:
    """None when the robot took the message, else its own error words."""
    if not isinstance(answer, dict):
        return None if kind == "generic" else "not a JSON answer"
    if kind in ("dingtalk", "wecom"):
        code = answer.get("errcode", 0)
        return None if code == 0 else f"errcode {code}: {answer.get('errmsg', '')}"
    if kind == "feishu":
        code = answer.get("code", answer.get("StatusCode", 0))
        return None if code == 0 else f"code {code}: {answer.get('msg', '')}"
    return None
