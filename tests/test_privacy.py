"""Tests for feedback.privacy: the anonymity promise of DESIGN.md §5 in code."""

from __future__ import annotations

import io
import math
import struct
import zlib

import pytest
from PIL import ExifTags, Image, PngImagePlugin

from feedback import privacy
from feedback.privacy import (
    RECEIPT_GROUP_LEN,
    RECEIPT_GROUPS,
    SUPPRESSED,
    CleanImage,
    ImageRejected,
    derive_key,
    generate_receipt,
    idempotency_lookup,
    normalize_receipt,
    pseudonym,
    receipt_digest,
    scrub_image,
    seal,
    suppress_small_cells,
    unseal,
)

SECRET = "test-secret-key-not-for-production"
PLANTED = [b"CanonSpy", b"EOS-Secret-9", b"GPS", b"Beijing Road 42", b"author-zhang"]


# --- keys, receipts, pseudonyms ---------------------------------------------------------------


def test_derive_key_is_per_purpose_and_per_secret() -> None:
    a = derive_key(SECRET, "receipt")
    assert len(a) == 32
    assert a == derive_key(SECRET.encode(), "receipt")
    assert a != derive_key(SECRET, "pseudonym")
    assert a != derive_key("another-secret", "receipt")
    with pytest.raises(ValueError):
        derive_key("", "receipt")


def test_receipt_has_at_least_80_bits() -> None:
    receipt = generate_receipt()
    groups = receipt.split("-")
    assert len(groups) == RECEIPT_GROUPS
    assert all(len(g) == RECEIPT_GROUP_LEN for g in groups)
    alphabet = set(privacy.RECEIPT_ALPHABET)
    assert len(alphabet) == 32 and not alphabet & set("ILOU")
    assert set(receipt.replace("-", "")) <= alphabet
    assert RECEIPT_GROUPS * RECEIPT_GROUP_LEN * math.log2(len(alphabet)) >= 80


def test_thousand_receipts_are_distinct() -> None:
    assert len({generate_receipt() for _ in range(1000)}) == 1000


def test_normalize_round_trip_with_typing_confusions() -> None:
    receipt = generate_receipt()
    canonical = receipt.replace("-", "")
    assert normalize_receipt(receipt) == canonical
    assert normalize_receipt(" " + receipt.lower().replace("-", " ") + "\n") == canonical
    # Full-width input from a Chinese IME.
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c != "-" else "－" for c in receipt)
    assert normalize_receipt(fullwidth) == canonical
    assert normalize_receipt("O1IL-oilL-0000-1111-2222") == "01110111000011112222"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ABCD",
        "ABCD-EFGH-JKMN-PQRS-TVWXY",
        "UUUU-AAAA-BBBB-CCCC-DDDD",
        "ABCD*EFGH-JKMN-PQRS-TVWX",
    ],
)
def test_normalize_rejects_bad_input(raw: str) -> None:
    assert normalize_receipt(raw) is None


def test_receipt_digest_normalises_and_depends_on_key() -> None:
    key = derive_key(SECRET, "receipt")
    receipt = generate_receipt()
    digest = receipt_digest(key, receipt)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert receipt_digest(key, receipt.lower().replace("-", " ")) == digest
    assert receipt_digest(derive_key("other", "receipt"), receipt) != digest
    assert receipt_digest(key, generate_receipt()) != digest
    with pytest.raises(ValueError):
        receipt_digest(key, "not-a-receipt")


def test_pseudonym_is_stable_and_key_dependent() -> None:
    key = derive_key(SECRET, "pseudonym")
    p = pseudonym(key, "oAbC123-openid")
    assert p == pseudonym(key, "oAbC123-openid")
    assert len(p) == 32 and "oAbC123" not in p
    assert p != pseudonym(key, "oAbC124-openid")
    assert p != pseudonym(derive_key("other", "pseudonym"), "oAbC123-openid")
    with pytest.raises(ValueError):
        pseudonym(SECRET.encode()[:8], "oAbC123-openid")  # a short raw secret is refused


# --- sealed idempotent replays -----------------------------------------------------------------


def test_seal_round_trip_and_wrong_inputs_fail() -> None:
    key = derive_key(SECRET, "idempotency")
    who = pseudonym(derive_key(SECRET, "pseudonym"), "openid-1")
    payload = {"id": 17, "receipt": generate_receipt(), "message": "已收到"}
    token = seal(key, who, "idem-0001", payload)
    assert payload["receipt"].encode() not in token
    assert unseal(key, who, "idem-0001", token) == payload
    with pytest.raises(ValueError):
        unseal(key, who, "idem-0002", token)
    with pytest.raises(ValueError):
        unseal(key, "0" * 32, "idem-0001", token)
    with pytest.raises(ValueError):
        unseal(derive_key("other", "idempotency"), who, "idem-0001", token)
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(ValueError):
        unseal(key, who, "idem-0001", tampered)
    with pytest.raises(ValueError):
        unseal(key, who, "idem-0001", b"short")


def test_idempotency_lookup_is_stable_and_not_the_seal_key() -> None:
    key = derive_key(SECRET, "idempotency")
    lookup = idempotency_lookup(key, "p" * 32, "idem-1")
    assert lookup == idempotency_lookup(key, "p" * 32, "idem-1")
    assert lookup != idempotency_lookup(key, "q" * 32, "idem-1")
    assert lookup != idempotency_lookup(key, "p" * 32, "idem-2")
    # Length-prefixed parts: shifting characters between arguments changes the hash.
    assert idempotency_lookup(key, "ab", "c") != idempotency_lookup(key, "a", "bc")
    token = seal(key, "p" * 32, "idem-1", {"x": 1})
    with pytest.raises(ValueError):
        unseal(bytes.fromhex(lookup), "p" * 32, "idem-1", token)


# --- images -----------------------------------------------------------------------------------


def _gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    im = Image.new("RGB", size)
    im.putdata([(x * 7 % 256, y * 5 % 256, 128) for y in range(size[1]) for x in range(size[0])])
    return im.convert(mode)


def _exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CanonSpy"
    exif[ExifTags.Base.Model] = "EOS-Secret-9"
    exif[ExifTags.Base.ImageDescription] = "Beijing Road 42"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (34.0, 45.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (113.0, 39.0, 15.0)
    return exif


def _jpeg_with_metadata(size: tuple[int, int] = (120, 80), orientation: int | None = None) -> bytes:
    buf = io.BytesIO()
    _gradient(size).save(
        buf,
        "JPEG",
        exif=_exif(orientation),
        comment=b"author-zhang",
        icc_profile=b"\0" * 64,
    )
    data = buf.getvalue()
    reopened = Image.open(io.BytesIO(data))
    assert reopened.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture really carries GPS
    assert b"CanonSpy" in data and b"author-zhang" in data
    return data


def _assert_clean(clean: CleanImage) -> Image.Image:
    for planted in PLANTED:
        assert planted not in clean.data, planted
    assert b"Exif" not in clean.data and b"http://ns.adobe.com/xap" not in clean.data
    im = Image.open(io.BytesIO(clean.data))
    exif = im.getexif()
    assert len(exif) == 0 and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    for key in (
        "exif",
        "icc_profile",
        "comment",
        "xmp",
        "XML:com.adobe.xmp",
        "Author",
        "Comment",
    ):
        assert key not in im.info, key
    assert getattr(im, "text", {}) == {}
    return im


def test_jpeg_exif_gps_and_device_are_removed() -> None:
    clean = scrub_image(_jpeg_with_metadata())
    assert (clean.content_type, clean.extension) == ("image/jpeg", "jpg")
    im = _assert_clean(clean)
    assert im.format == "JPEG" and im.size == (120, 80) == (clean.width, clean.height)


def test_orientation_is_applied_before_stripping() -> None:
    clean = scrub_image(_jpeg_with_metadata(size=(120, 80), orientation=6))
    im = _assert_clean(clean)
    assert im.size == (80, 120) == (clean.width, clean.height)


def test_png_text_chunks_are_removed() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "author-zhang")
    info.add_text("Comment", "Beijing Road 42", zip=True)
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>CanonSpy EOS-Secret-9</x:xmpmeta>")
    buf = io.BytesIO()
    _gradient((64, 48), "RGBA").save(buf, "PNG", pnginfo=info, exif=_exif())
    raw = buf.getvalue()
    assert b"author-zhang" in raw
    clean = scrub_image(raw)
    assert (clean.content_type, clean.extension) == ("image/png", "png")
    im = _assert_clean(clean)
    assert im.mode == "RGBA" and im.size == (64, 48)
    for chunk in (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP"):
        assert chunk not in clean.data


def test_webp_and_multi_picture_jpeg_are_cleaned() -> None:
    buf = io.BytesIO()
    _gradient((50, 40)).save(buf, "WEBP", exif=_exif(), xmp=b"<x>CanonSpy</x>")
    clean = scrub_image(buf.getvalue())
    assert clean.content_type == "image/webp"
    _assert_clean(clean)
    # Many phones write MPO (JPEG with extra pictures); Pillow reports it as "MPO".
    buf = io.BytesIO()
    _gradient((50, 40)).save(buf, "MPO", save_all=True, append_images=[_gradient((50, 40))], exif=_exif())
    clean = scrub_image(buf.getvalue())
    assert clean.content_type == "image/jpeg"
    _assert_clean(clean)


def test_gif_becomes_still_png_and_cmyk_becomes_rgb() -> None:
    buf = io.BytesIO()
    frames = [_gradient((30, 20), "P"), Image.new("P", (30, 20))]
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], comment=b"author-zhang")
    clean = scrub_image(buf.getvalue())
    assert (clean.content_type, clean.extension) == ("image/png", "png")
    assert Image.open(io.BytesIO(clean.data)).format == "PNG"
    _assert_clean(clean)
    buf = io.BytesIO()
    _gradient((30, 20), "CMYK").save(buf, "JPEG", exif=_exif())
    im = _assert_clean(scrub_image(buf.getvalue()))
    assert im.mode == "RGB"


def test_large_image_is_downscaled() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (400, 100), "white").save(buf, "PNG")
    clean = scrub_image(buf.getvalue(), max_side=200)
    assert (clean.width, clean.height) == (200, 50)


def test_text_file_named_jpg_is_unsupported() -> None:
    with pytest.raises(ImageRejected) as exc:
        scrub_image("这不是图片，只是改了扩展名的文本\n".encode())
    assert exc.value.code == "unsupported_type"
    assert exc.value.reason and isinstance(exc.value, ValueError)


def test_other_image_formats_are_unsupported() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "BMP")
    with pytest.raises(ImageRejected) as exc:
        scrub_image(buf.getvalue())
    assert exc.value.code == "unsupported_type"


def test_truncated_jpeg_is_corrupt() -> None:
    raw = _jpeg_with_metadata(size=(300, 200))
    with pytest.raises(ImageRejected) as exc:
        scrub_image(raw[: len(raw) // 2])
    assert exc.value.code == "corrupt"


def test_too_many_pixels_is_rejected() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (100, 100)).save(buf, "PNG")
    with pytest.raises(ImageRejected) as exc:
        scrub_image(buf.getvalue(), max_pixels=5_000)
    assert exc.value.code == "too_many_pixels"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize("side", [7_000, 60_000])  # below and above Pillow's own bomb limit
def test_decompression_bomb_header_is_rejected_before_decoding(side: int) -> None:
    with pytest.raises(ImageRejected) as exc:
        scrub_image(_png_header_only(side, side))
    assert exc.value.code == "too_many_pixels"


def test_too_many_bytes_is_rejected() -> None:
    with pytest.raises(ImageRejected) as exc:
        scrub_image(_jpeg_with_metadata(), max_bytes=100)
    assert exc.value.code == "too_large"


# --- small-cell suppression --------------------------------------------------------------------


def test_small_cells_are_suppressed_and_zeros_kept() -> None:
    cells = {"a": 12, "b": 3, "c": 0, "d": 4, "e": 5}
    assert suppress_small_cells(cells) == {
        "a": 12,
        "b": SUPPRESSED,
        "c": 0,
        "d": SUPPRESSED,
        "e": 5,
    }


def test_single_suppressed_cell_without_total_needs_no_complement() -> None:
    assert suppress_small_cells({"a": 12, "b": 3, "c": 7}) == {
        "a": 12,
        "b": None,
        "c": 7,
    }


def test_complement_when_total_is_published() -> None:
    cells = {"a": 12, "b": 3, "c": 7, "d": 0, "e": 7}
    out = suppress_small_cells(cells, total=29)
    # The smallest other non-zero cell (ties broken by name) is hidden; the zero stays.
    assert out == {"a": 12, "b": None, "c": None, "d": 0, "e": 7}


def test_no_complement_needed_when_two_cells_are_hidden() -> None:
    out = suppress_small_cells({"a": 1, "b": 2, "c": 9}, total=12)
    assert out == {"a": None, "b": None, "c": 9}


def test_complement_falls_back_to_a_zero_cell() -> None:
    assert suppress_small_cells({"a": 3, "b": 0}, total=3) == {"a": None, "b": None}


def test_threshold_and_validation() -> None:
    assert suppress_small_cells({"a": 9, "b": 10}, threshold=10) == {"a": None, "b": 10}
    assert suppress_small_cells({}, total=0) == {}
    with pytest.raises(ValueError):
        suppress_small_cells({"a": -1})
