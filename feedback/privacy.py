"""Privacy primitives that keep the anonymity promise of DESIGN.md §5.

Pure domain code: no Flask, no database, nothing runs at import time. Callers pass the
app ``SECRET_KEY`` through :func:`derive_key` and hand the purpose key to the helpers, so a
leak of one purpose key (say, the pseudonym key in a rate-limit store) gives nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import secrets
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from PIL import Image, ImageOps, UnidentifiedImageError

_KDF_SALT = b"tanjianfu/privacy/v1"


def _check_key(key: bytes) -> None:
    """Fail loudly if a caller passes the raw secret string or an empty key by mistake."""
    if not isinstance(key, bytes) or len(key) < 16:
        raise ValueError("key must be at least 16 bytes; use derive_key()")


def _mac(key: bytes, *parts: str) -> bytes:
    """HMAC-SHA256 over length-prefixed parts, so ("ab", "c") and ("a", "bc") never collide."""
    _check_key(key)
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode("utf-8")
        mac.update(len(data).to_bytes(4, "big") + data)
    return mac.digest()


def derive_key(secret: str | bytes, purpose: str) -> bytes:
    """Derive a 32-byte sub-key for one purpose with HKDF-SHA256.

    Keys for different purposes are independent: knowing the "pseudonym" key does not help to
    forge receipt digests or open sealed replays.
    """
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not raw:
        raise ValueError("secret must not be empty")
    if not purpose:
        raise ValueError("purpose must not be empty")
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=_KDF_SALT,
        info=purpose.encode("utf-8"),
    )
    return hkdf.derive(raw)


# --- Receipts (查询码) ----------------------------------------------------------------------

RECEIPT_GROUPS = 5
RECEIPT_GROUP_LEN = 4
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
RECEIPT_LEN = RECEIPT_GROUPS * RECEIPT_GROUP_LEN  # 20 chars * 5 bits = 100 bits
_CROCKFORD_ALIASES = {"O": "0", "I": "1", "L": "1"}


def generate_receipt() -> str:
    """Return a fresh receipt such as ``7KQ2-M9XD-...``; the reporter's only credential."""
    # 20 characters of 5 uniform random bits each (the alphabet has 32 letters): 100 bits.
    bits = int.from_bytes(secrets.token_bytes(13), "big")
    chars = "".join(RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(RECEIPT_LEN))
    return "-".join(chars[i : i + RECEIPT_GROUP_LEN] for i in range(0, RECEIPT_LEN, RECEIPT_GROUP_LEN))


def normalize_receipt(raw: str) -> str | None:
    """Canonical 20-char form of what a person typed, or None if it cannot be a receipt.

    NFKC first, because Chinese input methods often produce full-width letters and dashes.
    """
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw).upper()
    text = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    text = "".join(_CROCKFORD_ALIASES.get(ch, ch) for ch in text)
    if len(text) != RECEIPT_LEN or any(ch not in RECEIPT_ALPHABET for ch in text):
        return None
    return text


def receipt_digest(key: bytes, receipt: str) -> str:
    """Keyed hash stored instead of the receipt; a database dump alone cannot test guesses."""
    normalized = normalize_receipt(receipt)
    if normalized is None:
        raise ValueError("not a valid receipt")
    return _mac(key, "receipt", normalized).hex()


def pseudonym(key: bytes, openid: str) -> str:
    """Stable per-openid pseudonym (128 bits) for rate limiting; never stored with feedback."""
    if not openid:
        raise ValueError("openid must not be empty")
    return _mac(key, "pseudonym", openid).hex()[:32]


# --- Sealed idempotent replays ---------------------------------------------------------------

_SEAL_VERSION = b"\x01"
_NONCE_LEN = 12


def idempotency_lookup(key: bytes, pseudonym: str, idem_key: str) -> str:
    """Row id for a stored replay; a different MAC label from the sealing key, so it reveals nothing."""
    if not idem_key:
        raise ValueError("idem_key must not be empty")
    return _mac(key, "idempotency-lookup", pseudonym, idem_key).hex()


def _seal_key(key: bytes, pseudonym: str, idem_key: str) -> bytes:
    """AES-256 key that needs the client's Idempotency-Key, which the server never stores."""
    if not idem_key:
        raise ValueError("idem_key must not be empty")
    return _mac(key, "idempotency-seal", pseudonym, idem_key)


def seal(key: bytes, pseudonym: str, idem_key: str, payload: dict) -> bytes:
    """Encrypt a response (which holds the receipt) with AES-256-GCM for later replay."""
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    nonce = os.urandom(_NONCE_LEN)
    aead = AESGCM(_seal_key(key, pseudonym, idem_key))
    return _SEAL_VERSION + nonce + aead.encrypt(nonce, plaintext, _SEAL_VERSION)


def unseal(key: bytes, pseudonym: str, idem_key: str, token: bytes) -> dict:
    """Decrypt a sealed response; ValueError for a wrong key, tampering or a malformed token."""
    token = bytes(token)
    if len(token) < 1 + _NONCE_LEN + 16 or token[:1] != _SEAL_VERSION:
        raise ValueError("malformed sealed token")
    nonce, ciphertext = token[1 : 1 + _NONCE_LEN], token[1 + _NONCE_LEN :]
    try:
        plaintext = AESGCM(_seal_key(key, pseudonym, idem_key)).decrypt(nonce, ciphertext, _SEAL_VERSION)
        payload = json.loads(plaintext.decode("utf-8"))
    except (InvalidTag, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("cannot unseal token") from exc
    if not isinstance(payload, dict):
        raise ValueError("sealed payload is not an object")  # noqa: TRY004 (contract)
    return payload


# --- Images ---------------------------------------------------------------------------------

_REJECT_MESSAGES = {
    "unsupported_type": "仅支持 JPEG、PNG、WebP 或 GIF 格式的图片",
    "too_large": "图片文件过大，请压缩后重新上传",
    "too_many_pixels": "图片尺寸过大，请缩小后重新上传",
    "corrupt": "图片已损坏或不完整，无法读取",
}

# Pillow format -> (output format, content type, extension). MPO is what Pillow calls the
# multi-picture JPEGs many phones write; GIF is accepted as its still first frame, saved as PNG.
_OUTPUT = {
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "MPO": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    "GIF": ("PNG", "image/png", "png"),
}
_OPENERS = ("JPEG", "PNG", "WEBP", "GIF")  # the JPEG opener also yields MPO
_EXIF_ERRORS = (KeyError, TypeError, ValueError, OSError, SyntaxError, struct.error)


class ImageRejected(ValueError):
    """An upload we refuse; ``reason`` is shown to the user, ``code`` is for the API and logs."""

    def __init__(self, code: str, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or _REJECT_MESSAGES[code]
        super().__init__(self.reason)


@dataclass(frozen=True)
class CleanImage:
    """Re-encoded image bytes; ``extension`` has no dot (``jpg``, ``png``, ``webp``)."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _open(raw: bytes) -> Image.Image:
    """Open from content only, restricted to the formats we accept, mapping errors to codes."""
    try:
        return Image.open(io.BytesIO(raw), formats=_OPENERS)
    except Image.DecompressionBombError as exc:
        raise ImageRejected("too_many_pixels") from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("unsupported_type") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt") from exc


def _target_mode(im: Image.Image, out_format: str) -> str:
    """Modes each encoder takes; alpha kept where the output format can carry it."""
    has_alpha = im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info
    if out_format == "JPEG":
        return "L" if im.mode in ("1", "L") else "RGB"
    if out_format == "PNG" and im.mode in ("1", "L") and not has_alpha:
        return "L"
    return "RGBA" if has_alpha else "RGB"


# Decoded pixels one image may cost (Pillow keeps RGB as 4 bytes a pixel: 32 MB). An 8-megapixel
# photo decodes whole; a larger JPEG is decoded scaled down by 2, 4 or 8 in the DCT (Pillow's
# draft, a fraction of a full decode's time and memory); any other image over it is refused.
DEFAULT_MAX_DECODED_PIXELS = 8_000_000
# Header sizes above this are refused outright, even where draft could shrink them.
DEFAULT_MAX_PIXELS = 64 * DEFAULT_MAX_DECODED_PIXELS
_DRAFT_SCALES = (2, 4, 8)


def _draft_scale(src: Image.Image, max_decoded_pixels: int) -> int:
    """The smallest JPEG draft scale that brings the decode within budget; 1 when none is needed.

    Read from the header only, so a flood is refused before any pixel is decoded.
    """
    width, height = src.size
    if width * height <= max_decoded_pixels:
        return 1
    if src.format in ("JPEG", "MPO"):
        for scale in _DRAFT_SCALES:
            if -(-width // scale) * -(-height // scale) <= max_decoded_pixels:
                return scale
    raise ImageRejected("too_many_pixels")


def _plan_decode(src: Image.Image, max_decoded_pixels: int) -> None:
    """Shrink the decode of a large JPEG before any pixel is decoded; refuse what stays too big."""
    scale = _draft_scale(src, max_decoded_pixels)
    if scale > 1:
        src.draft(src.mode, (src.width // scale, src.height // scale))
    if src.width * src.height > max_decoded_pixels:  # the draft was not possible (odd JPEG layout)
        raise ImageRejected("too_many_pixels")


def scrub_image(
    raw: bytes,
    *,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_decoded_pixels: int = DEFAULT_MAX_DECODED_PIXELS,
    max_side: int = 4096,
    max_bytes: int = 20_000_000,
) -> CleanImage:
    """Decode and re-encode an upload so that no EXIF/GPS/XMP/ICC/comment metadata survives.

    The output is the decoded pixels alone: ``info`` is emptied and nothing is passed to the
    encoder but quality settings (no ``exif=``, ``icc_profile=``, ``xmp=``), so nothing the phone
    wrote can leak a place or a device. Pixel floods are stopped from the header, before
    decoding: the image must decode (after a JPEG draft) to at most ``max_decoded_pixels``,
    without touching Pillow's process-wide ``MAX_IMAGE_PIXELS``. The pixels are held once (twice
    only while a rotation or mode conversion runs).
    """
    if len(raw) > max_bytes:
        raise ImageRejected("too_large")
    if not raw:
        raise ImageRejected("unsupported_type")
    with _open(raw) as probe:
        if probe.format not in _OUTPUT:
            raise ImageRejected("unsupported_type")
        if probe.width * probe.height > max_pixels:
            raise ImageRejected("too_many_pixels")
        _draft_scale(probe, max_decoded_pixels)
        try:
            probe.verify()
        except Exception as exc:  # verify() raises assorted types for damaged files
            raise ImageRejected("corrupt") from exc

    with _open(raw) as src:  # verify() leaves the object unusable; open again to decode
        out_format, content_type, extension = _OUTPUT[src.format or ""]  # checked on the probe
        _plan_decode(src, max_decoded_pixels)
        try:
            src.seek(0)  # first frame only for animations
            src.load()
            im = src
            try:
                ImageOps.exif_transpose(im, in_place=True)  # no copy unless it really rotates
            except _EXIF_ERRORS:
                pass  # malformed EXIF: keep the pixels as stored; the EXIF is dropped anyway
            mode = _target_mode(im, out_format)
            if im.mode != mode:
                im = im.convert(mode)
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ImageRejected("corrupt") from exc

        if max(im.size) > max_side:
            scale = max_side / max(im.size)
            size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            im = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)

        # Nothing the file carried goes back out: encoders read only ``info`` and the arguments
        # below (no exif=, icc_profile=, xmp=, comment=), so the pixels are written alone.
        im.info = {}
        im.encoderinfo = {}
        buf = io.BytesIO()
        if out_format == "JPEG":
            im.save(buf, "JPEG", quality=85, optimize=True)
        elif out_format == "PNG":
            im.save(buf, "PNG", optimize=True)
        else:
            im.save(buf, "WEBP", quality=85, method=4)
        width, height = im.size
    return CleanImage(buf.getvalue(), content_type, extension, width, height)


# --- Small-cell suppression ------------------------------------------------------------------

SUPPRESSED = None


def suppress_small_cells(
    cells: dict[str, int], *, threshold: int = 5, total: int | None = None
) -> dict[str, int | None]:
    """Hide counts in ``1..threshold-1`` (shown as ``SUPPRESSED``) in statistics leaving 组织部.

    Zeros stay visible: "nobody" identifies nobody, and hiding zeros would blank most tables.
    When a total is published and only one cell is hidden, the smallest other non-zero cell is
    hidden too (ties broken by key, so output is deterministic); failing that, a zero cell, so
    the hidden count cannot be recovered as total minus the rest. A table whose only cell is
    small cannot be protected here: the caller must then not publish the total either.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    if any(count < 0 for count in cells.values()):
        raise ValueError("counts must not be negative")
    hidden = {name for name, count in cells.items() if 0 < count < threshold}
    if total is not None and len(hidden) == 1:
        others = sorted(
            ((count == 0, count, name) for name, count in cells.items() if name not in hidden),
        )
        if others:
            hidden.add(others[0][2])
    return {name: (SUPPRESSED if name in hidden else count) for name, count in cells.items()}
