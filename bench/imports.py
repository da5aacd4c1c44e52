"""Benchmark: import an N-row enterprise file (CSV) into the database DATABASE_URL names.

Prints one JSON line: backend, rows, seconds (validation and writes), rows_per_second, peak_rss_mb.
Run: python bench/imports.py --rows 100000
"""

import argparse
import csv
import io
import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")


def build_file(rows: int) -> bytes:
    from portal.enterprises.models import make_uscc

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "统一社会信用代码",
            "企业名称",
            "所属园区",
            "行业代码",
            "成立日期",
            "注册资本(万元)",
            "规上企业",
            "资质",
        ]
    )
    parks = ["梧桐", "枫杨", "石佛", "双桥", "沟赵"]
    for n in range(1, rows + 1):
        writer.writerow(
            [
                make_uscc(5_000_000 + n),
                f"基准测试企业{n}有限公司",
                parks[n % 5],
                "I6510",
                "2015-06-01",
                n % 9000,
                "是" if n % 3 else "否",
                "high_tech:2022" if n % 7 == 0 else "",
            ]
        )
    return buffer.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from portal.enterprises import services

    call_command("migrate", verbosity=0)
    data = build_file(args.rows)
    started = time.perf_counter()
    report = services.enterprises_import(data=data, filename="bench.csv")
    seconds = time.perf_counter() - started
    assert report.ok, report.errors[:3]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "backend": connection.vendor,
                "rows": args.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "seconds": round(seconds, 2),
                "rows_per_second": round(args.rows / seconds),
                "peak_rss_mb": round(peak, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
