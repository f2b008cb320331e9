"""Delivery channels for outbox messages: log, e-mail (SMTP), webhook (enterprise-WeChat group robot).

A new channel is one class with a ``name`` and a ``send`` decorated with ``@register``; the recipient rules
file (config/notifications.yaml) can then name it. ``send`` either returns (delivered) or raises
``DeliveryError`` with a message fit for the admin console: never a password, a robot key or a URL.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, ClassVar

import requests

from feedback.models import OutboxMessage

log = logging.getLogger("feedback.notifications")
ROBOT_TEXT_MAX_BYTES = 2048  # the group robot's documented limit for text content


class DeliveryError(Exception):
    """A failed delivery; the text is stored in ``last_error`` and shown to admins."""


class Channel:
    name: ClassVar[str]

    def __init__(self, config: Mapping[str, Any], rules: Any) -> None:
        self.config = config
        self.rules = rules

    def send(self, message: OutboxMessage) -> None:
        raise NotImplementedError


CHANNELS: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    CHANNELS[cls.name] = cls
    return cls


def channel_for(name: str, config: Mapping[str, Any], rules: Any) -> Channel:
    cls = CHANNELS.get(name)
    if cls is None:
        raise DeliveryError(f"未知的发送渠道 {name!r}")
    return cls(config, rules)


@register
class LogChannel(Channel):
    """The default: the notice lands in the application log, where an operator or log shipper sees it."""

    name = "log"

    def send(self, message: OutboxMessage) -> None:
        log.info(
            "notice %s kind=%s department=%s recipient=%s subject=%s body=%s",
            message.id,
            message.kind,
            message.department_id,
            message.recipient or "-",
            message.subject,
            message.body,
        )


@register
class SmtpChannel(Channel):
    """Plain SMTP with optional STARTTLS and login (SMTP_HOST/PORT/USER/PASSWORD/STARTTLS/FROM)."""

    name = "email"

    def build(self, message: OutboxMessage) -> EmailMessage:
        sender = self.config["SMTP_FROM"]
        mail = EmailMessage()
        mail["From"] = sender
        mail["To"] = message.recipient
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # Stable across retries, so a receiving system can drop the rare duplicate.
        domain = sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = f"<outbox-{message.id}@{domain}>"
        mail.set_content(message.body)
        return mail

    def send(self, message: OutboxMessage) -> None:
        if not message.recipient:
            raise DeliveryError("未配置收件地址")
        host = self.config["SMTP_HOST"]
        port = self.config["SMTP_PORT"]
        timeout = self.config["SMTP_TIMEOUT_SECONDS"]
        try:
            with smtplib.SMTP(host, port, timeout=timeout) as smtp:
                if self.config["SMTP_STARTTLS"]:
                    smtp.starttls(context=ssl.create_default_context())
                if self.config["SMTP_USER"]:
                    smtp.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
                smtp.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP 登录失败（{exc.smtp_code}）") from None
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP 服务器拒绝（{exc.smtp_code}）") from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryError("SMTP 服务器拒绝收件地址") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"无法连接 SMTP 服务器（{type(exc).__name__}）") from None


@register
class WebhookChannel(Channel):
    """An enterprise-WeChat group robot: POST {"msgtype":"text","text":{"content":…}}; success is errcode 0.

    The recipient is a robot *name* from the recipient rules; its URL (which carries the key) is looked
    up at send time, so keys never reach the database, the admin API or the error text.
    """

    name = "webhook"

    @staticmethod
    def content(message: OutboxMessage) -> str:
        text = f"{message.subject}\n{message.body}"
        data = text.encode("utf-8")
        if len(data) <= ROBOT_TEXT_MAX_BYTES:
            return text
        return data[: ROBOT_TEXT_MAX_BYTES - 3].decode("utf-8", errors="ignore") + "…"

    def send(self, message: OutboxMessage) -> None:
        url = self.rules.webhook_url(message.recipient or "")
        if not url:
            raise DeliveryError(f"未配置名为 {message.recipient!r} 的 Webhook 地址")
        timeout = self.config["WEBHOOK_TIMEOUT_SECONDS"]
        body: dict[str, str | dict[str, str]] = {"msgtype": "text", "text": {"content": self.content(message)}}
        try:
            reply = requests.post(url, json=body, timeout=timeout)
        except requests.RequestException as exc:  # its text names the URL, and so the key
            raise DeliveryError(f"无法连接 Webhook（{type(exc).__name__}）") from None
        if reply.status_code != 200:
            raise DeliveryError(f"Webhook 返回 HTTP {reply.status_code}")
        try:
            answer = reply.json()
        except ValueError:
            raise DeliveryError("Webhook 返回的不是 JSON") from None
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            errcode = answer.get("errcode") if isinstance(answer, dict) else None
            errmsg = str(answer.get("errmsg", ""))[:100] if isinstance(answer, dict) else ""
            raise DeliveryError(f"Webhook 返回错误 errcode={errcode} {errmsg}".strip())
