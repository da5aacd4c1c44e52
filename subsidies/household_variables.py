"""The household variable catalogue (购房变量): what a household scheme's rule may ask about a house purchase.

The second catalogue beside ``subsidies.variables`` (enterprises), with the same two readings that must
agree: ``facts_queryset`` builds the facts relation over ``HousePurchase`` (one row per purchase, ``eid``
its id and ``bl`` false, so the matcher's statements read it as they read the enterprises'), and
``facts_from_record`` gives the same facts as a plain dict for ``rules.apply`` / ``rules.explain``.

Dates are ISO text (``"2023-03-15"``), as the rule language compares them; money in 元 and areas in 平方米,
as the tax bureau's file holds them. A purchase's household is its buyers: ``other_purchases`` counts the
other purchases of any of them in the file (0: a first home, 首套). ``main_buyer_age`` is the 主购房人's
whole years at the scheme's reference date, from ``Person.birth_date`` (read from the ID number when it is
set; the number itself is encrypted): the one fact that depends on the scheme's context.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import BooleanField, CharField, DateField, F, FloatField, IntegerField, QuerySet, Value

from portal.residents.models import HousePurchase, Person, PurchaseBuyer
from subsidies.rules import VariableSpec
from subsidies.rules.compiler import SQL, Column, Fact, NumberField, Resolver
from subsidies.rules.logic import variables_used
from subsidies.variables import BOOLEAN, NUMBER, STRING, Context, Needs, _age, _age_expression

DATE = "date"


@dataclass(frozen=True)
class HouseholdVariable:
    """One catalogue entry: how a rule names a purchase fact, how people read it, where it comes from."""

    name: str
    label: str
    type: str
    unit: str = ""
    # The purchase's field, or "buyers" / "other_purchases" (counted from the buyers), or "main_buyer_birth"
    # (the 主购房人's birth date, which the age is computed from at the reference date).
    field: str = ""
    integer: bool = False
    changeable: bool = False
    # How an explanation, read by the buyers, says the fact (您家购房人数) and whom a yes/no is about.
    said: str = ""
    subject: str = "该套住房"

    def column(self, context: Context | None = None) -> str:
        """The facts relation's column of this variable."""
        return f"p_{self.name}"

    def inputs(self, context: Context) -> dict[str, Any]:
        """The facts relation's column and the expression over ``HousePurchase`` that fills it."""
        if self.field == "buyers":
            return {self.column(): _buyers_count()}
        if self.field == "other_purchases":
            return {self.column(): _other_purchases()}
        if self.field == "main_buyer_birth":
            # The birth date, not the age: one column serves every reference date in the statement.
            return {MAIN_BUYER_BIRTH: _main_buyer_birth()}
        return {self.column(): F(self.field)}

    def fact(self, context: Context, relation: str) -> Fact:
        """The variable as the compiler reads it from the facts relation."""
        if self.type == DATE:
            column = Column(relation, self.column(), CharField())
            # PostgreSQL holds a date; SQLite already holds the ISO text the rules compare.
            text = SQL(
                "to_char({0}, 'YYYY-MM-DD')", column, output_field=CharField(), vendors={"sqlite": "{0}"}
            )
            return Fact(STRING, text)
        if self.field == "main_buyer_birth":
            birth = Column(relation, MAIN_BUYER_BIRTH, CharField())
            exact = _age_expression(context.reference_date, birth)
        else:
            exact = Column(relation, self.column(), _OUTPUTS[self.type]())
        floating = None
        if self.type == NUMBER:
            floating = SQL(
                "CAST({0} AS double precision)",
                exact,
                output_field=FloatField(),
                vendors={"sqlite": "CAST({0} AS REAL)"},
            )
        return Fact(self.type, exact, integer=self.integer, floating=floating)

    def spec(self, context: Context | None = None) -> VariableSpec:
        """The entry as the rules package reads it."""
        return VariableSpec(
            self.name,
            self.label,
            self.type,
            self.unit,
            changeable=self.changeable,
            subject=self.subject,
            said=self.said,
        )


_OUTPUTS = {NUMBER: NumberField, BOOLEAN: BooleanField, STRING: CharField}
MAIN_BUYER_BIRTH = "p_main_buyer_birth"


def _buyers_count() -> SQL:
    """How many buyers the purchase has (its household's size)."""
    buyers, purchases = PurchaseBuyer._meta.db_table, HousePurchase._meta.db_table
    return SQL(
        f"(SELECT COUNT(*) FROM {buyers} b WHERE b.purchase_id = {purchases}.id)",  # noqa: S608 - table names
        output_field=IntegerField(),
    )


def _other_purchases() -> SQL:
    """How many other purchases of the file share a buyer with this one (distinct purchases)."""
    buyers, purchases = PurchaseBuyer._meta.db_table, HousePurchase._meta.db_table
    return SQL(
        f"(SELECT COUNT(DISTINCT o.purchase_id) FROM {buyers} m JOIN {buyers} o"  # noqa: S608 - table names
        f" ON o.person_id = m.person_id WHERE m.purchase_id = {purchases}.id"
        " AND o.purchase_id <> m.purchase_id)",
        output_field=IntegerField(),
    )


def _main_buyer_birth() -> SQL:
    """The birth date of the purchase's 主购房人 (its buyer in the first position); NULL when unknown."""
    buyers, persons, purchases = (
        PurchaseBuyer._meta.db_table,
        Person._meta.db_table,
        HousePurchase._meta.db_table,
    )
    return SQL(
        f"(SELECT p.birth_date FROM {buyers} b JOIN {persons} p ON p.id = b.person_id"  # noqa: S608 - table names
        f" WHERE b.purchase_id = {purchases}.id ORDER BY b.position LIMIT 1)",
        output_field=DateField(),
    )


_VARIABLES: list[HouseholdVariable] = [
    HouseholdVariable("contract_date", "合同签订日期", DATE, field="contract_date", said="购房合同签订日期"),
    HouseholdVariable(
        "floor_area", "建筑面积", NUMBER, "平方米", field="floor_area", said="该套住房建筑面积"
    ),
    HouseholdVariable("price", "成交价格", NUMBER, "元", field="price", said="该套住房成交价格"),
    HouseholdVariable("is_new_build", "新建商品房", BOOLEAN, field="is_new_build"),
    HouseholdVariable("deed_tax", "契税税额", NUMBER, "元", field="deed_tax", said="该套住房契税税额"),
    # Changeable: a household that has filed can still pay its deed tax.
    HouseholdVariable(
        "deed_tax_paid_on",
        "契税完税日期",
        DATE,
        field="deed_tax_paid_on",
        changeable=True,
        said="该套住房契税完税日期",
    ),
    HouseholdVariable(
        "buyer_count", "购房人数", NUMBER, "人", field="buyers", integer=True, said="您家购房人数"
    ),
    HouseholdVariable(
        "other_purchases",
        "购房人名下其他购房记录",
        NUMBER,
        "套",
        field="other_purchases",
        integer=True,
        said="您家名下其他购房记录",
    ),
    HouseholdVariable(
        "main_buyer_age",
        "主购房人年龄",
        NUMBER,
        "岁",
        field="main_buyer_birth",
        integer=True,
        changeable=False,
    ),
]

VARIABLES: dict[str, HouseholdVariable] = {variable.name: variable for variable in _VARIABLES}


def variable_specs(*, context: Context | None = None) -> dict[str, VariableSpec]:
    """The catalogue as ``rules.validate`` / ``rules.explain`` read it."""
    return {name: variable.spec(context) for name, variable in VARIABLES.items()}


# ---- SQL: the facts relation ---------------------------------------------------------------------


def facts_queryset(
    needs: Iterable[Needs],
    *,
    id_from: int | None = None,
    id_to: int | None = None,
    enterprise_ids: Iterable[int] | None = None,
) -> QuerySet:
    """One row per purchase, ``eid`` (its id) and ``bl`` (false) then a column per needed fact.

    ``enterprise_ids`` narrows to these purchase ids (the name is the matcher's, shared by both kinds).
    """
    queryset = HousePurchase.objects.order_by()
    if id_from is not None:
        queryset = queryset.filter(id__gte=id_from)
    if id_to is not None:
        queryset = queryset.filter(id__lte=id_to)
    if enterprise_ids is not None:
        queryset = queryset.filter(id__in=list(enterprise_ids))
    columns: dict[str, Any] = {"eid": F("id"), "bl": Value(False, output_field=BooleanField())}
    for need in needs:
        for name in sorted(need.names):
            columns.update(VARIABLES[name].inputs(need.context))
    return queryset.values(**columns)


def resolver(context: Context, relation: str = "f") -> Resolver:
    """Variables as the compiler reads them from the facts relation ``relation`` (KeyError if unknown)."""

    def resolve(name: str) -> Fact:
        return VARIABLES[name].fact(context, relation)

    return resolve


def needs_of(context: Context, *rules: Any) -> Needs:
    """The facts a context must provide for these rules."""
    names: set[str] = set()
    for rule in rules:
        names |= {name for name in variables_used(rule) if name in VARIABLES}
    return Needs(context, frozenset(names))


# ---- Python: the facts dict ----------------------------------------------------------------------


@dataclass
class Record:
    """What the Python getters read of one purchase: the row, its buyers, their other purchases."""

    purchase: HousePurchase
    buyer_count: int
    other_purchases: int
    main_buyer_birth: dt.date | None = None

    @classmethod
    def load(cls, purchase: HousePurchase, years: Iterable[int] | None = None) -> "Record":
        """Read a purchase's buyers (the 主购房人 first) and count their other purchases: two queries."""
        births = list(
            PurchaseBuyer.objects.filter(purchase=purchase)
            .order_by("position")
            .values_list("person__birth_date", flat=True)
        )
        people = PurchaseBuyer.objects.filter(purchase=purchase).values("person")
        others = (
            PurchaseBuyer.objects.filter(person__in=people)
            .exclude(purchase=purchase)
            .values("purchase")
            .distinct()
            .count()
        )
        return cls(
            purchase=purchase,
            buyer_count=len(births),
            other_purchases=others,
            main_buyer_birth=births[0] if births else None,
        )


def _value(variable: HouseholdVariable, record: Record, context: Context) -> Any:
    if variable.field == "main_buyer_birth":
        return _age(record.main_buyer_birth, context.reference_date)
    if variable.field == "buyers":
        return record.buyer_count
    if variable.field == "other_purchases":
        return record.other_purchases
    value = getattr(record.purchase, variable.field)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def facts_from_record(record: Record, context: Context, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The facts dict of a loaded purchase (every variable, or these); the age is at the reference date."""
    wanted = VARIABLES if names is None else {name: VARIABLES[name] for name in names}
    return {name: _value(variable, record, context) for name, variable in wanted.items()}


def facts_for(*, purchase: HousePurchase, facts_year: int, reference_date: dt.date) -> dict[str, Any]:
    """Every variable of a purchase, as ``rules`` reads them."""
    return facts_from_record(Record.load(purchase), Context(facts_year, reference_date))


def facts_from_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """Facts stored with an award, back with their types: numbers as Decimal, as the rule first saw them."""
    facts = {}
    for name, value in data.items():
        variable = VARIABLES.get(name)
        if (
            variable is not None
            and variable.type == NUMBER
            and value is not None
            and not isinstance(value, bool)
        ):
            value = Decimal(str(value))
        facts[name] = value
    return facts
