"""Reading and posting console pages in tests: a page that must answer 200, a form post with the CSRF token."""

from __future__ import annotations

import re


def page(client, url, status=200):
    reply = client.get(url)
    assert reply.status_code == status, reply.get_data(as_text=True)[:500]
    return reply.get_data(as_text=True)


def post(client, url, data=None, status=302, **kwargs):
    reply = client.post(url, data={"csrf_token": client.csrf, **(data or {})}, **kwargs)
    assert reply.status_code == status, reply.get_data(as_text=True)[:800]
    return reply


def text(html: str) -> str:
    """The page's visible words on one line (tags dropped), to read sentences across markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
