"""Photo processing of visit photos: checked by content, bomb-safe, re-encoded without EXIF, with a thumbnail.

Pure functions of bytes (no database): visits.services calls them outside any transaction (STYLE 6).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from campaign.errors import Invalid
from campaign.fields import instant_in_range

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
# The bitmap a photo may cost, checked on the header's size before any pixel is decoded: 40 MP is 120 MB as RGB
# (a 49-megapixel PNG of 200 KB would cost ~450 MB through decoding, orientation and re-encoding). A JPEG is decoded
# at a reduced scale (draft), so a 48 MP phone photo costs its reduced size; PNG and WebP cannot be, so their
# header size counts.
MAX_PIXELS = 40_000_000
# Beyond this, the header itself is refused: Pillow raises DecompressionBombError on open (and warns above it).
MAX_SOURCE_PIXELS = 200_000_000
Image.MAX_IMAGE_PIXELS = MAX_SOURCE_PIXELS
# MPO is what phones write for a JPEG carrying a depth map or a preview (Pillow's MpoImageFile, a JPEG subclass).
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
JPEG_LIKE = {"JPEG", "MPO"}
STORED_MAX_SIDE = 2560  # the served photo: enough to read a doorplate, a fraction of a full-size upload
THUMB_SIDE = 320  # lists and the phone's today page
JPEG_QUALITY = 85

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011


@dataclass
class ProcessedPhoto:
    original_format: str
    image: bytes  # JPEG, orientation applied, no EXIF
    thumbnail: bytes  # JPEG, no EXIF
    width: int
    height: int
    lat: float | None
    lng: float | None
    taken_at: dt.datetime | None


def _refuse(message: str) -> Invalid:
    return Invalid.field("file", message)


def _open_checked(data: bytes) -> Image.Image:
    """Open by content (not name or content type); refuse other formats and bombs before any pixel is decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            probe = Image.open(io.BytesIO(data))  # lazy: reads the header only
            _check_header(probe)
            probe.verify()
            image = Image.open(io.BytesIO(data))  # verify() leaves the file unusable: open again to decode
            if image.format in JPEG_LIKE:
                image.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))  # decode at reduced scale: bounded memory
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise _refuse(_("图片像素过大（疑似解压炸弹）。")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise _refuse(_("文件不是有效的图片。")) from None
    return image


def _check_header(probe: Image.Image) -> None:
    """The format and the size the decoded bitmap will have (a JPEG's after its reduced-scale draft)."""
    if probe.format not in ALLOWED_FORMATS:
        raise _refuse(_("只接受 JPEG、PNG 或 WebP 图片。"))
    if probe.format in JPEG_LIKE:
        probe.draft("RGB", (STORED_MAX_SIDE, STORED_MAX_SIDE))  # sets the decode size, decodes nothing
    width, height = probe.size
    if width * height > MAX_PIXELS:
        raise _refuse(_("图片像素过大（超过 %(mp)d 百万像素）。") % {"mp": MAX_PIXELS // 1_000_000})


def _rational(value: Any) -> float:
    return float(Fraction(value)) if not isinstance(value, tuple) else value[0] / value[1]


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    """(lat, lng) from the GPS IFD (as the camera wrote it, normally WGS-84), or (None, None)."""
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat_ref, lat_dms, lng_ref, lng_dms = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat_dms and lng_dms):
            return None, None
        lat = sum(_rational(v) / 60**i for i, v in enumerate(lat_dms))
        lng = sum(_rational(v) / 60**i for i, v in enumerate(lng_dms))
        if str(lat_ref).upper().startswith("S"):
            lat = -lat
        if str(lng_ref).upper().startswith("W"):
            lng = -lng
    except (TypeError, ValueError, ZeroDivisionError, KeyError, AttributeError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # refuses NaN (a zero denominator) and infinities too
        return None, None
    return round(lat, 7), round(lng, 7)


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    """DateTimeOriginal; without OffsetTimeOriginal, phones write local (Asia/Shanghai) time. A date out of range
    ("0000:00:00 00:00:00", year 1 or 9999, an offset of +25:00) is ignored, not fatal: the photo is still evidence."""
    moment = _exif_moment(exif)
    return moment if moment is not None and instant_in_range(moment) else None


def _exif_moment(exif: Image.Exif) -> dt.datetime | None:
    from django.utils import timezone

    try:
        sub = exif.get_ifd(EXIF_IFD)
        raw = sub.get(DATETIME_ORIGINAL)
        if not raw:
            return None
        naive = dt.datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        offset = sub.get(OFFSET_TIME_ORIGINAL)
        if offset:
            return dt.datetime.fromisoformat(naive.isoformat() + str(offset).strip("\x00 "))
        return timezone.make_aware(naive, timezone.get_default_timezone())
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        return None


def _jpeg(image: Image.Image) -> bytes:
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, (255, 255, 255))
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)  # no exif= : nothing personal leaks
    return out.getvalue()


def process_photo(data: bytes) -> ProcessedPhoto:
    """Check and re-encode an uploaded photo. Raises Invalid on `file` for anything but a sane image."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise _refuse(_("图片不能超过 10 MB。"))
    if not data:
        raise _refuse(_("文件为空。"))
    image = _open_checked(data)
    original_format = "JPEG" if image.format in JPEG_LIKE else str(image.format)  # MPO is a JPEG with extras
    exif = image.getexif()
    lat, lng = _gps(exif)
    taken_at = _taken_at(exif)
    image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE))  # first, so that turning it copies the small bitmap
    try:
        image = ImageOps.exif_transpose(image) or image  # what the camera meant by "up"
    except (ValueError, TypeError, OSError, KeyError, SyntaxError):
        pass
    stored = _jpeg(image)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return ProcessedPhoto(
        original_format=original_format,
        image=stored,
        thumbnail=_jpeg(thumb),
        width=image.width,
        height=image.height,
        lat=lat,
        lng=lng,
        taken_at=taken_at,
    )
