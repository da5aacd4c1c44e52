"""The demo registry: 7,556 enterprises (the SME growth-index platform's count in H1 2023).

Drawn from a seeded generator, so every run writes the same enterprises, reports and qualifications.
Later parts read these facts; they arrange their own figures on named enterprises or on draws from here.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.models import EnterpriseRole, User
from portal.enterprises.models import (
    QUALIFICATION_VALID_YEARS,
    AnnualReport,
    Enterprise,
    Park,
    Qualification,
    Source,
    make_uscc,
)

ENTERPRISE_COUNT = 7556
REPORT_YEARS = (2021, 2022)
SEED = 2023
AS_OF = dt.date(2023, 5, 31)

INDUSTRIES = [
    ("I6510", "软件"),
    ("I6513", "信息"),
    ("I6450", "数据"),
    ("I6531", "信息技术"),
    ("C3985", "电子材料"),
    ("C3562", "半导体装备"),
    ("C3914", "机器人"),
    ("C4011", "自动化"),
    ("C2720", "生物医药"),
    ("C3581", "医疗器械"),
    ("M7320", "工程技术"),
    ("M7512", "新材料"),
    ("C3825", "光电"),
    ("C3971", "电子元件"),
    ("F5179", "商贸"),
    ("L7212", "投资"),
    ("M7491", "设计"),
    ("C3360", "精密制造"),
]
PLACES = [
    "中原",
    "郑州",
    "嵩山",
    "黄河",
    "梧桐",
    "枫杨",
    "金水",
    "绿城",
    "商都",
    "天健",
    "华夏",
    "豫中",
    "博远",
    "睿科",
    "启航",
]
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"]

# Named enterprises with logins, for trying the portal as an enterprise.
NAMED = [
    (1, "郑州梧桐智能科技有限公司", Park.WUTONG, "I6513", dt.date(2014, 3, 18)),
    (2, "郑州枫杨生物医药有限公司", Park.FENGYANG, "C2720", dt.date(2016, 9, 6)),
    (3, "郑州双桥新材料股份有限公司", Park.SHUANGQIAO, "C3985", dt.date(2011, 11, 22)),
]


def _name(rng: random.Random, word: str, serial: int) -> str:
    kind = rng.choice(["科技", "技术", "智能", "实业", "电子"])
    return f"{rng.choice(PLACES)}{word}{kind}{serial}号{rng.choice(FORMS)}"


def _money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2)))


def generate():
    """Yield (enterprise, [reports], [qualifications]) for every demo enterprise, always the same."""
    rng = random.Random(SEED)
    named = {serial: (name, park, code, founded) for serial, name, park, code, founded in NAMED}
    parks = [Park.WUTONG, Park.FENGYANG, Park.SHIFO, Park.SHUANGQIAO, Park.GOUZHAO, Park.OTHER]
    for serial in range(1, ENTERPRISE_COUNT + 1):
        code, word = rng.choice(INDUSTRIES)
        founded = dt.date(rng.randint(1998, 2022), rng.randint(1, 12), rng.randint(1, 28))
        park = rng.choices(parks, weights=[30, 22, 14, 14, 10, 10])[0]
        name = _name(rng, word, serial)
        if serial in named:
            name, park, code, founded = named[serial]
        size = rng.choices(["micro", "small", "medium", "large"], weights=[45, 35, 15, 5])[0]
        base_revenue = {
            "micro": (50, 500),
            "small": (500, 5000),
            "medium": (5000, 40000),
            "large": (40000, 300000),
        }[size]
        enterprise = Enterprise(
            uscc=make_uscc(serial),
            name=name,
            park=park,
            industry_code=code,
            registered_on=founded,
            registered_capital=_money(rng, 50, 20000),
            is_above_scale=size in ("medium", "large") or rng.random() < 0.1,
            credit_rating=rng.choices(["A", "B", "M", "C", "D", ""], weights=[35, 35, 15, 8, 2, 5])[0],
            blacklisted=rng.random() < 0.004,
        )
        if enterprise.blacklisted:
            enterprise.blacklisted_on = dt.date(2022, rng.randint(1, 12), rng.randint(1, 28))
        enterprise.fact_sources = {
            "registered_capital": {"source": Source.MARKET, "as_of": AS_OF.isoformat()},
            "credit_rating": {"source": Source.TAX, "as_of": AS_OF.isoformat()},
            "is_above_scale": {"source": Source.STATISTICS, "as_of": AS_OF.isoformat()},
        }
        reports = []
        revenue = _money(rng, *base_revenue)
        for year in REPORT_YEARS:
            if year < founded.year:
                continue
            revenue = (revenue * Decimal(str(round(rng.uniform(0.85, 1.3), 3)))).quantize(Decimal("0.01"))
            rd_share = Decimal(str(round(rng.uniform(0.0, 0.12), 4)))
            reports.append(
                AnnualReport(
                    year=year,
                    revenue=revenue,
                    rd_expense=(revenue * rd_share).quantize(Decimal("0.01")),
                    # Some enterprises have not filed their employee count: the engine must see unknowns.
                    employees=None
                    if rng.random() < 0.03
                    else max(3, int(float(revenue) / rng.uniform(40, 120))),
                    tax_paid=(revenue * Decimal(str(round(rng.uniform(0.01, 0.08), 4)))).quantize(
                        Decimal("0.01")
                    ),
                    source=Source.TAX,
                    as_of=AS_OF,
                )
            )
        qualifications = []
        for qcode, chance in (("high_tech", 0.16), ("tech_sme", 0.25), ("srdi", 0.05), ("gazelle", 0.02)):
            if rng.random() < chance:
                year = rng.randint(2020, 2022)
                qualifications.append(
                    Qualification(
                        code=qcode,
                        year_awarded=year,
                        valid_until=dt.date(year + QUALIFICATION_VALID_YEARS[qcode] - 1, 12, 31),
                        source=Source.DEPARTMENT,
                        as_of=AS_OF,
                    )
                )
        if any(q.code == "srdi" for q in qualifications) and rng.random() < 0.15:
            qualifications.append(
                Qualification(
                    code="little_giant", year_awarded=2022, valid_until=dt.date(2024, 12, 31), as_of=AS_OF
                )
            )
        yield enterprise, reports, qualifications


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Write the generated registry; rows already there are left as they are (idempotent)."""
    batch: list = []
    for item in generate():
        batch.append(item)
        if len(batch) == 1000:
            _write(batch)
            batch = []
    if batch:
        _write(batch)
    logins = []
    for serial, name, *_rest in NAMED:
        enterprise = Enterprise.objects.get(uscc=make_uscc(serial))
        for username, role, display in (
            (enterprise.uscc, EnterpriseRole.OWNER, "法定代表人"),
            (f"agent{serial}", EnterpriseRole.AGENT, "经办人"),
        ):
            if not User.objects.filter(username=username).exists():
                user = User(
                    username=username, enterprise=enterprise, enterprise_role=role, display_name=display
                )
                user.email = f"{username.lower()}@example.com"
                user.set_password(DEMO_PASSWORD)
                user.save()
            logins.append((f"企业（{name}，{role.label}）", username))
    out.write(
        f"企业 {Enterprise.objects.count()} 家，年度数据 {AnnualReport.objects.count()} 条，"
        f"资质 {Qualification.objects.count()} 条"
    )
    return logins


def _write(batch) -> None:
    Enterprise.objects.bulk_create([e for e, _, _ in batch], ignore_conflicts=True)
    ids = dict(Enterprise.objects.filter(uscc__in=[e.uscc for e, _, _ in batch]).values_list("uscc", "id"))
    reports, qualifications = [], []
    for enterprise, rs, qs in batch:
        for r in rs:
            r.enterprise_id = ids[enterprise.uscc]
            reports.append(r)
        for q in qs:
            q.enterprise_id = ids[enterprise.uscc]
            qualifications.append(q)
    AnnualReport.objects.bulk_create(reports, ignore_conflicts=True)
    Qualification.objects.bulk_create(qualifications, ignore_conflicts=True)
