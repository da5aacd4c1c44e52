"""Writes to the residents' records: the deed-tax import, SMS codes, and personal data under PIPL."""

import datetime as dt
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from portal import exports, tabular
from portal.fields import lookup_hash
from portal.residents import imports, selectors, sms
from portal.residents.masking import mask_mobile
from portal.residents.models import (
    AccessAction,
    HousePurchase,
    Person,
    PersonAccess,
    PurchaseBuyer,
    SmsCode,
    normalize_mobile,
)

logger = logging.getLogger(__name__)

# Rows written per statement. 1,000 keeps a 100,000-row file at a few hundred statements and each batch's
# objects (with their encrypted numbers) well under 10 MB.
BATCH_SIZE = 1000

SMS_CODE_TTL = dt.timedelta(minutes=5)
SMS_RESEND_INTERVAL = dt.timedelta(minutes=1)
SMS_DAILY_LIMIT = 10
SMS_MAX_FAILURES = 5
SMS_LOCK_DURATION = dt.timedelta(minutes=30)
# Codes only serve the daily limit and the lock; older ones are deleted by the purge.
SMS_CODE_KEEP = dt.timedelta(days=30)
PURPOSE_MIN_LENGTH = 4


class ResidentError(Exception):
    """A residents' operation refused, with a Chinese message saying what to do next."""


# The deed-tax import


def _facts(row: dict) -> tuple:
    return tuple(row[f] for f in imports.PURCHASE_FIELDS)


def _validate(data, filename, report, progress) -> None:
    """First pass: every row checked; duplicates, and rows of one contract that disagree, are errors."""
    buyers: dict[tuple, int] = {}
    contracts: dict[str, tuple[int, tuple]] = {}
    names: dict[str, tuple[int, str]] = {}
    labels = {c.name: c.chinese for c in imports.DEED_TAX_COLUMNS}
    for number, raw in tabular.read_rows(data, filename, imports.DEED_TAX_COLUMNS):
        report.rows += 1
        if progress and report.rows % BATCH_SIZE == 0:
            progress("校验", BATCH_SIZE)
        try:
            row = imports.clean_deed_tax_row(raw)
        except ValueError as exc:
            report.errors.append(tabular.RowError(number, str(exc)))
            continue
        key = (row["contract_no"], row["buyer_id_number"])
        if key in buyers:
            report.errors.append(
                tabular.RowError(
                    number, gettext("与第 %(row)s 行重复（同一合同同一购房人）") % {"row": buyers[key]}
                )
            )
            continue
        buyers[key] = number
        first = contracts.setdefault(row["contract_no"], (number, _facts(row)))
        if first[1] != _facts(row):
            differing = [
                labels[f]
                for f, a, b in zip(imports.PURCHASE_FIELDS, first[1], _facts(row), strict=True)
                if a != b
            ]
            report.errors.append(
                tabular.RowError(
                    number,
                    gettext("与第 %(row)s 行同一合同的%(fields)s不一致")
                    % {"row": first[0], "fields": "、".join(differing)},
                )
            )
        id_key = lookup_hash(row["buyer_id_number"])
        seen = names.setdefault(id_key, (number, row["buyer_name"]))
        if seen[1] != row["buyer_name"]:
            report.errors.append(
                tabular.RowError(number, gettext("同一身份证号在第 %(row)s 行的姓名不同") % {"row": seen[0]})
            )


def _batches(data, filename):
    batch = []
    for _number, raw in tabular.read_rows(data, filename, imports.DEED_TAX_COLUMNS):
        batch.append(imports.clean_deed_tax_row(raw))
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


def deed_tax_import(
    *,
    data: bytes,
    filename: str,
    dry_run: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> tabular.ImportReport:
    """Upsert purchases by 网签合同号 and their buyers by ID number from the deed-tax file; all rows or none.

    The counts are of purchases. A contract's buyers are replaced by the ones the file names.
    """
    report = tabular.ImportReport(dry_run=dry_run)
    _validate(data, filename, report, progress)
    if report.errors or dry_run:
        return report
    # Purchase id -> the next buyer position, for contracts whose buyers this import has already reset.
    positions: dict[int, int] = {}
    with transaction.atomic():
        for batch in _batches(data, filename):
            persons = _upsert_persons(batch)
            purchases = _upsert_purchases(batch, report, positions)
            _link_buyers(batch, persons, purchases, positions)
            if progress:
                progress("写入", len(batch))
    logger.info(
        "deed-tax import: %s rows, %s purchases created, %s updated",
        report.rows,
        report.created,
        report.updated,
    )
    return report


def _upsert_persons(batch: list[dict]) -> dict[str, Person]:
    wanted: dict[str, dict] = {}
    for row in batch:
        entry = wanted.setdefault(lookup_hash(row["buyer_id_number"]), row)
        if row["buyer_mobile"] and not entry["buyer_mobile"]:
            wanted[lookup_hash(row["buyer_id_number"])] = row
    existing = {p.id_number_hash: p for p in Person.objects.filter(id_number_hash__in=wanted)}
    now = timezone.now()
    to_create, to_update = [], []
    for key, row in wanted.items():
        person = existing.get(key)
        if person is None:
            person = Person(name=row["buyer_name"])
            person.set_id_number(row["buyer_id_number"])
            person.set_mobile(row["buyer_mobile"])
            to_create.append(person)
            continue
        changed = person.name != row["buyer_name"]
        person.name = row["buyer_name"]
        # A file without the mobile number keeps the one on record.
        if row["buyer_mobile"] and person.mobile != row["buyer_mobile"]:
            person.set_mobile(row["buyer_mobile"])
            changed = True
        if changed:
            person.updated_at = now
            to_update.append(person)
    Person.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_create and to_create[0].pk is None:
        ids = dict(
            Person.objects.filter(id_number_hash__in=[p.id_number_hash for p in to_create]).values_list(
                "id_number_hash", "id"
            )
        )
        for person in to_create:
            person.pk = ids[person.id_number_hash]
    Person.objects.bulk_update(
        to_update, ["name", "mobile", "mobile_hash", "updated_at"], batch_size=BATCH_SIZE
    )
    return {**existing, **{p.id_number_hash: p for p in to_create}}


def _upsert_purchases(batch: list[dict], report, done: dict[int, int]) -> dict[str, HousePurchase]:
    wanted = {row["contract_no"]: row for row in batch}
    existing = {p.contract_no: p for p in HousePurchase.objects.filter(contract_no__in=wanted)}
    now = timezone.now()
    to_create, to_update = [], []
    for contract_no, row in wanted.items():
        values = {f: row[f] for f in imports.PURCHASE_FIELDS}
        purchase = existing.get(contract_no)
        if purchase is None:
            to_create.append(HousePurchase(contract_no=contract_no, **values))
            continue
        changed = [f for f, v in values.items() if getattr(purchase, f) != v]
        if purchase.pk in done:
            # A contract whose rows span two batches was written and counted with the first.
            continue
        if not changed:
            report.unchanged += 1
            continue
        for f in changed:
            setattr(purchase, f, values[f])
        purchase.updated_at = now
        to_update.append(purchase)
    HousePurchase.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_create and to_create[0].pk is None:
        ids = dict(
            HousePurchase.objects.filter(contract_no__in=[p.contract_no for p in to_create]).values_list(
                "contract_no", "id"
            )
        )
        for purchase in to_create:
            purchase.pk = ids[purchase.contract_no]
    HousePurchase.objects.bulk_update(
        to_update, [*imports.PURCHASE_FIELDS, "updated_at"], batch_size=BATCH_SIZE
    )
    report.created += len(to_create)
    report.updated += len(to_update)
    return {**existing, **{p.contract_no: p for p in to_create}}


def _link_buyers(batch, persons, purchases, positions: dict[int, int]) -> None:
    fresh = {purchases[row["contract_no"]].pk for row in batch} - positions.keys()
    if fresh:
        PurchaseBuyer.objects.filter(purchase_id__in=fresh).delete()
        positions.update(dict.fromkeys(fresh, 1))
    links = []
    for row in batch:
        purchase_id = purchases[row["contract_no"]].pk
        person = persons[lookup_hash(row["buyer_id_number"])]
        links.append(
            PurchaseBuyer(purchase_id=purchase_id, person_id=person.pk, position=positions[purchase_id])
        )
        positions[purchase_id] += 1
    PurchaseBuyer.objects.bulk_create(links, batch_size=BATCH_SIZE)


# Personal data: staff access with a purpose, exports, the person's own copy, retention


def _check_purpose(purpose: str) -> str:
    purpose = " ".join((purpose or "").split())
    if len(purpose) < PURPOSE_MIN_LENGTH:
        raise ResidentError(
            gettext("请填写查看或导出居民信息的用途（至少 %(n)s 个字），例如“核对契税补贴资格”。")
            % {"n": PURPOSE_MIN_LENGTH}
        )
    return purpose[:200]


def _access(person: Person, user, action: str, purpose: str, at) -> PersonAccess:
    return PersonAccess(
        person=person,
        person_label=str(person),
        user=user,
        username=user.get_username() if user else gettext("本人"),
        action=action,
        purpose=purpose,
        at=at,
    )


@transaction.atomic
def person_record_open(*, person: Person, user, purpose: str) -> PersonAccess:
    """Record that a staff member opens a person's record, and why; refused without a purpose."""
    access = _access(person, user, AccessAction.VIEW, _check_purpose(purpose), timezone.now())
    access.save()
    return access


@transaction.atomic
def purchase_record_open(*, purchase: HousePurchase, user, purpose: str) -> list[PersonAccess]:
    """Record that a staff member opens a purchase, and why: an access to each of its buyers' data."""
    purpose = _check_purpose(purpose)
    now = timezone.now()
    buyers = [link.person for link in selectors.purchase_buyers(purchase=purchase)]
    return PersonAccess.objects.bulk_create(
        [_access(person, user, AccessAction.VIEW, purpose, now) for person in buyers]
    )


EXPORT_HEADERS = ("姓名", "身份证号", "手机号", "网签合同号", "房屋坐落", "合同签订日期", "契税税额（元）")


@transaction.atomic
def persons_export(*, persons: Iterable[Person], user, purpose: str) -> exports.Download:
    """A CSV of people and their purchases, names and numbers masked; each person's export is logged.

    The log is written before the file is made; the file's rows are read and sent as it streams.
    """
    purpose = _check_purpose(purpose)
    now = timezone.now()
    ids = [p.pk for p in persons]
    accesses = [
        _access(person, user, AccessAction.EXPORT, purpose, now)
        for person in Person.objects.filter(id__in=ids)
    ]
    PersonAccess.objects.bulk_create(accesses, batch_size=BATCH_SIZE)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    return exports.csv_download(
        filename=f"residents-{stamp}.csv",
        header=EXPORT_HEADERS,
        rows=_export_rows([a.person_id for a in accesses]),
    )


def _export_rows(ids: list[int]) -> Iterator[list]:
    people = selectors.persons_with_purchases(ids=ids).order_by("pk")
    for person in people.iterator(chunk_size=BATCH_SIZE):
        for purchase in list(person.purchases.all()) or [None]:
            yield [
                person.masked_name,
                person.masked_id_number,
                person.masked_mobile,
                purchase.contract_no if purchase else "",
                purchase.address if purchase else "",
                purchase.contract_date.isoformat() if purchase else "",
                str(purchase.deed_tax) if purchase and purchase.deed_tax is not None else "",
            ]


def _subject_document(person: Person) -> dict:
    purchases = []
    for purchase in person.purchases.all():
        purchases.append(
            {
                "网签合同号": purchase.contract_no,
                "房屋坐落": purchase.address,
                "建筑面积（平方米）": str(purchase.floor_area),
                "成交价格（元）": str(purchase.price),
                "新建商品房": purchase.is_new_build,
                "合同签订日期": purchase.contract_date.isoformat(),
                "契税税额（元）": None if purchase.deed_tax is None else str(purchase.deed_tax),
                "契税完税日期": purchase.deed_tax_paid_on.isoformat() if purchase.deed_tax_paid_on else None,
                "补贴发放时间": timezone.localtime(purchase.paid_at).isoformat()
                if purchase.paid_at
                else None,
                # The other buyers are other people: masked, as anyone else sees them.
                "共同购房人": [
                    f"{link.person.masked_name}（{link.person.masked_id_number}）"
                    for link in purchase.buyer_links.all()
                    if link.person_id != person.pk
                ],
            }
        )
    return {
        "说明": gettext("本文件是门户保存的您本人的全部个人信息，以及工作人员查看或导出您信息的记录。"),
        "生成时间": timezone.localtime().isoformat(),
        "本人信息": {
            "姓名": person.name,
            "居民身份证号": person.id_number,
            # Read from the ID number, kept so subsidy rules can ask a buyer's age.
            "出生日期": person.birth_date.isoformat() if person.birth_date else None,
            "手机号": person.mobile,
            "首次记录时间": timezone.localtime(person.created_at).isoformat(),
        },
        "购房记录": purchases,
        "访问记录": [
            {
                "时间": timezone.localtime(a.at).isoformat(),
                "操作人": a.username,
                "操作": str(a.get_action_display()),
                "用途": a.purpose,
            }
            for a in person.accesses.all()
        ],
        "保存期限": gettext("补贴发放后 %(years)s 年删除")
        % {"years": settings.RESIDENT_DATA_RETENTION_YEARS},
    }


@transaction.atomic
def person_data_export(*, person: Person, fmt: str = "json") -> str:
    """What the portal holds about a person, for the person (PIPL right of access): JSON or CSV, unmasked."""
    if fmt not in ("json", "csv"):
        raise ResidentError(gettext("只支持 JSON 或 CSV 格式。"))
    person = selectors.person_for_subject(pk=person.pk)
    document = _subject_document(person)
    _access(person, None, AccessAction.SUBJECT_EXPORT, gettext("本人下载个人信息"), timezone.now()).save()
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=2)
    rows = [["本人信息", label, value] for label, value in document["本人信息"].items()]
    for purchase in document["购房记录"]:
        for label, value in purchase.items():
            if isinstance(value, list):
                value = "；".join(value)
            elif isinstance(value, bool):
                value = "是" if value else "否"
            rows.append([f"购房记录 {purchase['网签合同号']}", label, "" if value is None else value])
    for access in document["访问记录"]:
        rows.append(["访问记录", access["时间"], f"{access['操作人']} {access['操作']}：{access['用途']}"])
    rows.append(["说明", "保存期限", document["保存期限"]])
    # With the byte-order mark, as every export: a spreadsheet program reads the Chinese as UTF-8; and the
    # ID number kept as text, whole, where the resident opens the file.
    return exports.csv_text(["类别", "项目", "内容"], rows, digits_as_text=True)


def _years_before(moment: dt.datetime, years: int) -> dt.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def resident_data_purge(*, now: dt.datetime | None = None, dry_run: bool = False) -> dict[str, int]:
    """Delete paid households' data ``RESIDENT_DATA_RETENTION_YEARS`` after payment, and old SMS codes."""
    now = now or timezone.now()
    cutoff = _years_before(now, settings.RESIDENT_DATA_RETENTION_YEARS)
    paid_long_ago = HousePurchase.objects.filter(paid_at__lte=cutoff)
    # A purchase no award names goes. One a subsidy award names stays as the payment's record (the award's
    # foreign key protects it, and accounting records outlive this retention), but without the personal
    # data: its address, its buyers, and the payee's name and account on the award.
    purchase_ids = list(
        paid_long_ago.filter(subsidy_awards__isnull=True).values_list("id", flat=True).distinct()
    )
    cleared_ids = list(
        paid_long_ago.filter(subsidy_awards__isnull=False, personal_data_cleared_at__isnull=True)
        .values_list("id", flat=True)
        .distinct()
    )
    # A buyer goes only when every purchase of theirs is due: one unpaid or recently paid purchase keeps them.
    person_ids = list(
        Person.objects.filter(purchase_links__purchase__paid_at__lte=cutoff)
        .exclude(purchase_links__purchase__paid_at__isnull=True)
        .exclude(purchase_links__purchase__paid_at__gt=cutoff)
        .values_list("id", flat=True)
        .distinct()
    )
    mobile_hashes = set(
        Person.objects.filter(id__in=person_ids).exclude(mobile_hash="").values_list("mobile_hash", flat=True)
    )
    codes = SmsCode.objects.filter(Q(sent_at__lt=now - SMS_CODE_KEEP) | Q(mobile_hash__in=mobile_hashes))
    counts = {
        "purchases": len(purchase_ids),
        "purchases_cleared": len(cleared_ids),
        "persons": len(person_ids),
        "sms_codes": codes.count(),
    }
    if dry_run:
        return counts
    from subsidies.models import Award

    with transaction.atomic():
        for start in range(0, len(purchase_ids), BATCH_SIZE):
            HousePurchase.objects.filter(id__in=purchase_ids[start : start + BATCH_SIZE]).delete()
        for start in range(0, len(cleared_ids), BATCH_SIZE):
            batch = cleared_ids[start : start + BATCH_SIZE]
            HousePurchase.objects.filter(id__in=batch).update(address="", personal_data_cleared_at=now)
            PurchaseBuyer.objects.filter(purchase_id__in=batch).delete()
            Award.objects.filter(purchase_id__in=batch).update(bank_account_name="", bank_account="")
        for start in range(0, len(person_ids), BATCH_SIZE):
            Person.objects.filter(id__in=person_ids[start : start + BATCH_SIZE]).delete()
        codes.delete()
    logger.info("resident data purge before %s: %s", cutoff.isoformat(), counts)
    return counts


# SMS one-time codes, then the ID number's last six characters


def _code_hash(sms_code: SmsCode, code: str) -> str:
    return lookup_hash(f"sms:{sms_code.idempotency_key}:{code}")


def _mobile_key(mobile: str) -> tuple[str, str]:
    try:
        mobile = normalize_mobile(mobile)
    except ValidationError as exc:
        raise ResidentError(exc.messages[0]) from None
    return mobile, lookup_hash(mobile)


def _hotline() -> str:
    return settings.SERVICE_HOTLINE


def sms_code_send(*, mobile: str) -> SmsCode:
    """Send a 6-digit code to a number on a purchase record: 1 a minute, 10 a day, none while locked.

    A number on no purchase record is answered exactly as one on a record, limits and lock included, but
    no message is sent: whether a number is on the deed-tax file is itself personal data, and the login
    form must not tell it to whoever types numbers in. Its code is never known to anyone, so the next step
    refuses every guess, as it would a wrong code.
    """
    mobile, key = _mobile_key(mobile)
    now = timezone.now()
    with transaction.atomic():
        # Locking the holders of the number serialises two requests for it, so the limits hold under races.
        holders = list(
            Person.objects.select_for_update(of=("self",))
            .filter(mobile_hash=key, purchase_links__isnull=False)
            .values_list("id", flat=True)
        )
        codes = SmsCode.objects.filter(mobile_hash=key)
        locked = codes.filter(locked_at__gt=now - SMS_LOCK_DURATION).order_by("-locked_at").first()
        if locked:
            until = timezone.localtime(locked.locked_at + SMS_LOCK_DURATION)
            raise ResidentError(
                gettext(
                    "验证码错误次数过多，该手机号已锁定至 %(time)s，请届时再试或拨打服务热线 %(hotline)s。"
                )
                % {"time": until.strftime("%H:%M"), "hotline": _hotline()}
            )
        last = codes.order_by("-sent_at").first()
        if last and now - last.sent_at < SMS_RESEND_INTERVAL:
            wait = int((SMS_RESEND_INTERVAL - (now - last.sent_at)).total_seconds()) + 1
            raise ResidentError(
                gettext("验证码已发送，请 %(seconds)s 秒后再重新获取。") % {"seconds": min(wait, 60)}
            )
        day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        if codes.filter(sent_at__gte=day_start).count() >= SMS_DAILY_LIMIT:
            raise ResidentError(
                gettext("该手机号今天已获取 %(n)s 次验证码，请明天再试，或拨打服务热线 %(hotline)s。")
                % {"n": SMS_DAILY_LIMIT, "hotline": _hotline()}
            )
        code = f"{secrets.randbelow(1_000_000):06d}"
        sms_code = SmsCode(mobile_hash=key, sent_at=now, expires_at=now + SMS_CODE_TTL)
        sms_code.code_hash = _code_hash(sms_code, code)
        sms_code.save()
    if not holders:
        logger.info("SMS code for %s not sent: the number is on no purchase record", mask_mobile(mobile))
        return sms_code
    text = gettext("【%(zone)s】您的验证码是 %(code)s，5 分钟内有效。请勿告诉他人。") % {
        "zone": settings.ZONE_NAME,
        "code": code,
    }
    try:
        sms.get_gateway().send(mobile=mobile, text=text, idempotency_key=str(sms_code.idempotency_key))
    except sms.SmsGatewayError as exc:
        logger.error("SMS code to %s not sent: %s", mask_mobile(mobile), exc)
        raise ResidentError(
            gettext("短信发送失败，请 1 分钟后重试，或拨打服务热线 %(hotline)s。") % {"hotline": _hotline()}
        ) from exc
    return sms_code


def _fail_attempt(sms_code: SmsCode, now) -> str:
    sms_code.failed_attempts += 1
    if sms_code.failed_attempts >= SMS_MAX_FAILURES:
        sms_code.locked_at = now
    sms_code.save(update_fields=["failed_attempts", "locked_at"])
    left = SMS_MAX_FAILURES - sms_code.failed_attempts
    if left <= 0:
        return gettext("错误次数过多，验证码已失效，该手机号锁定 %(minutes)s 分钟。") % {
            "minutes": int(SMS_LOCK_DURATION.total_seconds() // 60)
        }
    return ""


def sms_code_verify(*, mobile: str, code: str) -> SmsCode:
    """Check the latest code sent to the number: within 5 minutes, used once, locked after 5 wrong tries."""
    _mobile, key = _mobile_key(mobile)
    now = timezone.now()
    problem = ""
    with transaction.atomic():
        sms_code = (
            SmsCode.objects.select_for_update().filter(mobile_hash=key).order_by("-sent_at", "-id").first()
        )
        if sms_code is None:
            raise ResidentError(gettext("请先获取短信验证码。"))
        if sms_code.locked_at:
            raise ResidentError(gettext("验证码错误次数过多，已失效，请稍后重新获取。"))
        if sms_code.verified_at:
            raise ResidentError(gettext("该验证码已使用，请重新获取。"))
        if now > sms_code.expires_at:
            raise ResidentError(gettext("验证码已过期（5 分钟内有效），请重新获取。"))
        given = "".join((code or "").split())
        if hmac.compare_digest(_code_hash(sms_code, given), sms_code.code_hash):
            sms_code.verified_at = now
            sms_code.save(update_fields=["verified_at"])
            return sms_code
        problem = _fail_attempt(sms_code, now) or gettext("验证码错误，还可尝试 %(n)s 次。") % {
            "n": SMS_MAX_FAILURES - sms_code.failed_attempts
        }
    # Raised after the commit: the wrong attempt must be counted.
    raise ResidentError(problem)


def identity_verify(*, mobile: str, id_suffix: str) -> Person:
    """After the code: the ID number's last 6 characters name the person; wrong tries count to the lock."""
    _mobile, key = _mobile_key(mobile)
    now = timezone.now()
    suffix = "".join((id_suffix or "").split()).upper()
    with transaction.atomic():
        sms_code = (
            SmsCode.objects.select_for_update().filter(mobile_hash=key).order_by("-sent_at", "-id").first()
        )
        if sms_code is None or sms_code.verified_at is None:
            raise ResidentError(gettext("请先获取并填写短信验证码。"))
        if sms_code.locked_at:
            raise ResidentError(gettext("错误次数过多，已锁定，请稍后重新获取验证码。"))
        if sms_code.identified_at or now - sms_code.verified_at > SMS_CODE_TTL:
            raise ResidentError(gettext("验证已超时，请重新获取短信验证码。"))
        if len(suffix) == 6:
            for person in selectors.persons_by_mobile_hash(mobile_hash=key):
                if hmac.compare_digest(person.id_number[-6:], suffix):
                    sms_code.person = person
                    sms_code.identified_at = now
                    sms_code.save(update_fields=["person", "identified_at"])
                    return person
        problem = _fail_attempt(sms_code, now) or gettext(
            "身份证号后六位与购房记录不符，还可尝试 %(n)s 次。"
        ) % {"n": SMS_MAX_FAILURES - sms_code.failed_attempts}
    raise ResidentError(problem)


# Residents' own logins and consent


@transaction.atomic
def resident_user_for(*, person: Person):
    """The portal login of a resident whose identity was just proven: the one linked, or a new one.

    Used by both ways in (the provincial identity and the SMS code), so a resident has one login whichever
    they use. Staff logins are never linked here: a resident session carries no staff rights.
    """
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    person = Person.objects.select_for_update().get(pk=person.pk)
    user = person.user
    if user is None:
        user = user_model(username=f"resident-{person.pk}", display_name=person.masked_name)
        # No local password: the resident proves who they are each time.
        user.set_unusable_password()
        user.save()
        person.user = user
        person.save(update_fields=["user"])
    if user.is_staff or user.is_superuser or user.department_id is not None:
        raise ResidentError(
            gettext("园区工作人员账号不能以居民身份登录，请使用工作人员账号、密码和动态口令登录。")
        )
    if not user.is_active:
        raise ResidentError(
            gettext("该居民账号已停用，请拨打服务热线 %(hotline)s 咨询。") % {"hotline": _hotline()}
        )
    return user


@transaction.atomic
def privacy_notice_accept(*, person: Person) -> Person:
    """Record that the resident accepted the privacy notice; the first acceptance's time is kept."""
    Person.objects.filter(pk=person.pk, privacy_accepted_at__isnull=True).update(
        privacy_accepted_at=timezone.now()
    )
    person.refresh_from_db(fields=["privacy_accepted_at"])
    return person
