"""Documents for upload tests: a PDF made with pypdf, optionally with a script, metadata or a password."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject


def pdf_bytes(*, script: bool = True, password: str | None = None, pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=200)
    if script:
        writer.add_open_action(JavaScript("app.alert('opened');"))
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): JavaScript("app.alert('page');")})
        writer.add_metadata({"/Author": "经办人王某", "/Producer": "SpyOffice"})
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
