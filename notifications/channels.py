"""The channels that leave the site: email over SMTP, 企业微信 and 钉钉 group robots over HTTPS.

Each sender either returns (delivered) or raises `DeliveryError` with a Chinese reason; `throttled` errors
mean "the vendor asks us to wait" and are not counted as failed attempts.

Robots are reached with http.client directly: the host is checked against the vendors' documented hosts
(or settings.NOTIFY_ROBOT_ALLOWED_HOSTS), resolved once, every address checked (no private or loopback
address unless settings.NOTIFY_ROBOT_ALLOW_PRIVATE), and the connection is made to that checked address,
so a DNS answer cannot change between the check and the request. No redirect is ever followed; 5 s timeout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import smtplib
import socket
import ssl
import time
import urllib.parse
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

WECOM_HOSTS = ("qyapi.weixin.qq.com",)
DINGTALK_HOSTS = ("oapi.dingtalk.com",)
WECOM_MAX_BYTES = 4096
DINGTALK_MAX_BYTES = 20000
# 钉钉: "发送速度太快而限流" (the robot is blocked for 10 minutes); 企业微信: API freq out of limit.
DINGTALK_THROTTLED = {130101}
WECOM_THROTTLED = {45009}


class DeliveryError(Exception):
    """A failed send; `message` is shown on the 发送记录 page."""

    def __init__(self, message: str, *, throttled: bool = False, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = throttled
        self.permanent = permanent


class WebhookNotAllowed(ValueError):
    """A webhook URL the settings do not allow; the message is for the admin filling in the form."""


# ------------------------------------------------------------------------------
# Splitting by bytes
# ------------------------------------------------------------------------------
def split_utf8(text: str, max_bytes: int) -> list[str]:
    """Split `text` into parts of at most `max_bytes` UTF-8 bytes, never inside a character.

    A part ends at the last line break that fits when there is one in its second half, else at the last
    whole character that fits.
    """
    if max_bytes < 4:
        raise ValueError("max_bytes must leave room for one character")
    parts: list[str] = []
    data = text.encode("utf-8")
    while len(data) > max_bytes:
        cut = max_bytes
        # Back off to a character boundary: continuation bytes are 0b10xxxxxx.
        while cut > 0 and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        newline = data.rfind(b"\n", 0, cut)
        if newline >= cut // 2:
            cut = newline + 1
        parts.append(data[:cut].decode("utf-8"))
        data = data[cut:]
    if data or not parts:
        parts.append(data.decode("utf-8"))
    return parts


def split_numbered(text: str, max_bytes: int) -> list[str]:
    """`split_utf8` with "（2/3）" heads on every part when there is more than one."""
    parts = split_utf8(text, max_bytes)
    if len(parts) == 1:
        return parts
    head_room = len("（99/99）\n".encode())
    parts = split_utf8(text, max_bytes - head_room)
    return [f"（{i}/{len(parts)}）\n{part}" for i, part in enumerate(parts, 1)]


# ------------------------------------------------------------------------------
# Webhook URL policy
# ------------------------------------------------------------------------------
def _allowed_hosts(vendor: str | None = None) -> set[str]:
    hosts = set(getattr(settings, "NOTIFY_ROBOT_ALLOWED_HOSTS", ()) or ())
    if vendor in (None, "wecom"):
        hosts.update(WECOM_HOSTS)
    if vendor in (None, "dingtalk"):
        hosts.update(DINGTALK_HOSTS)
    return {h.lower() for h in hosts}


def validate_webhook_url(url: str, vendor: str | None = None) -> urllib.parse.SplitResult:
    """Refuse URLs the settings do not allow (form-time check; the address is checked again at send time)."""
    parts = urllib.parse.urlsplit(url.strip())
    allow_http = getattr(settings, "NOTIFY_ROBOT_ALLOW_HTTP", False)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise WebhookNotAllowed("Webhook 地址必须以 https:// 开头。")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookNotAllowed("Webhook 地址缺少主机名。")
    if parts.username or parts.password:
        raise WebhookNotAllowed("Webhook 地址不能包含用户名或密码。")
    if host not in _allowed_hosts(vendor):
        raise WebhookNotAllowed(
            f"不允许的 Webhook 主机：{host}。只允许企业微信（qyapi.weixin.qq.com）、钉钉（oapi.dingtalk.com）"
            "或系统设置 NOTIFY_ROBOT_ALLOWED_HOSTS 中列出的内网网关。"
        )
    return parts


def _checked_address(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DeliveryError(f"无法解析机器人地址 {host}：{exc}") from exc
    allow_private = getattr(settings, "NOTIFY_ROBOT_ALLOW_PRIVATE", False)
    addresses = [info[4][0] for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global and not allow_private:
            raise DeliveryError(f"机器人地址 {host} 解析到内网或本机地址 {address}，系统设置不允许。", permanent=True)
    return addresses[0]


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an already checked address, with SNI and certificate check against the host name."""

    def __init__(self, host: str, address: str, **kwargs: object) -> None:
        super().__init__(host, context=ssl.create_default_context(), **kwargs)  # type: ignore[arg-type]
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs: object) -> None:
        super().__init__(host, **kwargs)  # type: ignore[arg-type]
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_json(url: str, payload: dict, *, vendor: str) -> dict:
    """POST `payload` as JSON to an allowed webhook; the vendor's JSON answer, or DeliveryError."""
    try:
        parts = validate_webhook_url(url, vendor)
    except WebhookNotAllowed as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _checked_address(host, port)
    timeout = getattr(settings, "NOTIFY_ROBOT_TIMEOUT", 5)
    cls = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, address, port=port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json; charset=utf-8"})
        response = conn.getresponse()
        raw = response.read(65536)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"连接机器人服务失败：{exc}") from exc
    finally:
        conn.close()
    if response.status != 200:
        raise DeliveryError(f"机器人服务返回 HTTP {response.status}（不跟随跳转）")
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DeliveryError("机器人服务的应答不是 JSON") from exc
    if not isinstance(answer, dict):
        raise DeliveryError("机器人服务的应答格式不正确")
    return answer


def _check_answer(answer: dict, throttled_codes: set[int], vendor_name: str) -> None:
    code = answer.get("errcode", 0)
    if code in (0, "0"):
        return
    message = str(answer.get("errmsg", ""))[:300]
    try:
        code = int(code)
    except (TypeError, ValueError):
        code = -1
    if code in throttled_codes:
        raise DeliveryError(f"{vendor_name}限流（错误码 {code}：{message}），稍后重发", throttled=True)
    raise DeliveryError(f"{vendor_name}返回错误码 {code}：{message}")


# ------------------------------------------------------------------------------
# 企业微信 and 钉钉
# ------------------------------------------------------------------------------
def wecom_payload(content: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"content": content}}


def send_wecom(*, webhook_url: str, content: str) -> None:
    """One 企业微信 markdown message; `content` must already be within 4,096 bytes."""
    if len(content.encode("utf-8")) > WECOM_MAX_BYTES:
        raise DeliveryError("企业微信消息超过 4096 字节", permanent=True)
    answer = post_json(webhook_url, wecom_payload(content), vendor="wecom")
    _check_answer(answer, WECOM_THROTTLED, "企业微信")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """sign = urlencode(base64(HmacSHA256(secret, f"{timestamp}\\n{secret}"))), as 钉钉 documents it."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_signed_url(webhook_url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    sign = dingtalk_sign(secret, timestamp_ms)
    joiner = "&" if urllib.parse.urlsplit(webhook_url).query else "?"
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={sign}"


def dingtalk_payload(title: str, text: str) -> dict:
    return {"msgtype": "markdown", "markdown": {"title": title[:64], "text": text}}


def send_dingtalk(*, webhook_url: str, secret: str, title: str, text: str) -> None:
    """One 钉钉 markdown message on a signed URL; `text` must already be within 20,000 bytes."""
    if len(text.encode("utf-8")) > DINGTALK_MAX_BYTES:
        raise DeliveryError("钉钉消息超过 20000 字节", permanent=True)
    answer = post_json(dingtalk_signed_url(webhook_url, secret), dingtalk_payload(title, text), vendor="dingtalk")
    _check_answer(answer, DINGTALK_THROTTLED, "钉钉")


# ------------------------------------------------------------------------------
# Email
# ------------------------------------------------------------------------------
@dataclass
class MailItem:
    title: str
    body: str
    link: str


def send_email(*, to: str, subject: str, items: list[MailItem]) -> None:
    """One Chinese HTML + text email listing `items` (one, or several folded into a morning batch)."""
    if not to:
        raise DeliveryError("接收人未填写电子邮箱", permanent=True)
    context = {"subject": subject, "items": items, "site_name": "文明创建管理平台"}
    text = render_to_string("notifications/email/notice.txt", context)
    html = render_to_string("notifications/email/notice.html", context)
    try:
        connection = get_connection(fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 10)
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], connection=connection
        )
        message.attach_alternative(html, "text/html")
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"邮件服务器拒收该地址：{to}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"邮件发送失败：{exc.__class__.__name__}: {exc}") from exc
