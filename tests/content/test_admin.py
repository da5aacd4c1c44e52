import pytest
from django.urls import reverse
from PIL import Image

from portal.content.models import Article, ArticleStatus, Indicator
from tests.content.factories import ArticleFactory, FaqFactory, PolicyFactory
from tests.content.test_cover import image_upload

pytestmark = pytest.mark.django_db


def test_staff_add_an_article_with_a_cover_which_is_stored_resized(client, staff):
    client.force_login(staff)
    policy = PolicyFactory()

    response = client.post(
        reverse("admin:content_article_add"),
        {
            "category": "interpretation",
            "title": "政策解读：研发投入后补助",
            "slug": "",
            "summary": "摘要",
            "body": "正文",
            "cover": image_upload(size=(2000, 1000)),
            "author": "创新发展局",
            "status": "published",
            "publish_at_0": "2023-03-30",
            "publish_at_1": "09:00:00",
            "related_policies": [policy.pk],
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.slug == "20230330-1"
    assert article.created_by == staff
    assert list(article.related_policies.all()) == [policy]
    with Image.open(article.cover.path) as image:
        assert image.width == 1200


def test_a_cover_that_is_not_jpeg_png_or_webp_is_a_form_error(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:content_article_add"),
        {
            "category": "news",
            "title": "标题",
            "body": "正文",
            "cover": image_upload(fmt="GIF", size=(20, 20), name="c.gif"),
            "status": "draft",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["cover"] == ["封面图片只支持 JPEG、PNG 或 WebP 格式。"]
    assert Article.objects.count() == 0


def test_the_preview_shows_unsaved_fields_as_the_public_page_sanitised(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("admin:content_article_preview"),
        {"category": "notice", "title": "尚未保存的通知", "body": "**要点**<script>x()</script>"},
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "预览：以下是尚未保存的内容在前台的样子。" in body
    assert "尚未保存的通知" in body
    assert "<strong>要点</strong>" in body
    assert "x()" not in body
    assert Article.objects.count() == 0


def test_the_change_form_offers_the_preview_button(client, staff):
    client.force_login(staff)
    article = ArticleFactory(status=ArticleStatus.DRAFT, publish_at=None)

    body = client.get(reverse("admin:content_article_change", args=[article.pk])).content.decode()

    assert 'formaction="/admin/content/article/preview/"' in body


def test_the_preview_is_for_staff_only(client, owner):
    client.force_login(owner)

    response = client.post(reverse("admin:content_article_preview"), {"title": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_import_indicators_through_the_admin(client, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff)
    upload = SimpleUploadedFile(
        "h1.csv", "期间,指标,数值,单位,同比增长(%)\n2023H1,地区生产总值,302.3,亿元,7.5\n".encode()
    )

    response = client.post(reverse("admin:content_indicator_import"), {"file": upload}, follow=True)

    assert "导入完成：共 1 行，新增 1，更新 0，未变 0。" in response.content.decode()
    assert Indicator.objects.get().name == "地区生产总值"


def test_the_admin_import_lists_row_errors(client, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(staff)
    upload = SimpleUploadedFile("h1.csv", "期间,指标,数值\n2023H7,地区生产总值,302.3\n".encode())

    response = client.post(reverse("admin:content_indicator_import"), {"file": upload})

    assert "第 2 行：期间“2023H7”格式不对" in response.content.decode()
    assert Indicator.objects.count() == 0


def test_the_faq_changelist_shows_how_helpful_each_answer_was(client, staff):
    client.force_login(staff)
    faq = FaqFactory(question="公章刻制怎么办理？")
    faq.feedback.create(helpful=True, session_key="a")
    faq.feedback.create(helpful=True, session_key="b")
    faq.feedback.create(helpful=False, session_key="c")

    response = client.get(reverse("admin:content_faq_changelist"))

    row = response.context["cl"].result_list[0]
    assert (row.helpful_total, row.unhelpful_total) == (2, 1)
