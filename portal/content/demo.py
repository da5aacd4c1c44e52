"""The demo's public content: news of H1 2023, the 98 high-frequency questions, synonyms, indicators.

Idempotent: rows are found by their natural keys (slug, question, words, period and name) and created
only when missing, so a second run writes nothing.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.db import transaction

from portal.content import services
from portal.content.demo_faqs import CATEGORIES, FAQS, SYNONYMS
from portal.content.models import (
    Article,
    ArticleCategory,
    ArticleStatus,
    Faq,
    FaqCategory,
    Indicator,
    SynonymGroup,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
H1_SOURCE = "高新区 2023 年上半年经济运行情况"
DERIVED_SOURCE = "由同比增速推算"

# (name, value in its unit or None when only the growth is reported, unit, growth %) — DESIGN.md §6.
INDICATORS_2023H1 = [
    ("地区生产总值", Decimal("302.30"), "亿元", Decimal("7.50")),
    ("第二产业增加值", Decimal("156.20"), "亿元", Decimal("8.90")),
    ("第三产业增加值", Decimal("146.10"), "亿元", Decimal("6.10")),
    ("规模以上工业增加值", None, "", Decimal("11.10")),
    ("社会消费品零售总额", None, "", Decimal("13.10")),
    ("固定资产投资", None, "", Decimal("1.20")),
    ("一般公共预算收入", Decimal("38.68"), "亿元", Decimal("0.51")),
]


def _at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=SHANGHAI)


N, T, J, M = (
    ArticleCategory.NEWS,
    ArticleCategory.NOTICE,
    ArticleCategory.INTERPRETATION,
    ArticleCategory.MEDIA,
)

# (slug, category, publish time, title, author, summary, body, related policy codes)
ARTICLES = [
    (
        "2023-h1-economy",
        N,
        "2023-07-20",
        "高新区上半年经济运行稳中有进 地区生产总值同比增长7.5%",
        "经济发展局",
        "上半年，高新区实现地区生产总值302.3亿元，同比增长7.5%，主要指标增速保持全市前列。",
        "上半年，高新区坚持稳字当头、稳中求进，经济运行持续恢复向好。\n\n"
        "## 主要指标\n\n"
        "| 指标 | 数值 | 同比增长 |\n| --- | --- | --- |\n"
        "| 地区生产总值 | 302.3 亿元 | 7.5% |\n| 第二产业增加值 | 156.2 亿元 | 8.9% |\n"
        "| 第三产业增加值 | 146.1 亿元 | 6.1% |\n| 规模以上工业增加值 | — | 11.1% |\n"
        "| 社会消费品零售总额 | — | 13.1% |\n| 固定资产投资 | — | 1.2% |\n"
        "| 一般公共预算收入 | 38.68 亿元 | 0.51% |\n\n"
        "工业生产较快增长，电子信息、智能装备等主导产业带动作用明显；消费市场加快回暖。"
        "下一步，高新区将持续抓好项目建设和惠企政策落实，巩固经济回升向好态势。"
        "详细数据见门户“经济数据”栏目。",
        [],
    ),
    (
        "2023-h1-service",
        N,
        "2023-07-25",
        "上半年“万人助万企”走访企业2810次 问题解决率99.9%",
        "创新发展局",
        "高新区持续深化“万人助万企”活动，上半年收集企业问题1043个，解决率达99.9%。",
        "上半年，高新区各部门干部深入企业走访 **2,810** 次，收集企业反映的问题 **1,043** 个，"
        "按照“交办、转办、反馈”闭环机制推动解决，问题解决率达 **99.9%**。\n\n"
        "在审批服务方面，办理企业投资项目备案 131 个，平均 1 个工作日办结；完成联合验收 27 个，"
        "其中线上验收 4 个、线下验收 23 个。\n\n"
        "在政策兑现方面，5 项政策实现“免申即享”，兑现资金 6,76"
        "4.5 万元；各类惠企政策资金拨付约 5,033.17 万元；"
        "购房契税补贴 2,614 万元惠及 1.04 万户家庭。门户“常见问题”栏目上线 98 个高频问题，实现秒回复。",
        [],
    ),
    (
        "mianshen-launch",
        N,
        "2023-03-28",
        "高新区惠企政策“免申即享”平台上线 企业不用申请就能领补贴",
        "财政金融局",
        "首批研发投入后补助、高新技术企业奖励等政策纳入“免申即享”，系统自动比对、企业确认即可兑现。",
        "3 月 28 日，高新区企业服务门户“免申即享”功能正式上线。\n\n"
        "平台汇聚市场监管、税务和各部门数据，形成“一企一档”，对纳入“免申即享”的政策自动比对企业条件。"
        "符合条件的企业经部门审核、公示后，只需在门户确认享受意愿和收款账户，即可获得资金，"
        "**不用填表、不用跑腿**。\n\n"
        "首批纳入的政策包括研发投入后补助、高新技术企业奖励、专精特新企业奖励、科技型中小企业奖励和稳岗返还，"
        "后续将逐步扩大范围。",
        [
            "rd-investment-2023",
            "high-tech-award-2023",
            "srdi-award-2023",
            "tech-sme-award-2023",
            "stable-jobs-2023",
        ],
    ),
    (
        "four-permits-first",
        N,
        "2023-04-18",
        "“拿地即开工”再提速 高新区一产业项目当天取得四证",
        "国土规划住建局",
        "通过告知承诺制和并联审批，项目在土地成交当天领取建设用地规划许可证等四证，实现拿地即开工。",
        "4 月 18 日，一家智能装备企业在高新区取得产业用地的当天，同步领到建设用地规划许可证、"
        "建设工程规划许可证、不动产权证书和建筑工程施工许可证，项目随即开工建设。\n\n"
        "高新区对产业项目推行“四证齐发”：土地出让前提前介入设计方案预审，企业签订告知承诺书，"
        "各部门并联审查，土地成交即发证。项目分包人全程跟踪，每周调度推进中的问题。",
        [],
    ),
    (
        "srdi-2023-list",
        N,
        "2023-05-30",
        "高新区新增一批专精特新中小企业",
        "创新发展局",
        "省工业和信息化厅公布2023年专精特新中小企业名单，高新区一批企业入选。",
        "近日，省工业和信息化厅公布 2023 年度专精特新中小企业名单，高新区一批企业入选，"
        "涉及智能传感、新材料、生物医药等领域。\n\n"
        "根据高新区政策，新认定的专精特新中小企业奖励实行“免申即享”，系统将依据认定名单自动比对，"
        "入选企业请留意门户消息并及时确认。",
        ["srdi-award-2023"],
    ),
    (
        "bank-enterprise-meeting",
        N,
        "2023-06-08",
        "高新区举办科技金融银企对接会 20家银行现场对接企业融资需求",
        "财政金融局",
        "对接会推介科技贷、知识产权质押等产品，现场达成意向授信。",
        "6 月 8 日，高新区科技金融银企对接会举行，20 家银行和担保机构推介“科技贷”、知识产权质押融资、"
        "信用贷款等产品，与 60 余家科技型中小企业面对面交流。\n\n"
        "财政金融局介绍了科技贷款贴息政策：符合条件的科技型企业通过合作银行取得贷款并按期还本付息的，"
        "可享受贴息支持。",
        ["tech-loan-interest-2023"],
    ),
    (
        "joint-acceptance-online",
        N,
        "2023-05-12",
        "足不出户完成验收 高新区首个线上联合验收项目顺利通过",
        "国土规划住建局",
        "规划、消防、人防、档案等部门通过视频远程查看现场，一次出具联合验收意见。",
        "5 月 12 日，高新区首个线上联合验收项目顺利通过。企业在线提交验收资料后，规划、消防、人防、档案等部门"
        "通过视频远程查看现场，在线出具验收意见，用时半天。\n\n"
        "联合验收实行一次申请、一次验收、一份结果。资料齐全、现场条件具备的项目均可选择线上验收。",
        [],
    ),
    (
        "talent-fair-spring",
        N,
        "2023-02-22",
        "高新区春季招聘会提供岗位4000余个",
        "人力资源局",
        "近百家企业参会，涵盖软件开发、智能制造、生物医药等岗位。",
        "2 月 22 日，高新区春季人才招聘会举行，近百家企业提供岗位 4,000 余个，"
        "涵盖软件开发、智能制造、生物医药、销售管理等领域。现场还设置了政策咨询台，"
        "为求职者解答人才住房、高校毕业生补贴等政策。",
        [],
    ),
    (
        "hightech-apply-2023",
        T,
        "2023-04-10",
        "关于做好2023年度高新技术企业认定申报工作的通知",
        "创新发展局",
        "请有意申报的企业在“高新技术企业认定管理工作网”完成注册和材料填报。",
        "各有关企业：\n\n根据省科技厅工作安排，现就 2023 年度高新技术企业认定申报工作通知如下。\n\n"
        "1. 申报条件按《高新技术企业认定管理办法》执行；\n"
        "2. 企业在“高新技术企业认定管理工作网”注册并在线填报，同时准备近三个会计年度研发费用专项审计报告；\n"
        "3. 高新区创新发展局对申报材料进行初审，初审通过后报省评审。\n\n"
        "申报中遇到问题，可在门户“常见问题”查询，或通过服务台提交。",
        ["high-tech-award-2023"],
    ),
    (
        "tech-sme-2023",
        T,
        "2023-03-06",
        "关于开展2023年科技型中小企业评价工作的通知",
        "创新发展局",
        "科技型中小企业评价常年开展，请企业在全国科技型中小企业信息服务平台自主填报。",
        "各有关企业：\n\n2023 年科技型中小企业评价工作已"
        "启动。符合条件的企业请在“全国科技型中小企业信息服务平台”"
        "自主填报，高新区将及时审核。入库企业可享受研发费用加计扣除等政策，并按高新区政策获得奖励。",
        ["tech-sme-award-2023"],
    ),
    (
        "stable-jobs-2023-notice",
        T,
        "2023-06-15",
        "关于2023年失业保险稳岗返还“免申即享”的公告",
        "人力资源局",
        "符合条件的企业无需申请，返还资金直接拨付。",
        "按照国家和省有关规定，2023 年失业保险稳岗返还继续实施。高新区依据参保和缴费数据比对，"
        "对符合条件的企业实行“免申即享”：大型企业按上年度实际缴纳失"
        "业保险费的 30% 返还，中小微企业按 60% 返还。\n\n"
        "拟返还名单将在门户公示，公示无异议后拨付。企业可在“我的主页”查看比对结果。",
        ["stable-jobs-2023"],
    ),
    (
        "deed-tax-2023-notice",
        T,
        "2023-03-20",
        "关于购房契税补贴发放工作的公告",
        "财政金融局",
        "契税补贴依据不动产登记和契税缴纳数据自动核定，无需购房人申请。",
        "在高新区购买新建商品住房并缴纳契税、购房时间符合政策规定的个人和家庭，可享受购房契税补贴。"
        "补贴依据不动产登记和契税缴纳数据自动核定，**无需申请**，资金直接发放至购房人登记的银行账户。",
        ["deed-tax-2023"],
    ),
    (
        "holiday-service-2023",
        T,
        "2023-04-26",
        "劳动节期间政务服务安排的通知",
        "园区运营中心",
        "4月29日至5月3日放假调休，4月23日、5月6日正常上班。",
        "根据国务院办公厅通知，2023 年劳动节 4 月 29 日至 5 月 3 日放假调休，共 5 天；"
        "4 月 23 日（星期日）、5 月 6 日（星期六）上班。\n\n"
        "放假期间政务服务中心暂停现场服务，门户网上办理不受影响；各类办理时限按工作日顺延。",
        [],
    ),
    (
        "explain-rd-investment",
        J,
        "2023-03-30",
        "一图读懂：研发投入后补助如何“免申即享”",
        "创新发展局",
        "研发投入后补助依据税务部门的研发费用加计扣除数据自动比对，企业无需申报。",
        "## 支持谁\n\n在高新区注册、研发费用较上年有增长的企业。\n\n"
        "## 怎么算\n\n以税务部门研发费用加计扣除数据为准，按"
        "研发费用增量的一定比例给予后补助，单个企业设有上限。\n\n"
        "## 怎么领\n\n不用申请。系统自动比对，经审核公示后，企业在门户“我的主页”确认收款账户即可。"
        "比对明细会逐项列出每一个条件的数值和结果。",
        ["rd-investment-2023"],
    ),
    (
        "explain-high-tech-award",
        J,
        "2023-04-12",
        "政策解读：高新技术企业奖励的对象和标准",
        "创新发展局",
        "首次认定和重新认定的高新技术企业均可获得奖励，实行“免申即享”。",
        "高新技术企业奖励面向在高新区注册、当年通过首次认定或重新认定的高新技术企业。\n\n"
        "- **首次认定**和**重新认定**的奖励标准不同，具体以政策原文为准；\n"
        "- 依据认定名单自动比对，无需申请；\n- 与同一事项的其他奖励按“从高不重复”原则执行。\n\n"
        "企业被列入严重失信名单的，不予奖励。",
        ["high-tech-award-2023"],
    ),
    (
        "explain-srdi-award",
        J,
        "2023-06-02",
        "政策解读：专精特新企业奖励实行级差补足",
        "创新发展局",
        "已获得专精特新中小企业奖励的企业，再获评“小巨人”时按级差补足。",
        "为鼓励企业梯次成长，专精特新奖励采用“级差”方式：企业已获得专精特新中小企业奖励的，"
        "再被认定为专精特新“小巨人”企业时，只补足两者的差额，不重复全额奖励。\n\n"
        "奖励依据省、国家认定名单自动比对，实行“免申即享”。",
        ["srdi-award-2023"],
    ),
    (
        "explain-first-set",
        J,
        "2023-05-18",
        "政策解读：首台（套）重大技术装备奖励",
        "经济发展局",
        "产品列入省级以上首台（套）重大技术装备认定目录的企业可获奖励。",
        "首台（套）重大技术装备奖励面向研制产品列入省级以上首台（套）认定目录的高新区企业，"
        "鼓励企业突破关键核心技术、推广应用创新产品。奖励标准、申报材料和受理部门见政策申兑指南。",
        ["first-set-equipment-2023"],
    ),
    (
        "media-mianshen",
        M,
        "2023-04-03",
        "河南日报：郑州高新区惠企资金“免申即享” 数据多跑路企业少跑腿",
        "河南日报",
        "媒体关注高新区“免申即享”改革，企业点一下确认就能收到补贴。",
        "近日，《河南日报》报道了郑州高新区惠企政策“免申即享”改革。报道指出，高新区打通多部门数据，"
        "由“企业找政策”变为“政策找企业”，企业在门户点一下确认，补贴就能到账。",
        [],
    ),
    (
        "media-four-permits",
        M,
        "2023-04-20",
        "郑州日报：拿地当天领四证 高新区跑出项目建设加速度",
        "郑州日报",
        "媒体报道高新区“四证齐发”改革成效。",
        "《郑州日报》报道了高新区推行“四证齐发”、实现“拿地即开工”的做法，"
        "介绍了告知承诺制、并联审批和专人分包、每周调度等机制。",
        [],
    ),
    (
        "media-faq",
        M,
        "2023-06-20",
        "大河网：企业咨询“秒回复” 高新区上线98个高频问题智能问答",
        "大河网",
        "企业输入问题即可看到答复，没有解决的问题一键转交服务台。",
        "大河网报道，高新区企业服务门户上线“秒回复”常见问题，整理高企认定、专精特新、项目备案、社保等 98 个"
        "高频问题，企业输入问题即可看到答复；没有解决的问题可一键转交服务台，由责任部门限时答复。",
        [],
    ),
    (
        "talent-housing-draft",
        J,
        "2023-07-30",
        "政策解读：人才住房补贴（草稿）",
        "人力资源局",
        "人才住房补贴政策解读，待政策发布后同步发布。",
        "本文为草稿，待人才住房政策正式发布后完善并发布。",
        ["talent-housing-2023"],
    ),
]


def _policies(codes: list[str]) -> list:
    if not codes:
        return []
    policy_model = apps.get_model("policies", "Policy")
    return list(policy_model.objects.filter(code__in=codes))


def _load_articles(out) -> int:
    created = 0
    for slug, category, day, title, author, summary, body, codes in ARTICLES:
        article = Article.objects.filter(slug=slug).first()
        if article is None:
            draft = slug.endswith("-draft")
            article = Article(
                slug=slug,
                category=category,
                title=title,
                author=author,
                summary=summary,
                body=body,
                status=ArticleStatus.DRAFT if draft else ArticleStatus.PUBLISHED,
                publish_at=None if draft else _at(day),
            )
            services.article_save(article=article)
            created += 1
        linked = _policies(codes)
        if {p.pk for p in linked} - set(article.related_policies.values_list("pk", flat=True)):
            article.related_policies.add(*linked)
    return created


def _load_faqs() -> int:
    created = 0
    for order, (slug, name, desk) in enumerate(CATEGORIES, start=1):
        category, _ = FaqCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "order": order * 10, "desk_category": desk}
        )
        for position, (question, keywords, answer) in enumerate(FAQS[slug], start=1):
            _faq, made = Faq.objects.get_or_create(
                question=question,
                defaults={"category": category, "keywords": keywords, "answer": answer, "order": position},
            )
            created += made
    for words in SYNONYMS:
        SynonymGroup.objects.get_or_create(words=words)
    services.faq_index_changed()
    return created


def _load_indicators() -> int:
    created = 0
    for order, (name, value, unit, growth) in enumerate(INDICATORS_2023H1, start=1):
        rows = [("2023H1", value, unit, growth, H1_SOURCE)]
        if value is not None:
            # The report gives this year's value and its growth; last year's follows from them.
            before = (value / (1 + growth / 100)).quantize(Decimal("0.01"))
            rows.append(("2022H1", before, unit, None, DERIVED_SOURCE))
        for period, amount, row_unit, row_growth, source in rows:
            _indicator, made = Indicator.objects.get_or_create(
                period=period,
                name=name,
                defaults={
                    "value": amount,
                    "unit": row_unit,
                    "yoy_growth": row_growth,
                    "source": source,
                    "order": order,
                },
            )
            created += made
    return created


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    articles = _load_articles(out)
    faqs = _load_faqs()
    indicators = _load_indicators()
    out.write(f"  新闻 {articles} 篇、常见问题 {faqs} 个、经济指标 {indicators} 项（新增）")
    return []
