"""Public pages: news, the FAQ (秒回复), economic figures and the service-performance page."""

import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portal import exports, public_cache, stats
from portal.content import charts, figures, imports, selectors, services
from portal.content.forms import FaqAskForm
from portal.content.markdown import plain_text
from portal.content.models import ArticleCategory
from portal.content.periods import parse_period, recent_half_years
from portal.paginators import PublicCountPaginator
from portal.search import MAX_QUERY_LENGTH, highlight, query_notice, snippet

NEWS_PAGE_SIZE = 15
QUERY_MAX_CHARS = 100
FAQ_RESULTS = 5


def _query(request) -> str:
    return request.GET.get("q", "").strip()[:QUERY_MAX_CHARS]


# News


@public_cache.cache_public
@require_GET
def news_list(request):
    """新闻动态: one category or all, newest first; the catalogue's Chinese search, synonyms included."""
    category = request.GET.get("category", "")
    if category and category not in ArticleCategory.values:
        category = ""
    raw = request.GET.get("q", "")
    terms = selectors.search_terms(raw)
    page = PublicCountPaginator(selectors.article_list(category=category, q=terms), NEWS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    words = terms.words
    for article in page:
        article.title_html = highlight(article.title, words)
        if words:
            article.excerpt_html = snippet(f"{article.summary} {plain_text(article.body)}", words)
        else:
            article.excerpt_html = highlight(article.summary, [])
    # What was searched: the query as read (cut to its maximum length), kept in the box and the page links.
    q = raw.strip()[:MAX_QUERY_LENGTH]
    query = urlencode({k: v for k, v in (("category", category), ("q", q)) if v})
    context = {
        "page": page,
        "category": category,
        "categories": ArticleCategory.choices,
        "q": q,
        "query": query,
        "notice": query_notice(raw),
        "max_query_length": MAX_QUERY_LENGTH,
    }
    return render(request, "content/news_list.html", context)


@public_cache.cache_public
@require_GET
def article_detail(request, slug):
    article = selectors.article_for_reader(slug=slug, user=request.user)
    if article is None:
        raise Http404(_("没有这篇文章，或它尚未发布。"))
    newer, older = selectors.articles_adjacent(article=article)
    context = {"article": article, "newer": newer, "older": older}
    return render(request, "content/article_detail.html", context)


# FAQ (秒回复)


def _faq_results_context(request, q: str) -> dict:
    # The fragment is fetched from /faq/answers/; after logging in or handing over, come back to /faq/.
    back = f"{reverse('content:faq')}?{urlencode({'q': q})}"
    return {"q": q, "hits": selectors.faq_search(q=q, limit=FAQ_RESULTS), "back_url": back}


@public_cache.cache_public
@require_GET
def faq_index(request):
    q = _query(request)
    context = {
        "categories": selectors.faq_categories(),
        "faq_total": selectors.faq_count(),
        **_faq_results_context(request, q),
    }
    return render(request, "content/faq_index.html", context)


@public_cache.cache_public
@require_GET
def faq_answers(request):
    """The matching questions for what the visitor has typed so far (fetched on every keystroke).

    Kept like the FAQ page itself: the same words typed by many visitors are ranked once.
    """
    return render(request, "content/faq_results.html", _faq_results_context(request, _query(request)))


@require_GET
def faq_detail(request, pk):
    faq = selectors.faq_public(pk=pk)
    if faq is None:
        raise Http404(_("没有这个问题。"))
    # q: what the visitor had typed when the answer was offered, carried on to their vote.
    context = {
        "faq": faq,
        "voted": _voted(request, faq),
        "back_url": faq.get_absolute_url(),
        "q": _query(request),
    }
    return render(request, "content/faq_detail.html", context)


# "Was this helpful" remembers a visitor in a signed cookie, not a session: an anonymous vote must not
# cost a session row (100 votes were 100 rows). The cookie holds a random visitor id and their votes.
VOTER_COOKIE = "faq_voter"
VOTER_SALT = "portal.content.faq_voter"
VOTER_MAX_AGE = 365 * 24 * 3600
VOTES_KEPT = 200


def _voter(request) -> dict:
    try:
        voter = signing.loads(request.COOKIES.get(VOTER_COOKIE, ""), salt=VOTER_SALT, max_age=VOTER_MAX_AGE)
    except signing.BadSignature:
        voter = None
    if not isinstance(voter, dict) or not isinstance(voter.get("id"), str) or not voter["id"]:
        voter = {"id": secrets.token_hex(16), "votes": {}}
    if not isinstance(voter.get("votes"), dict):
        voter["votes"] = {}
    return voter


def _voted(request, faq) -> bool | None:
    return _voter(request)["votes"].get(str(faq.pk))


@require_POST
def faq_feedback(request, pk):
    faq = selectors.faq_public(pk=pk)
    if faq is None:
        raise Http404(_("没有这个问题。"))
    if request.POST.get("helpful") not in ("1", "0"):
        return HttpResponseBadRequest(_("请选择“有帮助”或“没有帮助”。"))
    helpful = request.POST["helpful"] == "1"
    voter = _voter(request)
    query = request.POST.get("q", "").strip()[:QUERY_MAX_CHARS]
    services.faq_feedback_record(faq=faq, helpful=helpful, session_key=voter["id"], query=query)
    voter["votes"].pop(str(faq.pk), None)
    voter["votes"][str(faq.pk)] = helpful
    voter["votes"] = dict(list(voter["votes"].items())[-VOTES_KEPT:])
    if request.headers.get("X-Requested-With") == "fetch":
        response = render(request, "content/faq_feedback_done.html", {"faq": faq, "helpful": helpful})
    else:
        messages.success(request, _("感谢您的评价。"))
        response = redirect(faq.get_absolute_url())
    response.set_cookie(
        VOTER_COOKIE,
        signing.dumps(voter, salt=VOTER_SALT, compress=True),
        max_age=VOTER_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_POST
def faq_ask(request):
    """ "Not answered": an enterprise hands its question to the service desk; others get the hotline."""
    user = request.user
    back = request.POST.get("next") or reverse("content:faq")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("content:faq")
    if not (user.is_authenticated and user.is_enterprise_user):
        messages.info(
            request,
            _("请拨打服务热线 %(hotline)s 咨询，或使用企业账号登录后在线提交问题。")
            % {"hotline": settings.SERVICE_HOTLINE},
        )
        return redirect(back)
    form = FaqAskForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("text", []):
            messages.error(request, error)
        return redirect(back)
    faq = selectors.faq_public(pk=form.cleaned_data["faq"]) if form.cleaned_data["faq"] else None
    try:
        services.faq_handoff(question=faq, user=user, text=form.cleaned_data["text"])
    except services.ContentError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    messages.success(request, _("您的问题已转交企业服务台，工作人员将尽快答复，可在“我的主页”查看办理进度。"))
    return redirect(back)


# Economic figures


@public_cache.cache_public
@require_GET
def economy(request):
    periods = selectors.indicator_periods()
    current = periods[0] if periods else None
    asked = request.GET.get("period", "")
    if asked:
        current = next((p for p in periods if p.code == asked.upper()), None)
        if current is None:
            raise Http404(_("没有该期间的经济数据。"))
    rows = selectors.indicators_for(period=current.code) if current else []
    context = {"periods": periods, "current": current, "rows": rows, "charts": _economy_charts(current, rows)}
    return render(request, "content/economy.html", context)


def _economy_charts(current, rows) -> list[dict]:
    if current is None:
        return []
    drawn = []
    growth = [
        (r.name, r.yoy_growth, f"{charts.signed(r.yoy_growth)}%") for r in rows if r.yoy_growth is not None
    ]
    if growth:
        title = _("%(period)s 主要指标同比增速") % {"period": current.label}
        drawn.append({"title": title, "svg": charts.bar_chart(title, growth)})
    by_unit: dict[str, list] = {}
    for r in rows:
        if r.value is not None:
            by_unit.setdefault(r.unit, []).append(r)
    by_unit = {unit: members for unit, members in by_unit.items() if len(members) >= 2}
    # One query for every unit's history: the page costs the same however many units it draws.
    all_history = (
        selectors.indicator_history(
            names=[r.name for members in by_unit.values() for r in members[:4]], like=current
        )
        if by_unit
        else {}
    )
    for unit, members in by_unit.items():
        title = _("%(period)s 总量（%(unit)s）") % {"period": current.label, "unit": unit or _("无单位")}
        bars = [(r.name, r.value, charts.plain(r.value)) for r in members]
        drawn.append({"title": title, "svg": charts.bar_chart(title, bars)})
        history = {r.name: all_history[r.name] for r in members[:4]}
        periods = sorted({p for series in history.values() for p, _row in series}, key=lambda p: p.sort_key)
        if len(periods) >= 2:
            values = {
                name: [next((row.value for p, row in series if p == period), None) for period in periods]
                for name, series in history.items()
            }
            title = _("历年同期走势（%(unit)s）") % {"unit": unit or _("无单位")}
            svg = charts.line_chart(title, [p.label for p in periods], values, unit=unit)
            drawn.append({"title": title, "svg": svg})
    return drawn


@require_GET
def economy_csv(request):
    period = request.GET.get("period", "").upper()
    qs = selectors.indicators_all()
    name = "indicators"
    if period:
        try:
            period = parse_period(period).code
        except ValueError as exc:
            return HttpResponseBadRequest(str(exc))
        qs = qs.filter(period=period)
        name = f"indicators-{period}"
    return exports.csv_response(
        filename=f"{name}.csv", header=imports.csv_header(), rows=imports.csv_rows(qs.iterator())
    )


# Service performance


@public_cache.cache_public
@require_GET
def performance(request):
    today = timezone.localdate()
    default = figures.default_half_year(today)
    quick = recent_half_years(today, 4)
    error = None
    from_text, to_text = request.GET.get("from", ""), request.GET.get("to", "")
    if request.GET.get("period"):
        try:
            chosen = parse_period(request.GET["period"])
            from_text, to_text = chosen.start.isoformat(), chosen.end.isoformat()
        except ValueError as exc:
            error = str(exc)
    start, end = default.start, default.end
    if error is None:
        try:
            start, end = figures.stats_span(from_text, to_text, default=(default.start, default.end))
        except figures.PeriodError as exc:
            error = str(exc)
    context = {
        "error": error,
        "start": start,
        "end": end,
        "title": figures.period_title(start, end),
        "quick": quick,
        "sections": [] if error else figures.present(stats.figures(start=start, end=end)),
        "from_text": from_text or start.isoformat(),
        "to_text": to_text or end.isoformat(),
        "api_query": urlencode({"from": start.isoformat(), "to": end.isoformat()}),
    }
    return render(request, "content/performance.html", context, status=400 if error else 200)
