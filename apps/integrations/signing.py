"""The signature of a delivery: HMAC-SHA256 over `timestamp + "." + raw body` with the subscription's secret."""

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The value of `X-Deploydesk-Signature` (DESIGN.md §5)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def headers(*, secret: str, event: str, delivery: str, timestamp: str, body: bytes) -> dict[str, str]:
    """Every header a delivery carries."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Deploydesk-Webhooks/1",
        "X-Deploydesk-Event": event,
        "X-Deploydesk-Delivery": delivery,
        "X-Deploydesk-Timestamp": timestamp,
        "X-Deploydesk-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }


def signature_valid(*, secret: str, timestamp: str, body: bytes, received: str) -> bool:
    """What a receiver does (constant-time comparison); used by the tests' receiver and documented in README."""
    return hmac.compare_digest(signature(secret=secret, timestamp=timestamp, body=body), received or "")
