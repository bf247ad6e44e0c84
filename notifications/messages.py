"""What each kind of channel receives for a delivery: pure functions of the captured payload.

A payload is `{"ticket": <ticket JSON or None>, "rule": <name or None>,
"event": ...}` plus what the event adds (`anomaly`, `tickets` of a digest,
`text`). Rendering reads nothing else, so every attempt sends the same body.
"""

import json
import re
from dataclasses import dataclass

from django.conf import settings

WEBHOOK_TYPE = "ticket.notified"
EVENT_WORDS = {
    "create": "New ticket",
    "update": "Ticket updated",
    "sla_at_risk": "SLA at risk",
    "sla_breached": "SLA breached",
    "mention": "You were mentioned",
    "anomaly": "Unusual ticket volume",
    "test": "Test message",
    "digest": "More tickets",
}
MAX_DIGEST_IDS = 50


@dataclass(frozen=True)
class Message:
    """A message in words: a subject, a headline, detail lines and an optional link."""

    subject: str
    headline: str
    lines: tuple[str, ...]
    link: str | None

    @property
    def text(self) -> str:
        parts = [self.headline, *self.lines]
        if self.link:
            parts.append(self.link)
        return "\n".join(parts)


def ticket_link(ticket_id) -> str | None:
    """The ticket's page under TRIAGE_BASE_URL, or None without one."""
    base = settings.TRIAGE_BASE_URL
    return f"{base}/admin/tickets/ticket/{ticket_id}/change/" if base and ticket_id else None


def one_line(text: str, limit: int = 200) -> str:
    """Text fit for a subject or headline: whitespace runs (newlines too) as one space."""
    return re.sub(r"\s+", " ", str(text)).strip()[:limit]


def digest_text(ticket_ids: list) -> str:
    """`12 more tickets: #4, #5, …`"""
    shown = ", ".join(f"#{ticket_id}" for ticket_id in ticket_ids[:MAX_DIGEST_IDS])
    more = ", …" if len(ticket_ids) > MAX_DIGEST_IDS else ""
    noun = "ticket" if len(ticket_ids) == 1 else "tickets"
    return f"{len(ticket_ids)} more {noun}: {shown}{more}"


def message_for(payload: dict, *, channel_name: str = "") -> Message:
    """The words of a delivery, whatever the channel."""
    event = payload.get("event", "")
    ticket = payload.get("ticket")
    rule = payload.get("rule")
    if event == "anomaly":
        day = payload.get("anomaly") or {}
        date = day.get("date", "")
        lines = (f"{day.get('count')} tickets; expected {day.get('expected')} "
                 f"(band {day.get('low')} to {day.get('high')}).",)  # fmt: skip
        base = settings.TRIAGE_BASE_URL
        return Message(f"[Triage] Unusual ticket volume on {date}", f"Unusual ticket volume on {date}",
                       lines, f"{base}/dashboard/" if base else None)  # fmt: skip
    if event == "digest":
        text = payload.get("text") or digest_text(payload.get("tickets") or [])
        where = f" on {channel_name}" if channel_name else ""
        return Message(f"[Triage] {one_line(text, 120)}", text, (f"Held past the channel's rate{where}.",),
                       None)  # fmt: skip
    if ticket is None:
        text = payload.get("text") or f"Test message from Triage for channel {channel_name}."
        return Message(f"[Triage] {EVENT_WORDS.get(event, 'Notice')}", one_line(text), (), None)
    title = one_line(ticket.get("title", ""))
    headline = f"{EVENT_WORDS.get(event, 'Ticket')}: #{ticket['id']} {title}"
    lines = [
        f"Status {ticket.get('status')}, priority {ticket.get('priority')}, "
        f"assigned to {ticket.get('assigned_to') or 'nobody'}."
    ]
    if rule:
        lines.append(f"Rule: {rule}.")
    if payload.get("text"):
        lines.append(str(payload["text"]))
    return Message(f"[Triage #{ticket['id']}] {title}", headline, tuple(lines), ticket_link(ticket["id"]))


def slack_body(message: Message) -> dict:
    """A Slack incoming-webhook post: `text` (also the notification's fallback) and blocks."""
    link = f"\n<{message.link}|Open in Triage>" if message.link else ""
    return {
        "text": message.headline,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{_slack_escape(message.headline)}*"}},
            {"type": "section", "text": {"type": "mrkdwn",
                                         "text": _slack_escape("\n".join(message.lines)) + link or " "}},
        ],
    }  # fmt: skip


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_body(message: Message) -> dict:
    """A Teams Workflows post: a message whose one attachment is an Adaptive Card."""
    card = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": message.headline,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            *({"type": "TextBlock", "text": line, "wrap": True} for line in message.lines),
        ],
    }
    if message.link:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open in Triage", "url": message.link}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }


def webhook_body(payload: dict, *, timestamp: str) -> bytes:
    """The signed webhook's body: `{"type": "ticket.notified", "timestamp", "data"}`."""
    body = {"type": WEBHOOK_TYPE, "timestamp": timestamp, "data": payload}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
