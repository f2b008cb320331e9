"""PDF attachments of departments' rectification reports, checked by content and rebuilt. Pure.

A report's PDF is opened by the org department, so it must be a real PDF and carry nothing that
runs when opened. pypdf (pure Python, no native parser) reads it; a fresh document is written
from its pages alone, so the catalogue's JavaScript, open actions, embedded files, forms and
document metadata are left behind, and each page loses its annotations (links and widgets can
carry actions) and its additional actions. What remains is what the pages show.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
_PAGE_KEYS_DROPPED = ("/Annots", "/AA")

_REJECT_MESSAGES = {
    "not_pdf": "不是 PDF 文件",
    "encrypted": "PDF 文件已加密，请去掉密码后重新上传",
    "no_pages": "PDF 文件没有页面",
    "too_many_pages": "PDF 文件页数过多，请拆分后重新上传",
    "corrupt": "PDF 文件已损坏或不完整，无法读取",
}


class DocumentRejected(ValueError):
    """A PDF we refuse; ``reason`` is shown to the user, ``code`` is for the API and logs."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.reason = _REJECT_MESSAGES[code]
        super().__init__(self.reason)


@dataclass(frozen=True)
class CleanPdf:
    data: bytes
    pages: int


def is_pdf(raw: bytes) -> bool:
    """By content: the header must open the file (readers tolerate junk before it; we do not)."""
    return raw.startswith(PDF_MAGIC)


def clean_pdf(raw: bytes, *, max_pages: int = 300) -> CleanPdf:
    """Rebuild ``raw`` from its pages alone; DocumentRejected for anything that is not a plain PDF."""
    if not is_pdf(raw):
        raise DocumentRejected("not_pdf")
    from pypdf import PdfReader, PdfWriter  # loaded by the first PDF, not by every worker
    from pypdf.generic import NameObject

    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected("encrypted")
        count = len(reader.pages)
        if count == 0:
            raise DocumentRejected("no_pages")
        if count > max_pages:
            raise DocumentRejected("too_many_pages")
        writer = PdfWriter()
        for page in reader.pages:
            added = writer.add_page(page)
            for key in _PAGE_KEYS_DROPPED:
                added.pop(NameObject(key), None)
        out = io.BytesIO()
        writer.write(out)
    except DocumentRejected:
        raise
    except Exception as exc:  # pypdf raises many types for damaged or hostile files
        log.info("PDF rejected as corrupt: %s", type(exc).__name__)
        raise DocumentRejected("corrupt") from exc
    return CleanPdf(out.getvalue(), count)
