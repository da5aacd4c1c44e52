"""Fill a PostgreSQL database with a province's worth of records, by set-based inserts, for the load tests.

    python bench/seed_scale.py                         # 1,000,000 enterprises and everything in proportion
    python bench/seed_scale.py --enterprises 10000     # the same shape, small

On the database ``DATABASE_URL`` names (PostgreSQL only); migrates it first, and refuses a database that
already holds enterprises unless ``--reset`` (which empties every table this script fills, and by
cascade those that refer to them, logins included: use a database of its own). The shape,
per 1,000,000 enterprises: one annual report each (the schemes' facts year), 200,000 qualifications,
100 active schemes, 100,000 policies and 100,000 news articles, 5,000,000 awards, 200,000 projects with
their four permits, 1,000,000 problems. Enterprises go in by COPY (their credit codes carry a check
character computed in Python); everything else by ``INSERT … SELECT generate_series``.

It also makes the logins ``bench/load.py`` uses: ``bench-owner`` (the owner of enterprise 1, which has
awards) with the password ``BENCH_PASSWORD``. Progress on stderr; one JSON line on stdout: rows per table
and seconds.
"""

import argparse
import json
import os
import sys
import time
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from portal.enterprises.models import make_uscc  # noqa: E402
from projects.models import PermitType  # noqa: E402

BENCH_PASSWORD = "Bench#2023zone"  # noqa: S105 — a benchmark login on a throw-away database
COPY_CHUNK = 100_000

TABLES = [
    "enterprises_enterprise",
    "enterprises_annualreport",
    "enterprises_qualification",
    "policies_policy",
    "content_article",
    "subsidies_scheme",
    "subsidies_award",
    "projects_project",
    "projects_permit",
    "servicedesk_problem",
]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 — names from TABLES
        return cursor.fetchone()[0]


def seed_enterprises(n: int) -> None:
    parks = ["wutong", "fengyang", "shifo", "shuangqiao", "gouzhao", "other"]
    industries = ["I6510", "I6513", "C3985", "C3562", "C3914", "C2720", "M7320", "M7512"]
    with connection.cursor() as cursor:
        for start in range(1, n + 1, COPY_CHUNK):
            stop = min(start + COPY_CHUNK, n + 1)
            with cursor.copy(
                "COPY enterprises_enterprise (id, uscc, name, park, industry_code, registered_on, "
                "registered_capital, is_above_scale, credit_rating, blacklisted, fact_sources, updated_at) "
                "FROM STDIN"
            ) as copy:
                for serial in range(start, stop):
                    copy.write_row(
                        (
                            serial,
                            make_uscc(serial, prefix="91419800"),
                            f"郑州规模测试{serial}科技有限公司",
                            parks[serial % len(parks)],
                            industries[serial % len(industries)],
                            f"{2000 + serial % 23}-0{1 + serial % 9}-1{serial % 10}",
                            100 + serial % 5000,
                            serial % 3 == 0,
                            "A",
                            serial % 97 == 0,
                            "{}",
                            "2023-06-30 00:00:00+08",
                        )
                    )
            say(f"  enterprises {stop - 1:,}/{n:,}")
    execute("SELECT setval(pg_get_serial_sequence('enterprises_enterprise', 'id'), %s)", [n])


def seed(args) -> dict:
    n = args.enterprises
    started = time.monotonic()
    say(f"enterprises: {n:,} by COPY")
    seed_enterprises(n)

    say("annual reports and qualifications")
    execute(
        """
        INSERT INTO enterprises_annualreport (year, revenue, rd_expense, employees, tax_paid, source, as_of,
            enterprise_id)
        SELECT 2022, 500 + i %% 50000, 20 + i %% 900, 10 + i %% 800, 10 + i %% 3000, 'bench', '2023-04-30', i
        FROM generate_series(1, %s) AS i""",
        [n],
    )
    execute(
        """
        INSERT INTO enterprises_qualification (code, year_awarded, valid_until, source, as_of, enterprise_id)
        SELECT (ARRAY['high_tech', 'tech_sme', 'srdi'])[1 + i %% 3], 2020 + i %% 3, '2025-12-31', 'bench',
        '2023-04-30', i
        FROM generate_series(1, %s, 5) AS i""",
        [n],
    )

    say(f"policies and news articles: {args.policies:,} each")
    execute(
        """
        INSERT INTO accounts_department (name, code, is_coordinating, phone)
        VALUES ('规模测试局', 'bench-scale', false, '0371-67980000') ON CONFLICT (code) DO NOTHING"""
    )
    execute(
        """
        INSERT INTO policies_policy (code, title, doc_number, published_on, effective_from, tags, summary,
            body, status, published_at, repeal_reason, guide_beneficiaries,
            guide_conditions, guide_how, guide_deadline, guide_office, guide_phone,
            search_title, search_body, created_at, updated_at, department_id)
        SELECT 'scale-' || i, '支持企业研发创新的若干措施第' || i || '号', '郑高管〔2023〕' || i || '号',
        DATE '2020-01-01' + i %% 1200, DATE '2020-01-01' + i %% 1200, '["研发"]',
        '支持企业加大研发投入。', '**第一条** 为支持企业研发创新，制定本措施。', 'published',
        now(), '', '区内企业', '在高新区注册、纳税', 'application', '受理后 30 个工作日内',
        '政务服务中心 3 号窗口', '0371-67980001',
        '支持 企业 研发 创新 若干 措施 ' || i, '支持 企业 加大 研发 投入', now(), now(),
        (SELECT id FROM accounts_department WHERE code = 'bench-scale')
        FROM generate_series(1, %s) AS i""",
        [args.policies],
    )
    execute(
        """
        INSERT INTO content_article (category, title, slug, summary, body, cover, author, status, publish_at,
            created_at, updated_at, search_body, search_title)
        SELECT 'news', '高新区企业服务动态第' || i || '期', 'scale-news-' || i, '企业服务动态。',
        '高新区企业服务动态正文。', '', '园区运营中心', 'published',
        TIMESTAMPTZ '2020-01-01 09:00+08' + i * INTERVAL '10 minutes', now(), now(),
        '高新区 企业 服务 动态', '高新区 企业 服务 动态 ' || i
        FROM generate_series(1, %s) AS i""",
        [args.policies],
    )

    say(f"schemes: {args.schemes}; awards: {args.awards:,}")
    step = args.schemes // 5
    execute(
        """
        INSERT INTO subsidies_scheme (code, title, mode, beneficiary, facts_year, reference_date, period,
            eligibility, amount_rule, budget, committed, allocation, exclusive_group, top_up,
            publicity_days, status, created_at, updated_at, policy_id)
        SELECT 'scale-scheme-' || s, '研发费用后补助（规模测试）' || s, 'automatic', 'enterprises', 2022,
        '2022-12-31',
        '2023',
        jsonb_build_object('>=', jsonb_build_array(jsonb_build_object('var', 'rd_expense'), s)),
        '100000', 100000000000, 0, 'pro_rata', '', false, 5, 'active', now(), now(),
        (SELECT id FROM policies_policy WHERE code = 'scale-' || (1 + s %% %s))
        FROM generate_series(1, %s) AS s""",
        [args.policies, args.schemes],
    )
    # Award i: enterprise 1 + e (e = i mod n); its five awards in five blocks of schemes (b = i div n), one
    # scheme per block chosen by the enterprise: unique on (scheme, enterprise, period). Each enterprise has
    # one award in each of the five states.
    execute(
        """
        WITH scheme AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM subsidies_scheme
            WHERE code LIKE 'scale-scheme-%%'),
        g AS (SELECT i / %s AS b, i %% %s AS e, (i / %s + i %% %s) %% 5 AS s
            FROM generate_series(0, %s - 1) AS i)
        INSERT INTO subsidies_award (period, status, computed_amount, amount, waitlisted, explanation, facts,
            created_at, publicity_from, publicity_to, bank_name, bank_account_name,
            bank_account, reason, enterprise_id, scheme_id)
        SELECT '2023', (ARRAY['candidate', 'approved', 'publicized', 'confirmed', 'paid'])[1 + g.s],
        100000, 100000, false, '{"outcome": "eligible", "trace": []}', '{"rd_expense": "350"}', now(),
        CASE WHEN g.s >= 2 THEN DATE '2023-03-01' END, CASE WHEN g.s >= 2 THEN DATE '2023-03-07' END,
        '', '', '', '', 1 + g.e, scheme.id
        FROM g JOIN scheme ON scheme.k = g.b * %s + g.e %% %s""",
        [n, n, n, n, args.awards, step, step],
    )

    say(f"projects: {args.projects:,} with four permits each")
    # The four permit types come with a migration; a --reset may have emptied them by cascade.
    for code, name, sla, order in import_module("projects.migrations.0002_seed_permit_types").PERMIT_TYPES:
        defaults = {"name": name, "sla_workdays": sla, "order": order}
        PermitType.objects.get_or_create(code=code, defaults=defaults)
    execute(
        """
        INSERT INTO projects_project (code, name, site, parcel_number, total_investment, industry, is_key,
            land_transferred_on, is_custom_industrial_land, stage, created_at,
            updated_at, enterprise_id)
        SELECT '2023-410171-' || lpad(i::text, 8, '0'), '智能制造产业园项目' || i, '梧桐街道', 'ZZGX-' || i,
        1000 + i %% 90000, 'manufacturing', i %% 50 = 0, '2023-02-01', false, 'permits', now(), now(),
        1 + (i * 7) %% %s
        FROM generate_series(1, %s) AS i""",
        [n, args.projects],
    )
    execute(
        """
        INSERT INTO projects_permit (status, applied_at, due_at, certificate_number, is_commitment, reason,
            permit_type_id, project_id)
        SELECT 'applied', TIMESTAMPTZ '2023-02-01 09:00+08', TIMESTAMPTZ '2023-02-08 17:00+08', '', true, '',
        t.id, p.id
        FROM projects_project p CROSS JOIN projects_permittype t
        WHERE p.code LIKE '2023-410171-%'"""
    )

    say(f"problems: {args.problems:,}")
    execute(
        """
        INSERT INTO servicedesk_problem (channel, category, title, description, status, created_at,
            satisfaction, rating_comment, department_id, enterprise_id)
        SELECT 'portal', (ARRAY['land', 'permits', 'finance', 'talent', 'policy', 'utilities', 'other'])
            [1 + i %% 7],
        '企业诉求第' || i || '号', '企业反映的问题。',
        (ARRAY['submitted', 'assigned', 'answered', 'withdrawn'])[1 + i %% 4],
        TIMESTAMPTZ '2023-01-01 09:00+08' + i * INTERVAL '1 minute', '', '',
        CASE WHEN i %% 4 IN (1, 2) THEN (SELECT id FROM accounts_department WHERE code = 'bench-scale')
        END,
        1 + i %% %s
        FROM generate_series(1, %s) AS i""",
        [n, args.problems],
    )

    say("the load test's login, then ANALYZE")
    user_model = get_user_model()
    owner, _ = user_model.objects.get_or_create(
        username="bench-owner", defaults={"enterprise_id": 1, "enterprise_role": "owner"}
    )
    owner.set_password(BENCH_PASSWORD)
    owner.save()
    execute("ANALYZE")
    return {
        "rows": {table: count(table) for table in TABLES},
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--schemes", type=int, default=100)
    parser.add_argument("--reset", action="store_true", help="empty the tables this script fills first")
    args = parser.parse_args()
    n = args.enterprises
    # The proportions, per 1,000,000 enterprises.
    args.policies = max(n // 10, 1)
    args.awards = 5 * n
    args.projects = max(n // 5, 1)
    args.problems = n
    if args.schemes < 5:
        parser.error("--schemes must be at least 5 (each enterprise has five awards)")
    if connection.vendor != "postgresql":
        parser.error("DATABASE_URL must name a PostgreSQL database")

    call_command("migrate", verbosity=0, interactive=False)
    if args.reset:
        say("emptying the seeded tables")
        execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        execute("DELETE FROM accounts_user WHERE username = 'bench-owner'")
    elif count("enterprises_enterprise"):
        parser.error("the database already holds enterprises; pass --reset to empty it first")
    with transaction.atomic():
        result = seed(args)
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
