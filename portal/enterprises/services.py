"""Writes to the enterprise registry: the imports, and telling others when facts change."""

import datetime as dt
from collections.abc import Callable, Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from portal import stats, tabular
from portal.enterprises import imports
from portal.enterprises.models import (
    ENTERPRISE_FACTS,
    QUALIFICATION_VALID_YEARS,
    AnnualReport,
    Enterprise,
    Qualification,
    Source,
)

# Rows written per statement. 1,000 keeps a 100,000-row import at a few hundred statements and the
# batch's objects well under 10 MB.
BATCH_SIZE = 1000

# Who wants to hear that enterprises' facts changed: callables taking a list of enterprise ids, run after
# commit. The subsidy engine registers its re-evaluation here (enterprises cannot import it).
_facts_listeners: list[Callable[[list[int]], None]] = []


def facts_listener_register(listener: Callable[[list[int]], None]) -> None:
    """Call ``listener(enterprise_ids)`` after every committed change of enterprise facts."""
    if listener not in _facts_listeners:
        _facts_listeners.append(listener)


def facts_changed(*, enterprise_ids: Iterable[int]) -> None:
    """Tell the listeners, after commit, which enterprises' facts changed; public figures count again."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return
    # Bulk writes send no save signals: the registry's public figures and pages are computed again here.
    stats.invalidate()
    for listener in _facts_listeners:
        transaction.on_commit(lambda listener=listener: listener(ids))


def _validate(data, filename, columns, clean, report, key, progress=None) -> None:
    """First pass: every row checked, every problem collected, duplicates found by key."""
    seen: dict = {}
    for number, raw in tabular.read_rows(data, filename, columns):
        report.rows += 1
        if progress and report.rows % BATCH_SIZE == 0:
            progress("校验", BATCH_SIZE)
        try:
            row = clean(raw)
        except ValueError as exc:
            report.errors.append(tabular.RowError(number, str(exc)))
            continue
        row_key = key(row)
        if row_key in seen:
            report.errors.append(
                tabular.RowError(number, gettext("与第 %(row)s 行重复") % {"row": seen[row_key]})
            )
        else:
            seen[row_key] = number


def _batches(data, filename, columns, clean):
    batch = []
    for _number, raw in tabular.read_rows(data, filename, columns):
        batch.append(clean(raw))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def enterprises_import(
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    source: str = Source.MARKET,
    as_of: dt.date | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> imports.ImportReport:
    """Upsert enterprises (and their qualifications) by USCC from a CSV/XLSX file; all rows or none."""
    report = imports.ImportReport(dry_run=dry_run)
    _validate(
        data,
        filename,
        imports.ENTERPRISE_COLUMNS,
        imports.clean_enterprise_row,
        report,
        lambda r: r["uscc"],
        progress,
    )
    if report.errors or dry_run:
        return report
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        for batch in _batches(data, filename, imports.ENTERPRISE_COLUMNS, imports.clean_enterprise_row):
            _upsert_enterprises(batch, source=source, as_of=as_of, report=report)
            if progress:
                progress("写入", len(batch))
        facts_changed(enterprise_ids=report.changed_ids)
    return report


def _upsert_enterprises(batch: list[dict], *, source: str, as_of: dt.date, report) -> None:
    existing = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=[r["uscc"] for r in batch])}
    fields = [f for f in ENTERPRISE_FACTS if f != "name"] + ["name", "blacklisted_on"]
    to_create, to_update = [], []
    for row in batch:
        values = {f: row[f] for f in fields if f in row}
        if values.get("blacklisted") and not values.get("blacklisted_on"):
            values["blacklisted_on"] = as_of
        enterprise = existing.get(row["uscc"])
        if enterprise is None:
            enterprise = Enterprise(uscc=row["uscc"], **values)
            enterprise.fact_sources = {
                f: {"source": source, "as_of": as_of.isoformat()} for f in ENTERPRISE_FACTS if f in values
            }
            to_create.append(enterprise)
            continue
        changed = [f for f, v in values.items() if getattr(enterprise, f) != v]
        if not changed:
            report.unchanged += 1
            continue
        enterprise.updated_at = timezone.now()
        for f in changed:
            setattr(enterprise, f, values[f])
            if f in ENTERPRISE_FACTS:
                enterprise.fact_sources[f] = {"source": source, "as_of": as_of.isoformat()}
        to_update.append(enterprise)
    Enterprise.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_create and to_create[0].pk is None:
        # SQLite before 3.35 and some backends do not return ids; read them back.
        ids = dict(Enterprise.objects.filter(uscc__in=[e.uscc for e in to_create]).values_list("uscc", "id"))
        for e in to_create:
            e.pk = ids[e.uscc]
    Enterprise.objects.bulk_update(to_update, [*fields, "fact_sources", "updated_at"], batch_size=BATCH_SIZE)
    report.created += len(to_create)
    report.updated += len(to_update)
    report.changed_ids.extend(e.pk for e in (*to_create, *to_update))

    by_uscc = {e.uscc: e for e in (*existing.values(), *to_create)}
    qualifications = []
    for row in batch:
        for code, year in row.get("qualifications", []):
            valid_years = QUALIFICATION_VALID_YEARS.get(code, 1)
            qualifications.append(
                Qualification(
                    enterprise=by_uscc[row["uscc"]],
                    code=code,
                    year_awarded=year,
                    valid_until=dt.date(year + valid_years - 1, 12, 31),
                    source=Source.DEPARTMENT,
                    as_of=as_of,
                )
            )
    if qualifications:
        held = set(
            Qualification.objects.filter(enterprise__in=[e.pk for e in by_uscc.values()]).values_list(
                "enterprise_id", "code", "year_awarded"
            )
        )
        new = [q for q in qualifications if (q.enterprise.pk, q.code, q.year_awarded) not in held]
        Qualification.objects.bulk_create(new, ignore_conflicts=True, batch_size=BATCH_SIZE)
        report.changed_ids.extend({q.enterprise.pk for q in new})


def annual_reports_import(
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    source: str = Source.TAX,
    as_of: dt.date | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> imports.ImportReport:
    """Upsert annual figures by (USCC, year) from a CSV/XLSX file; all rows or none."""
    report = imports.ImportReport(dry_run=dry_run)
    _validate(
        data,
        filename,
        imports.ANNUAL_REPORT_COLUMNS,
        imports.clean_annual_report_row,
        report,
        lambda r: (r["uscc"], r["year"]),
        progress,
    )
    if not report.errors:
        _check_enterprises_exist(data, filename, report)
    if report.errors or dry_run:
        return report
    as_of = as_of or timezone.localdate()
    with transaction.atomic():
        for batch in _batches(data, filename, imports.ANNUAL_REPORT_COLUMNS, imports.clean_annual_report_row):
            _upsert_reports(batch, source=source, as_of=as_of, report=report)
            if progress:
                progress("写入", len(batch))
        facts_changed(enterprise_ids=report.changed_ids)
    return report


def _check_enterprises_exist(data, filename, report) -> None:
    pending: list[tuple[int, str]] = []

    def flush():
        known = set(
            Enterprise.objects.filter(uscc__in=[u for _, u in pending]).values_list("uscc", flat=True)
        )
        for number, uscc in pending:
            if uscc not in known:
                report.errors.append(
                    tabular.RowError(
                        number,
                        gettext("企业档案中没有统一社会信用代码 %(uscc)s，请先导入企业") % {"uscc": uscc},
                    )
                )
        pending.clear()

    for number, raw in tabular.read_rows(data, filename, imports.ANNUAL_REPORT_COLUMNS):
        pending.append((number, imports.parse_uscc(raw["uscc"])))
        if len(pending) >= BATCH_SIZE:
            flush()
    flush()


def _upsert_reports(batch: list[dict], *, source: str, as_of: dt.date, report) -> None:
    ids = dict(Enterprise.objects.filter(uscc__in=[r["uscc"] for r in batch]).values_list("uscc", "id"))
    existing = {
        (r.enterprise_id, r.year): r
        for r in AnnualReport.objects.filter(
            enterprise_id__in=ids.values(), year__in={r["year"] for r in batch}
        )
    }
    figures = ("revenue", "rd_expense", "employees", "tax_paid")
    to_create, to_update = [], []
    for row in batch:
        enterprise_id = ids[row["uscc"]]
        values = {f: row.get(f) for f in figures if f in row}
        current = existing.get((enterprise_id, row["year"]))
        if current is None:
            to_create.append(
                AnnualReport(
                    enterprise_id=enterprise_id, year=row["year"], source=source, as_of=as_of, **values
                )
            )
            continue
        changed = [f for f, v in values.items() if getattr(current, f) != v]
        if not changed:
            report.unchanged += 1
            continue
        for f in changed:
            setattr(current, f, values[f])
        current.source, current.as_of = source, as_of
        to_update.append(current)
    AnnualReport.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    AnnualReport.objects.bulk_update(to_update, [*figures, "source", "as_of"], batch_size=BATCH_SIZE)
    report.created += len(to_create)
    report.updated += len(to_update)
    report.changed_ids.extend({r.enterprise_id for r in (*to_create, *to_update)})
