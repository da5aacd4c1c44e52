import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from portal.content import services
from portal.content.models import Article, ArticleCategory, ArticleStatus


def image_upload(fmt="PNG", size=(2400, 1200), name="cover.png", exif=None) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (176, 22, 27))
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, format=fmt, **kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def test_a_wide_cover_is_shrunk_to_1200_pixels_keeping_its_proportions():
    prepared = services.cover_prepare(upload=image_upload(size=(2400, 1200)))

    with Image.open(prepared) as image:
        assert image.size == (1200, 600)
        assert image.format == "PNG"
    assert prepared.name == "cover.png"


def test_a_small_cover_keeps_its_size():
    prepared = services.cover_prepare(upload=image_upload(fmt="JPEG", size=(800, 450), name="c.jpg"))

    with Image.open(prepared) as image:
        assert image.size == (800, 450)
        assert image.format == "JPEG"


def test_camera_metadata_does_not_reach_the_stored_cover():
    exif = Image.Exif()
    exif[0x010F] = "某相机厂商"  # Make
    prepared = services.cover_prepare(upload=image_upload(fmt="JPEG", name="c.jpg", exif=exif.tobytes()))

    with Image.open(prepared) as image:
        assert dict(image.getexif()) == {}


def test_a_file_that_is_not_an_image_is_refused():
    upload = SimpleUploadedFile("cover.png", b"%PDF-1.4 not an image", content_type="image/png")

    with pytest.raises(services.ContentError, match="封面文件不是有效的图片。"):
        services.cover_prepare(upload=upload)


def test_an_image_format_other_than_jpeg_png_or_webp_is_refused():
    with pytest.raises(services.ContentError, match="封面图片只支持 JPEG、PNG 或 WebP 格式。"):
        services.cover_prepare(upload=image_upload(fmt="GIF", size=(100, 100), name="c.gif"))


def test_a_cover_over_five_megabytes_is_refused():
    upload = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), content_type="image/png")

    with pytest.raises(services.ContentError, match="封面图片不能超过 5 MB。"):
        services.cover_prepare(upload=upload)


@pytest.mark.django_db
def test_saving_an_article_with_a_cover_stores_the_resized_image_under_media(settings):
    article = Article(
        category=ArticleCategory.NEWS, title="标题", body="正文", status=ArticleStatus.PUBLISHED
    )

    services.article_save(article=article, cover=image_upload(size=(3000, 1500)))

    article.refresh_from_db()
    assert article.cover.name.startswith("content/covers/")
    assert (settings.MEDIA_ROOT / article.cover.name).exists()
    with Image.open(article.cover.path) as image:
        assert image.size == (1200, 600)
