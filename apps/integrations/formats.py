"""The body a subscription receives: Deploydesk's JSON, or a Slack or Microsoft Teams incoming-webhook message.

Chat messages link back to Deploydesk; an approval request offers a button that opens the approval page — people
approve there, signed in, never from the chat."""

import json
from dataclasses import dataclass, field

from django.db import models


class WebhookFormat(models.TextChoices):
    JSON = "json", "JSON (signed)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


@dataclass(frozen=True)
class Message:
    """What a chat message says, whatever the chat."""

    title: str
    text: str
    url: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    button: tuple[str, str] | None = None  # (label, url) — a link, never an action taken from chat


def slack_body(message: Message) -> dict:
    """Slack's incoming-webhook JSON: `text` for notifications, blocks for the message itself."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{message.text}\n<{message.url}|Open in Deploydesk>"}},
    ]
    if message.facts:
        blocks.append(
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in message.facts[:10]],
            }
        )
    if message.button:
        label, url = message.button
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url, "style": "primary"}
                ],
            }
        )
    return {"text": f"{message.title}: {message.url}", "blocks": blocks}


def teams_body(message: Message) -> dict:
    """Microsoft Teams: an Adaptive Card in the message envelope that both the Workflows "webhook request received"
    flow and the older incoming-webhook connector accept; its buttons are Action.OpenUrl (links, not actions)."""
    actions = [{"type": "Action.OpenUrl", "title": "Open in Deploydesk", "url": message.url}]
    if message.button:
        label, url = message.button
        actions.insert(0, {"type": "Action.OpenUrl", "title": label, "url": url})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": message.title, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": message.text, "wrap": True},
            {"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in message.facts]},
        ],
        "actions": actions,
    }
    return {
        "type": "message",
        "summary": message.title[:150],
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def render(fmt: str, *, payload: dict, message: Message) -> str:
    """The raw body, exactly as it is sent and signed (kept, so that retries send the same bytes)."""
    if fmt == WebhookFormat.SLACK:
        data = slack_body(message)
    elif fmt == WebhookFormat.TEAMS:
        data = teams_body(message)
    else:
        data = payload
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=False, default=str)
