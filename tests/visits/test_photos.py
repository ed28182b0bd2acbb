"""POST /api/v1/visits/{id}/photos/: checked by content, bomb-safe, EXIF GPS kept in the DB but not served."""

from __future__ import annotations

import io
import uuid

import pytest
from PIL import Image

from campaign.errors import OutOfScope
from tests.visits.conftest import visit_body
from visits.models import Visit, VisitPhoto
from visits.services import visit_photo_add


def _jpeg(size=(40, 20), orientation: int | None = None, gps: bool = False) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = "N", (34.0, 11.0, 24.0), "E", (108.0, 52.0, 48.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(api, user, visit_id, content: bytes, name: str = "photo.jpg"):
    return api.as_user(user).post(
        f"/api/v1/visits/{visit_id}/photos/", {"file": _named(content, name)}, format="multipart"
    )


def _named(content: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.fixture
def visit_id(api, cadre, household, campaign_obj):
    response = api.as_user(cadre).post("/api/v1/visits/", visit_body(household), format="json")
    assert response.status_code == 201
    return response.json()["id"]


def _served(api, user, photo: dict, thumb: bool = False) -> Image.Image:
    response = api.as_user(user).get(photo["thumbnail_url"] if thumb else photo["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_gps_is_kept_in_the_db_but_stripped_from_the_served_file(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, _jpeg(gps=True))

    assert response.status_code == 201, response.json()
    photo = VisitPhoto.objects.get()
    assert photo.lat == pytest.approx(34.19) and photo.lng == pytest.approx(108.88)
    served = _served(api, cadre, response.json())
    assert dict(served.getexif()) == {} and not served.getexif().get_ifd(0x8825)
    assert b"Exif" not in open(f"{__import__('django.conf').conf.settings.MEDIA_ROOT}/{photo.file}", "rb").read()


def test_exif_orientation_is_applied(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, _jpeg(size=(40, 20), orientation=6))

    assert (response.json()["width"], response.json()["height"]) == (20, 40)
    assert _served(api, cadre, response.json()).size == (20, 40)


def test_thumbnail_is_at_most_320_px(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, _jpeg(size=(1200, 900)))

    assert max(_served(api, cadre, response.json(), thumb=True).size) == 320


def test_same_content_again_answers_200_with_one_row(api, cadre, visit_id):
    content = _jpeg()
    first = _upload(api, cadre, visit_id, content)

    again = _upload(api, cadre, visit_id, content, name="renamed.jpg")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert VisitPhoto.objects.count() == 1


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_png_and_webp_are_accepted(api, cadre, visit_id, fmt):
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 255, 128)).save(out, fmt)

    response = _upload(api, cadre, visit_id, out.getvalue(), name="x.jpg")

    assert response.status_code == 201 and response.json()["original_format"] == fmt


def test_not_an_image_is_refused_whatever_its_name(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, b"%PDF-1.4 not an image at all", name="photo.jpg")

    assert response.status_code == 400 and "file" in response.json()
    assert VisitPhoto.objects.count() == 0


def test_gif_is_refused(api, cadre, visit_id):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")

    assert _upload(api, cadre, visit_id, out.getvalue(), name="x.png").status_code == 400


def test_truncated_image_is_refused(api, cadre, visit_id):
    assert _upload(api, cadre, visit_id, _jpeg(size=(400, 400))[:300]).status_code == 400


def test_file_over_10_mb_is_refused(api, cadre, visit_id):
    content = _jpeg() + b"\0" * (10 * 1024 * 1024)

    response = _upload(api, cadre, visit_id, content)

    assert response.status_code == 400 and "file" in response.json()
    assert VisitPhoto.objects.count() == 0


def test_decompression_bomb_is_refused_before_decoding(api, cadre, visit_id):
    # a 1-bit PNG of 20000 × 20000 px (400 MP) is a few kB on the wire
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    assert len(out.getvalue()) < 200_000

    response = _upload(api, cadre, visit_id, out.getvalue(), name="bomb.png")

    assert response.status_code == 400 and "file" in response.json()
    assert VisitPhoto.objects.count() == 0


def test_missing_file_field_is_refused(api, cadre, visit_id):
    response = api.as_user(cadre).post(f"/api/v1/visits/{visit_id}/photos/", {}, format="multipart")

    assert response.status_code == 400 and "file" in response.json()


def test_only_the_author_may_add_photos(api, cadre, visit_id, org, admin_user, leader):
    from tests.factories import UserFactory

    colleague = UserFactory(role="cadre", unit=org.grid1)
    assert _upload(api, colleague, visit_id, _jpeg()).status_code == 404  # a cadre does not see others' visits
    assert _upload(api, leader, visit_id, _jpeg()).status_code == 403
    assert _upload(api, admin_user, visit_id, _jpeg()).status_code == 201


def test_photo_file_is_served_only_within_scope(api, cadre, cadre2, street_leader, visit_id):
    photo = _upload(api, cadre, visit_id, _jpeg()).json()

    assert api.as_user(street_leader).get(photo["url"]).status_code == 200
    assert api.as_user(cadre2).get(photo["url"]).status_code == 404
    api.logout()
    api.force_authenticate(None)
    assert api.get(photo["url"]).status_code in (401, 403)


def test_visit_detail_lists_its_photos(api, cadre, visit_id):
    photo = _upload(api, cadre, visit_id, _jpeg()).json()

    detail = api.as_user(cadre).get(f"/api/v1/visits/{visit_id}/").json()

    assert [p["id"] for p in detail["photos"]] == [photo["id"]]


def test_an_unknown_size_is_a_400_naming_it(api, cadre, visit_id):
    photo = _upload(api, cadre, visit_id, _jpeg()).json()

    response = api.as_user(cadre).get(photo["url"] + "?size=huge")

    assert response.status_code == 400 and "size" in response.json()


# --- issue 12: pixel limit before decoding, MPO, EXIF out of range ignored, nothing stored on failure -------------
def _exif_jpeg(*, fmt: str = "JPEG", taken: str | None = None, offset: str | None = None, gps=None) -> bytes:
    image = Image.new("RGB", (40, 20), (200, 30, 30))
    exif = Image.Exif()
    if taken is not None:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken
        if offset:
            sub[0x9011] = offset
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = gps
    out = io.BytesIO()
    extra = {"save_all": True, "append_images": [Image.new("RGB", (40, 20))]} if fmt == "MPO" else {}
    image.save(out, fmt, exif=exif, **extra)
    return out.getvalue()


def _stored_files(media_root) -> list[str]:
    import pathlib

    return [str(p) for p in pathlib.Path(media_root).rglob("*") if p.is_file()]


def test_a_49_megapixel_png_is_refused_before_decoding(api, cadre, visit_id, media_root):
    out = io.BytesIO()
    Image.new("RGB", (7000, 7000)).save(out, "PNG")  # 49 MP in ~140 kB: under Pillow's own bomb limit
    assert len(out.getvalue()) < 200_000

    response = _upload(api, cadre, visit_id, out.getvalue(), name="big.png")

    assert response.status_code == 400 and "file" in response.json(), response.json()
    assert VisitPhoto.objects.count() == 0
    assert _stored_files(media_root) == []


def test_refusing_a_49_megapixel_png_allocates_no_bitmap(tmp_path):
    """Measured in a fresh process that reads the PNG from a file (making it here costs the bitmap this test looks
    for, and the runner's own peak would hide it): decoding 49 MP as RGB costs 147 MB, refusing it a few."""
    import pathlib
    import subprocess
    import sys

    source = tmp_path / "big.png"
    Image.new("RGB", (7000, 7000)).save(source, "PNG")
    script = """
import resource, sys, django
django.setup()
from campaign.errors import Invalid
from visits.photos import process_photo
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    process_photo(data)
except Invalid:
    pass
else:
    raise SystemExit("accepted")
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-c", script, str(source)]
    root = pathlib.Path(__file__).resolve().parents[2]
    done = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120, cwd=root)

    assert done.returncode == 0, done.stderr[-2000:]
    assert int(done.stdout.strip().splitlines()[-1]) < 40  # MB of peak growth


def test_a_large_phone_jpeg_is_decoded_at_reduced_scale_and_accepted(api, cadre, visit_id):
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (90, 120, 150)).save(out, "JPEG", quality=30)  # 48 MP, like a phone's

    response = _upload(api, cadre, visit_id, out.getvalue())

    assert response.status_code == 201, response.json()
    assert max(response.json()["width"], response.json()["height"]) <= 2560


def test_an_mpo_from_a_phone_is_accepted_and_stored_as_jpeg(api, cadre, visit_id):
    content = _exif_jpeg(fmt="MPO")
    assert Image.open(io.BytesIO(content)).format == "MPO"

    response = _upload(api, cadre, visit_id, content)

    assert response.status_code == 201, response.json()
    assert response.json()["original_format"] == "JPEG"
    assert _served(api, cadre, response.json()).format == "JPEG"


@pytest.mark.parametrize(
    ("taken", "offset"),
    [
        ("0000:00:00 00:00:00", None),
        ("0001:01:01 00:00:00", None),
        ("0001:01:01 00:00:00", "+08:00"),
        ("9999:12:31 23:59:59", "-08:00"),
        ("2026:05:01 10:00:00", "+25:00"),
        ("2026:13:45 99:00:00", None),
        ("\u0000\u0000\u0000", None),
    ],
)
def test_an_exif_date_out_of_range_is_ignored_and_the_list_still_answers(api, cadre, visit_id, taken, offset):
    response = _upload(api, cadre, visit_id, _exif_jpeg(taken=taken, offset=offset))

    assert response.status_code == 201, response.json()
    assert VisitPhoto.objects.get().taken_at is None
    assert api.as_user(cadre).get("/api/v1/visits/").status_code == 200
    assert api.as_user(cadre).get(f"/api/v1/visits/{visit_id}/").status_code == 200


def test_a_plausible_exif_date_is_kept(api, cadre, visit_id):
    response = _upload(api, cadre, visit_id, _exif_jpeg(taken="2026:05:01 10:00:00"))

    assert response.status_code == 201
    assert response.json()["taken_at"].startswith("2026-05-01T10:00:00")


def _gps_cases():
    from PIL.TiffImagePlugin import IFDRational

    zero = IFDRational(34, 0)
    return [
        ("N", (zero, 1.0, 0.0), "E", (108.0, 0.0, 0.0)),  # a zero denominator: NaN
        ("N", (500.0, 0.0, 0.0), "E", (108.0, 0.0, 0.0)),  # latitude 500
        ("N", (34.0, 0.0, 0.0), "W", (1e300, 1e300, 0.0)),  # longitude beyond any range
    ]


@pytest.mark.parametrize("gps", _gps_cases(), ids=["zero denominator", "latitude 500", "huge longitude"])
def test_exif_gps_out_of_range_is_ignored(api, cadre, visit_id, gps):
    response = _upload(api, cadre, visit_id, _exif_jpeg(gps=gps))

    assert response.status_code == 201, response.json()
    photo = VisitPhoto.objects.get()
    assert photo.lat is None and photo.lng is None


def test_an_upload_failing_after_its_exif_was_read_stores_nothing(api, cadre, visit_id, media_root):
    content = _exif_jpeg(taken="2026:05:01 10:00:00", gps=("N", (34.0, 11.0, 24.0), "E", (108.0, 52.0, 48.0)))
    truncated = content[: len(content) - 40]  # the header and EXIF read fine; the pixels do not

    response = _upload(api, cadre, visit_id, truncated)

    assert response.status_code == 400 and "file" in response.json()
    assert VisitPhoto.objects.count() == 0
    assert _stored_files(media_root) == []


# VisitPhoto.visit has no database constraint (visits are partitioned on PostgreSQL): the service keeps the link.
def test_a_photo_of_a_missing_visit_is_refused_by_the_code(cadre, visit_id):
    ghost = Visit.objects.get(pk=visit_id)
    ghost.id = uuid.uuid4()  # never stored

    with pytest.raises(OutOfScope):
        visit_photo_add(actor=cadre, visit=ghost, content=_jpeg())

    assert not VisitPhoto.objects.exists()
