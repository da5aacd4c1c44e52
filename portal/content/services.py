"""Writes of the public content: articles and their covers, FAQ feedback and hand-off, indicator imports."""

import io
import re
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from portal import tabular
from portal.content import imports
from portal.content.markdown import plain_text
from portal.content.models import (
    Article,
    ArticleStatus,
    DeskCategory,
    Faq,
    FaqFeedback,
    Indicator,
    LearnedPhrasing,
    SynonymGroup,
)
from portal.content.ranking import query_key
from portal.search import search_document

COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_MAX_PIXELS = 40_000_000  # well below Pillow's decompression-bomb limit, above any camera photo
COVER_MAX_WIDTH = 1200
COVER_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
HANDOFF_MIN_CHARS = 5
HANDOFF_MAX_CHARS = 1000
HANDOFF_TITLE_CHARS = 60
# A wording is learned once this many different visitors typed it and found the answer helpful: one visitor
# alone cannot teach the index anything.
LEARN_MIN_SESSIONS = 2
# The most wordings one question learns, so that a few visitors cannot flood it; staff delete to make room.
LEARNED_MAX_PER_FAQ = 20
# A typed query is kept with its vote only without what may identify a person: a run of digits (a mobile,
# an ID or a card number) or an e-mail address.
PERSONAL_DATA = re.compile(r"\d{6,}|\d{3,}[\s-]\d{3,}|[\w.+-]+@[\w-]+\.[\w.]+", re.ASCII)


class ContentError(Exception):
    """A content write that cannot be done; the message says why, in Chinese."""


def cover_prepare(*, upload) -> ContentFile:
    """A cover checked to be a real JPEG/PNG/WebP image, shrunk to 1,200 px wide, metadata dropped."""
    size = getattr(upload, "size", None)
    if size is not None and size > COVER_MAX_BYTES:
        raise ContentError(_("封面图片不能超过 5 MB。"))
    upload.seek(0)
    data = upload.read()
    if len(data) > COVER_MAX_BYTES:
        raise ContentError(_("封面图片不能超过 5 MB。"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            probe.verify()
        if image_format not in COVER_FORMATS:
            raise ContentError(_("封面图片只支持 JPEG、PNG 或 WebP 格式。"))
        if width * height > COVER_MAX_PIXELS:
            raise ContentError(_("封面图片像素过多，请缩小后再上传。"))
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.width > COVER_MAX_WIDTH:
                height = max(1, round(image.height * COVER_MAX_WIDTH / image.width))
                image = image.resize((COVER_MAX_WIDTH, height), Image.Resampling.LANCZOS)
            if image_format == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # Saving anew keeps only pixels: EXIF (places, devices) does not reach the public site.
            image.save(out, format=image_format, quality=85, optimize=True)
    except ContentError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ContentError(_("封面文件不是有效的图片。")) from None
    return ContentFile(out.getvalue(), name=f"cover.{COVER_FORMATS[image_format]}")


def _unique_slug(article: Article) -> str:
    day = timezone.localtime(article.publish_at or timezone.now())
    prefix = f"{day:%Y%m%d}"
    taken = set(Article.objects.filter(slug__startswith=prefix).values_list("slug", flat=True))
    number = 1
    while f"{prefix}-{number}" in taken:
        number += 1
    return f"{prefix}-{number}"


def search_fields_fill(article: Article) -> None:
    """Set the article's token columns from its current text (title apart, for ranking)."""
    article.search_title = search_document(article.title)
    article.search_body = search_document(article.summary, plain_text(article.body), article.author)


@transaction.atomic
def article_save(*, article: Article, cover=None, related_policies=None, user=None) -> Article:
    """Create or update an article: slug filled, publishing time set on publishing, cover processed."""
    if article.status == ArticleStatus.PUBLISHED and article.publish_at is None:
        article.publish_at = timezone.now()
    if not article.slug:
        article.slug = _unique_slug(article)
    if article.pk is None and user is not None and article.created_by_id is None:
        article.created_by = user
    try:
        article.full_clean(exclude={"cover"})
    except ValidationError as exc:
        raise ContentError("；".join(exc.messages)) from None
    if cover is not None:
        prepared = cover_prepare(upload=cover)
        old_name = article.cover.name if article.cover else ""
        article.cover.save(f"{article.slug}.{prepared.name.rsplit('.', 1)[1]}", prepared, save=False)
        if old_name and old_name != article.cover.name:
            old_file = article.cover.storage
            transaction.on_commit(lambda: old_file.delete(old_name))
    search_fields_fill(article)
    article.save()
    if related_policies is not None:
        article.related_policies.set(related_policies)
    return article


def faq_index_changed() -> None:
    """Tell every process to rebuild the FAQ index (秒回复) on its next search, once this write commits."""

    def bump():
        from portal.content.selectors import INDEX_VERSION_KEY

        cache.add(INDEX_VERSION_KEY, 0, timeout=None)
        try:
            cache.incr(INDEX_VERSION_KEY)
        except ValueError:  # evicted between the two calls
            cache.set(INDEX_VERSION_KEY, 1, timeout=None)

    transaction.on_commit(bump)


@transaction.atomic
def faq_save(*, faq: Faq) -> Faq:
    """Save a question (new or changed); the instant answers use it from the next search on."""
    faq.full_clean()
    faq.save()
    faq_index_changed()
    return faq


@transaction.atomic
def faq_delete(*, faq: Faq) -> None:
    """Delete a question and its votes; the instant answers stop offering it."""
    faq.delete()
    faq_index_changed()


@transaction.atomic
def synonym_group_save(*, group: SynonymGroup) -> SynonymGroup:
    """Save a group of synonyms; the search and the instant answers read them from the next query on."""
    group.full_clean()
    group.save()
    faq_index_changed()
    return group


@transaction.atomic
def synonym_group_delete(*, group: SynonymGroup) -> None:
    group.delete()
    faq_index_changed()


@transaction.atomic
def faq_feedback_record(*, faq: Faq, helpful: bool, session_key: str, query: str = "") -> FaqFeedback:
    """Record whether an answer helped, and what the visitor had typed; a changed mind replaces the earlier
    answer. The votes on one query teach the instant answers (``faq_phrasing_learn``)."""
    if not session_key:
        raise ContentError(_("无法记录评价，请允许浏览器保存 Cookie 后重试。"))
    query = query_key(query)
    if PERSONAL_DATA.search(query):
        # The vote counts; words that may identify someone are not kept, nor ever learned.
        query = ""
    earlier = FaqFeedback.objects.filter(faq=faq, session_key=session_key).values_list("query", flat=True)
    earlier_query = earlier.first()
    feedback, _created = FaqFeedback.objects.update_or_create(
        faq=faq, session_key=session_key, defaults={"helpful": helpful, "query": query}
    )
    for asked in {query, earlier_query or ""} - {""}:
        faq_phrasing_learn(faq=faq, query=asked)
    return feedback


@transaction.atomic
def faq_phrasing_learn(*, faq: Faq, query: str) -> LearnedPhrasing | None:
    """Learn ``query`` as a wording of ``faq`` while enough visitors found the answer helpful for it.

    Learned when ``LEARN_MIN_SESSIONS`` different visitors who typed it voted 有帮助 and more of them did
    than voted 没有帮助, while the question has fewer than ``LEARNED_MAX_PER_FAQ`` wordings; forgotten when
    the votes no longer hold it (a visitor changed their mind). The index is rebuilt when either happens.
    """
    votes = FaqFeedback.objects.filter(faq=faq, query=query).aggregate(
        yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
    )
    held = votes["yes"] >= LEARN_MIN_SESSIONS and votes["yes"] > votes["no"]
    phrasing = LearnedPhrasing.objects.filter(faq=faq, text=query).first()
    if phrasing is not None:
        if not held:
            phrasing.delete()
            faq_index_changed()
            return None
        if phrasing.sessions != votes["yes"]:
            # A count for staff only: an update, so the public pages' cache is not thrown away for it.
            LearnedPhrasing.objects.filter(pk=phrasing.pk).update(sessions=votes["yes"])
            phrasing.sessions = votes["yes"]
        return phrasing
    if not held or LearnedPhrasing.objects.filter(faq=faq).count() >= LEARNED_MAX_PER_FAQ:
        return None
    try:
        with transaction.atomic():
            phrasing = LearnedPhrasing.objects.create(faq=faq, text=query, sessions=votes["yes"])
    except IntegrityError:  # learned by a visitor voting at the same moment
        return LearnedPhrasing.objects.filter(faq=faq, text=query).first()
    faq_index_changed()
    return phrasing


@transaction.atomic
def learned_phrasing_delete(*, phrasing: LearnedPhrasing) -> None:
    """Forget a learned wording; the 有帮助 votes that taught it no longer count for it, so it comes back only
    if ``LEARN_MIN_SESSIONS`` new visitors type it and find the answer helpful."""
    FaqFeedback.objects.filter(faq_id=phrasing.faq_id, query=phrasing.text, helpful=True).update(query="")
    phrasing.delete()
    faq_index_changed()


def faq_handoff(*, question: Faq | None, user, text: str):
    """Hand a question the FAQ did not answer to the service desk, as a problem from channel FAQ."""
    text = (text or "").strip()
    if user is None or not getattr(user, "is_enterprise_user", False):
        raise ContentError(_("只有企业用户登录后才能把问题转交服务台；公众请拨打服务热线。"))
    if len(text) < HANDOFF_MIN_CHARS:
        raise ContentError(_("请把问题写具体一些（至少 5 个字）。"))
    if len(text) > HANDOFF_MAX_CHARS:
        raise ContentError(_("问题描述不能超过 1000 个字。"))
    # Imported here: the service desk sits beside content, and content only calls its one service.
    from portal.servicedesk.services import ProblemError, problem_submit

    category = question.category.desk_category if question is not None else DeskCategory.OTHER
    title = text if len(text) <= HANDOFF_TITLE_CHARS else text[: HANDOFF_TITLE_CHARS - 1] + "…"
    description = text
    if question is not None:
        description += "\n\n" + _("（企业查看常见问题“%(question)s”后，认为未解决其问题。）") % {
            "question": question.question
        }
    try:
        return problem_submit(
            enterprise=user.enterprise,
            user=user,
            channel="faq",
            category=str(category),
            title=title,
            description=description,
        )
    except ProblemError as exc:
        raise ContentError(str(exc)) from exc


def indicators_import(
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> tabular.ImportReport:
    """Upsert indicators by (period, name) from a CSV file; every row checked first, all rows or none."""
    report = tabular.ImportReport(dry_run=dry_run)
    rows, seen = [], {}
    for number, raw in tabular.read_rows(data, filename, imports.COLUMNS, formats=imports.FORMATS):
        report.rows += 1
        try:
            row = imports.clean_row(raw)
        except ValueError as exc:
            report.errors.append(tabular.RowError(number, str(exc)))
            continue
        key = (row["period"], row["name"])
        if key in seen:
            report.errors.append(
                tabular.RowError(
                    number,
                    _("与第 %(row)s 行重复（%(period)s %(name)s）")
                    % {"row": seen[key], "period": row["period"], "name": row["name"]},
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    if progress:
        progress("校验", report.rows)
    if report.errors:
        return report
    with transaction.atomic():
        existing = {
            (i.period, i.name): i
            for i in Indicator.objects.select_for_update().filter(period__in={r["period"] for r in rows})
        }
        for row in rows:
            indicator = existing.get((row["period"], row["name"]))
            if indicator is None:
                report.created += 1
                if not dry_run:
                    Indicator.objects.create(**row)
                continue
            changed = [f for f, v in row.items() if getattr(indicator, f) != v]
            if not changed:
                report.unchanged += 1
                continue
            report.updated += 1
            if not dry_run:
                for f in changed:
                    setattr(indicator, f, row[f])
                indicator.save(update_fields=[*changed, "updated_at"])
        if progress:
            progress("写入", len(rows))
    return report
