"""What an owner reads on a page: its text without tags, entities decoded, spaces collapsed."""

from __future__ import annotations

import html
import re


def page_words(response) -> str:
    """The words of a page (a test client's response that answered 200), as one line."""
    assert response.status_code == 200, response.status_code
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))).strip()


def ana_chat(messages: int) -> bytes:
    """A chat of Ana's from 13 Mar 2026 10:00, ten messages a day an hour apart (in Auckland, UTC+13, each
    message is 13 hours earlier than in UTC)."""
    return "".join(
        f"{13 + i // 10:02d}/03/2026, {10 + i % 10}:00 - Ana: message {i}\n" for i in range(messages)
    ).encode()
