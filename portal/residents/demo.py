"""The demo deed-tax records: 10,400 household purchases in the zone in H1 2023 (the report's 1.04 万户).

Drawn from a seeded generator, so every run writes the same purchases and buyers. The household subsidy is
matched and paid by the subsidy engine's own demo; this module holds only what the tax bureau's file holds:
the file as the bureau handed it over in mid-June 2023 (contracts signed by 14 June, the deed tax paid
within a week of signing), almost all of it new commercial housing.
"""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from portal.residents.models import HousePurchase, Person, PurchaseBuyer, make_id_number

PURCHASE_COUNT = 10_400
SEED = 20230630
FIRST_DAY = dt.date(2023, 1, 1)
LAST_DAY = dt.date(2023, 6, 30)
# The file was handed over in mid-June: the last contracts in it were signed by this day of June.
LAST_JUNE_DAY = 14
CONTRACT_PREFIX = "ZZGX2023"
# Rows per INSERT; 1,000 keeps the 10,400 purchases and ~16,000 buyers at about 45 statements.
BATCH_SIZE = 1000

# 郑州 districts and counties (residents registered in the city), then a few from elsewhere in the province.
AREAS = [
    "410102",
    "410103",
    "410104",
    "410105",
    "410122",
    "410181",
    "410182",
    "410183",
    "410184",
    "410185",
] * 4
AREAS += ["410302", "410502", "410702", "411002", "411102", "411302", "411402", "411502", "411602", "411702"]
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国志"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰英梅琳雪婷慧颖倩洁佳璐晶莹月"
MOBILE_PREFIXES = ["134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182"]
MOBILE_PREFIXES += ["183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180"]
MOBILE_PREFIXES += ["181", "189", "177", "199"]
ROADS = ["科学大道", "长椿路", "莲花街", "瑞达路", "翠竹街", "红松路", "石楠路", "枫杨街", "冬青街", "银屏路"]
ROADS += [
    "雪松路",
    "梧桐街",
    "金梭路",
    "银杏路",
    "合欢街",
    "化工路",
    "西三环",
    "西四环",
    "须水河路",
    "双桥路",
]
ESTATES = ["锦苑", "雅居", "华府", "翠园", "名门", "怡景", "书香里", "云著", "春晓", "悦府", "湖畔", "学府"]


def _day(rng: random.Random) -> dt.date:
    # Spring sells more than January and February (the Spring Festival falls in January 2023).
    month = rng.choices(range(1, 7), weights=[11, 12, 19, 20, 19, 19])[0]
    last = LAST_JUNE_DAY if month == 6 else (dt.date(2023, month + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(2023, month, rng.randint(1, last))


class _People:
    """Draws people with distinct, well-formed ID numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids: set[str] = set()

    def draw(self, *, male: bool, born_after: int = 1958, born_before: int = 2001) -> Person:
        rng = self.rng
        while True:
            birth = dt.date(rng.randint(born_after, born_before), rng.randint(1, 12), rng.randint(1, 28))
            # The 17th digit is odd for men, even for women.
            serial = rng.randint(0, 499) * 2 + (1 if male else 0)
            number = make_id_number(rng.choice(AREAS), birth, serial)
            if number not in self.ids:
                self.ids.add(number)
                break
        given = GIVEN_MALE if male else GIVEN_FEMALE
        name = rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice([1, 2, 2])))
        person = Person(name=name)
        person.set_id_number(number)
        person.set_mobile(f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}")
        return person


def generate():
    """Yield (purchase, [buyers]) for every demo purchase, always the same; a few buyers buy twice."""
    rng = random.Random(SEED)
    people = _People(rng)
    earlier: list[Person] = []
    for serial in range(1, PURCHASE_COUNT + 1):
        contract_date = _day(rng)
        # The zone's purchases are nearly all new commercial housing; resales are rare.
        is_new_build = rng.random() < 0.999
        area = Decimal(str(round(rng.triangular(58, 180, 118), 2)))
        unit_price = rng.uniform(9000, 16500) if is_new_build else rng.uniform(7500, 14000)
        price = (area * Decimal(str(round(unit_price, 2)))).quantize(Decimal("1"))
        # Deed tax on a home: 1% up to 90 m², 1.5% above; a second home above 90 m² pays 2%.
        second_home = rng.random() < 0.18
        rate = Decimal("0.01") if area <= 90 else Decimal("0.02") if second_home else Decimal("0.015")
        deed_tax = (price * rate).quantize(Decimal("0.01"))
        # A few have filed but not yet paid: the subsidy engine must see them as undetermined, not ineligible.
        paid_on = None if rng.random() < 0.0015 else contract_date + dt.timedelta(days=rng.randint(1, 7))
        estate = rng.choice(ESTATES)
        purchase = HousePurchase(
            contract_no=f"{CONTRACT_PREFIX}{serial:06d}",
            address=(
                f"郑州高新区{rng.choice(ROADS)}{rng.randint(1, 299)}号{rng.choice(ROADS)[:2]}{estate}"
                f"{rng.randint(1, 32)}号楼{rng.randint(1, 4)}单元{rng.randint(2, 33)}{rng.randint(1, 4):02d}"
            ),
            floor_area=area,
            price=Decimal(price),
            is_new_build=is_new_build,
            contract_date=contract_date,
            deed_tax=deed_tax,
            deed_tax_paid_on=paid_on,
        )
        if earlier and rng.random() < 0.03:
            first = rng.choice(earlier)  # bought a second home this half-year
        else:
            first = people.draw(male=rng.random() < 0.55)
            earlier.append(first)
        buyers = [first]
        household = rng.random()
        if household < 0.52:
            spouse_male = first.id_number[16] in "02468"
            buyers.append(people.draw(male=spouse_male))
        elif household < 0.55:
            buyers.append(people.draw(male=rng.random() < 0.5, born_after=1950, born_before=1975))
            buyers.append(people.draw(male=rng.random() < 0.5, born_after=1976, born_before=2001))
        yield purchase, buyers


def _write(batch) -> None:
    new_people = {}
    for _purchase, buyers in batch:
        for person in buyers:
            if person.pk is None:
                new_people[person.id_number_hash] = person
    Person.objects.bulk_create(list(new_people.values()), batch_size=BATCH_SIZE)
    purchases = [purchase for purchase, _buyers in batch]
    HousePurchase.objects.bulk_create(purchases, batch_size=BATCH_SIZE)
    if purchases[0].pk is None or (new_people and next(iter(new_people.values())).pk is None):
        # Backends that do not return ids: read them back.
        ids = dict(Person.objects.filter(id_number_hash__in=new_people).values_list("id_number_hash", "id"))
        for person in new_people.values():
            person.pk = ids[person.id_number_hash]
        ids = dict(
            HousePurchase.objects.filter(contract_no__in=[p.contract_no for p in purchases]).values_list(
                "contract_no", "id"
            )
        )
        for purchase in purchases:
            purchase.pk = ids[purchase.contract_no]
    PurchaseBuyer.objects.bulk_create(
        [
            PurchaseBuyer(purchase_id=purchase.pk, person_id=person.pk, position=position)
            for purchase, buyers in batch
            for position, person in enumerate(buyers, start=1)
        ],
        batch_size=BATCH_SIZE,
    )


@transaction.atomic
def load(out) -> list[tuple[str, str]]:
    """Write the generated purchases and buyers once; a second run finds them and writes nothing."""
    if not HousePurchase.objects.filter(contract_no__startswith=CONTRACT_PREFIX).exists():
        batch: list = []
        for item in generate():
            batch.append(item)
            if len(batch) == BATCH_SIZE:
                _write(batch)
                batch = []
        if batch:
            _write(batch)
    purchases = HousePurchase.objects.filter(contract_date__range=(FIRST_DAY, LAST_DAY))
    out.write(f"购房记录 {purchases.count()} 条（2023 年上半年），购房人 {Person.objects.count()} 人")
    return []
