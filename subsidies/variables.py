"""The variable catalogue (变量): what a scheme's rule may ask about an enterprise, in SQL and in Python.

Each variable has a name, a Chinese label, a type and a unit, and two readings that must agree:

- ``Variable.expression(context)``: a Django expression over ``Enterprise``, used to build the facts
  relation the matcher evaluates compiled rules on (``facts_queryset``), one row per enterprise;
- ``facts_for(enterprise=…, facts_year=…, reference_date=…)``: the same facts as a plain dict for
  ``rules.apply`` / ``rules.explain``.

Facts are read at a scheme's ``Context``: its facts year (annual figures of that year, ``prev.*`` of the
year before) and its reference date (age, qualifications held). Empty text is unknown (None), as a
missing figure is. Money is in 万元, as the registry holds it.
"""

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import NullIf

from portal.enterprises.models import (
    QUALIFICATION_VALID_YEARS,
    AnnualReport,
    Enterprise,
    Park,
    Qualification,
    QualificationCode,
)
from subsidies.rules import VariableSpec
from subsidies.rules.compiler import (
    ALL,
    SQL,
    Column,
    Divide,
    Fact,
    NumberField,
    Resolver,
    qualification_codes_asked,
)
from subsidies.rules.logic import divide, variables_used

NUMBER, STRING, BOOLEAN, LIST = "number", "string", "boolean", "list"
QUALIFICATION_CODES: tuple[str, ...] = tuple(QualificationCode.values)


@dataclass(frozen=True)
class Context:
    """When a scheme reads facts: its facts year (数据年度) and its reference date (基准日)."""

    facts_year: int
    reference_date: dt.date

    @property
    def key(self) -> str:
        return f"{self.facts_year}_{self.reference_date:%Y%m%d}"


@dataclass(frozen=True)
class Variable:
    """One catalogue entry: how a rule names a fact, how people read it, and where it comes from."""

    name: str
    label: str
    type: str
    unit: str = ""
    # Where the value comes from: enterprise / report / ratio / age / qualifications / qualification_year.
    source: str = "enterprise"
    field: str = ""
    # 0: the facts year; -1: the year before (prev.*).
    year_offset: int = 0
    # Whole numbers (people, years): PostgreSQL integer columns, cast before arithmetic.
    integer: bool = False
    # How explanations show a value: "percent" (0.075 as 7.5%), "year" (2022 年); codes shown by their labels.
    shown_as: str = ""
    values: tuple[tuple[str, Any], ...] = ()
    # False for what an enterprise cannot change by its own effort (industry, park, age, the years its
    # qualifications were awarded): 差一点符合 never suggests changing it.
    changeable: bool = True

    def year(self, context: Context) -> int:
        """The annual-report year this variable reads in a context."""
        return context.facts_year + self.year_offset

    def label_for(self, context: Context | None) -> str:
        """The label with its year, as an enterprise reads it: 2022 年研发费用."""
        if context is not None and self.source in ("report", "ratio"):
            return f"{self.year(context)} 年{self.label.removeprefix('上年')}"
        return self.label

    @property
    def calculator_label(self) -> str:
        """The label as the calculator's form asks for it: 近一年度营业收入, 前一年度营业收入."""
        if self.source not in ("report", "ratio"):
            return self.label
        return ("前一年度" if self.year_offset else "近一年度") + self.label.removeprefix("上年")

    def column(self, context: Context | None) -> str:
        """The facts relation's column of a stored variable (enterprise, report, qualification year)."""
        if self.source == "enterprise":
            return f"e_{self.field}"
        if self.source == "report":
            return f"y{self.year(context)}_{self.field}"
        if self.source == "qualification_year":
            return f"qy{context.reference_date.year}_{self.field}"
        raise ValueError(f"{self.name} is derived from other columns; see inputs()")

    def inputs(self, context: Context) -> dict[str, Any]:
        """The stored values this variable is computed from: facts-relation columns and their expressions.

        Derived variables (age, the ratio) are not columns: the compiler computes them from these where
        a rule reads them, so the facts relation costs one read per stored value, nothing more.
        """
        if self.source == "enterprise":
            value = NullIf(F(self.field), Value("")) if self.type == STRING else F(self.field)
            return {self.column(context): value}
        if self.source == "report":
            return {self.column(context): F(f"{_report_alias(self.year(context))}__{self.field}")}
        if self.source == "ratio":
            return {**VARIABLES["rd_expense"].inputs(context), **VARIABLES["revenue"].inputs(context)}
        if self.source == "age":
            return {"e_registered_on": F("registered_on")}
        if self.source == "qualification_year":
            awarded = Qualification.objects.filter(
                enterprise=OuterRef("pk"), code=self.field, year_awarded__lte=context.reference_date.year
            )
            last = awarded.order_by().values("enterprise").annotate(last=Max("year_awarded")).values("last")
            return {self.column(context): Subquery(last, output_field=IntegerField())}
        return {}  # qualifications: one column per code asked (facts_queryset)

    def fact(self, context: Context, relation: str) -> Fact:
        """The variable as the compiler reads it from the facts relation: exact value, and its double."""
        if self.source == "ratio":
            rd, revenue = (
                Column(relation, VARIABLES[name].column(context), NumberField())
                for name in ("rd_expense", "revenue")
            )
            return Fact(
                NUMBER,
                Divide(rd, revenue),
                # SQLite: computed decimal text; off by at most three roundings as a double.
                native=False,
                floating=SQL(
                    "(CAST({0} AS double precision) / NULLIF(CAST({1} AS double precision), 0))",
                    rd,
                    revenue,
                    output_field=FloatField(),
                    vendors={"sqlite": "(CAST({0} AS REAL) / NULLIF(CAST({1} AS REAL), 0))"},
                ),
                plain=False,
                k=3,
                cut=True,
            )
        if self.source == "age":
            exact = _age_expression(context.reference_date, Column(relation, "e_registered_on", CharField()))
        else:
            exact = Column(relation, self.column(context), _OUTPUTS[self.type]())
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
            self.label_for(context),
            self.type,
            self.unit,
            shown_as=self.shown_as,
            values=tuple((code, str(label)) for code, label in self.values),
            changeable=self.changeable,
        )


def _report_alias(year: int) -> str:
    return f"r{year}"


def _age_expression(reference: dt.date, registered_on):
    """Whole years from registered_on to the reference date (the anniversary counts on its day)."""
    # SQLite keeps dates as ISO text: reading its digits avoids a Python call per row.
    return SQL(
        "(%s - CAST(EXTRACT(YEAR FROM {0}) AS integer) - CASE WHEN CAST(EXTRACT(MONTH FROM {0}) AS integer)"
        " * 100 + CAST(EXTRACT(DAY FROM {0}) AS integer) > %s THEN 1 ELSE 0 END)",
        registered_on,
        params=(reference.year, reference.month * 100 + reference.day),
        output_field=IntegerField(),
        vendors={
            "sqlite": "(%s - CAST(substr({0}, 1, 4) AS INTEGER) - CASE WHEN"
            " CAST(substr({0}, 6, 2) AS INTEGER) * 100 + CAST(substr({0}, 9, 2) AS INTEGER) > %s"
            " THEN 1 ELSE 0 END)"
        },
    )


def _holds(code: str, reference: dt.date) -> Q:
    """A qualification row of this code held on the reference date."""
    years = QUALIFICATION_VALID_YEARS.get(code, 1)
    return Q(code=code, year_awarded__lte=reference.year) & (
        Q(valid_until__gte=reference)
        | Q(valid_until__isnull=True, year_awarded__gte=reference.year - years + 1)
    )


def qualification_column(context: Context, code: str | None) -> str:
    """The boolean column: holds this qualification on the reference date (None: holds any)."""
    return f"q{context.reference_date:%Y%m%d}_{code or 'any'}"


_VARIABLES: list[Variable] = [
    Variable("park", "所属园区", STRING, field="park", values=tuple(Park.choices), changeable=False),
    Variable("industry_section", "行业门类", STRING, field="industry_section", changeable=False),
    Variable("industry_division", "行业大类", STRING, field="industry_division", changeable=False),
    Variable("age_years", "成立年限", NUMBER, "年", source="age", integer=True, changeable=False),
    Variable("registered_capital", "注册资本", NUMBER, "万元", field="registered_capital"),
    Variable("is_above_scale", "规上企业", BOOLEAN, field="is_above_scale"),
    Variable("credit_rating", "纳税信用等级", STRING, field="credit_rating"),
    Variable("blacklisted", "失信企业", BOOLEAN, field="blacklisted", changeable=False),
    Variable(
        "qualifications", "所获资质", LIST, source="qualifications", values=tuple(QualificationCode.choices)
    ),
    *(
        Variable(
            f"qualification_year.{code}",
            f"{label}认定年度",
            NUMBER,
            source="qualification_year",
            field=code,
            integer=True,
            shown_as="year",
            changeable=False,
        )
        for code, label in QualificationCode.choices
    ),
    Variable("revenue", "营业收入", NUMBER, "万元", source="report", field="revenue"),
    Variable("rd_expense", "研发费用", NUMBER, "万元", source="report", field="rd_expense"),
    Variable("employees", "从业人数", NUMBER, "人", source="report", field="employees", integer=True),
    Variable("tax_paid", "纳税总额", NUMBER, "万元", source="report", field="tax_paid"),
    Variable(
        "prev.revenue", "上年营业收入", NUMBER, "万元", source="report", field="revenue", year_offset=-1
    ),
    Variable(
        "prev.rd_expense", "上年研发费用", NUMBER, "万元", source="report", field="rd_expense", year_offset=-1
    ),
    Variable(
        "prev.employees",
        "上年从业人数",
        NUMBER,
        "人",
        source="report",
        field="employees",
        year_offset=-1,
        integer=True,
    ),
    Variable(
        "prev.tax_paid", "上年纳税总额", NUMBER, "万元", source="report", field="tax_paid", year_offset=-1
    ),
    # 研发投入强度 = 研发费用 ÷ 营业收入.
    Variable("rd_ratio", "研发投入强度", NUMBER, source="ratio", field="rd_ratio", shown_as="percent"),
]

VARIABLES: dict[str, Variable] = {variable.name: variable for variable in _VARIABLES}


def variable_specs(*, context: Context | None = None) -> dict[str, VariableSpec]:
    """The catalogue as ``rules.validate`` / ``rules.explain`` read it; labels carry a context's years."""
    return {name: variable.spec(context) for name, variable in VARIABLES.items()}


def calculator_specs() -> dict[str, VariableSpec]:
    """The catalogue as the calculator explains with it: 近一年度 / 前一年度, the words its form asks in."""
    return {
        name: dataclasses.replace(variable.spec(), label=variable.calculator_label)
        for name, variable in VARIABLES.items()
    }


# ---- SQL: the facts relation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Needs:
    """The facts one context must provide: variables, and qualification codes asked about (None = any)."""

    context: Context
    names: frozenset[str]
    qualification_codes: frozenset[str | None] = frozenset()


def facts_queryset(
    needs: Iterable[Needs],
    *,
    id_from: int | None = None,
    id_to: int | None = None,
    enterprise_ids: Iterable[int] | None = None,
) -> QuerySet:
    """One row per enterprise, ``eid`` and ``bl`` (blacklisted) then a column per needed fact.

    Annual figures come from one LEFT JOIN per year; qualifications from an uncorrelated ``IN`` per code,
    which both databases evaluate once per statement (hashed), not once per row. Only stored values are
    columns; derived variables are computed by the compiled rules where they are read.
    """
    needs = list(needs)
    queryset = Enterprise.objects.order_by()
    if id_from is not None:
        queryset = queryset.filter(id__gte=id_from)
    if id_to is not None:
        queryset = queryset.filter(id__lte=id_to)
    if enterprise_ids is not None:
        queryset = queryset.filter(id__in=list(enterprise_ids))
    years = sorted(
        {
            VARIABLES[name].year(need.context)
            for need in needs
            for name in need.names
            if VARIABLES[name].source in ("report", "ratio")
        }
    )
    for year in years:
        condition = Q(annual_reports__year=year)
        # Bounding the joined reports by the same id range lets the planner walk the (enterprise, year) index.
        if id_from is not None:
            condition &= Q(annual_reports__enterprise_id__gte=id_from)
        if id_to is not None:
            condition &= Q(annual_reports__enterprise_id__lte=id_to)
        queryset = queryset.annotate(
            **{_report_alias(year): FilteredRelation("annual_reports", condition=condition)}
        )
    columns: dict[str, Any] = {"eid": F("id"), "bl": F("blacklisted")}
    for need in needs:
        for name in sorted(need.names):
            variable = VARIABLES[name]
            for column, expression in variable.inputs(need.context).items():
                columns.setdefault(column, expression)
        # Sorted: the columns' order must not depend on the process (set order follows its hash seed).
        for code in sorted(need.qualification_codes, key=lambda code: code or ""):
            columns.setdefault(
                qualification_column(need.context, code),
                _held_expression(need.context.reference_date, code, id_from=id_from, id_to=id_to),
            )
    return queryset.values(**columns)


def _held_expression(reference: dt.date, code: str | None, *, id_from: int | None, id_to: int | None):
    codes = [code] if code else list(QUALIFICATION_CODES)
    held = Q()
    for each in codes:
        held |= _holds(each, reference)
    rows = Qualification.objects.filter(held)
    if id_from is not None:
        rows = rows.filter(enterprise_id__gte=id_from)
    if id_to is not None:
        rows = rows.filter(enterprise_id__lte=id_to)
    return ExpressionWrapper(Q(id__in=rows.values("enterprise_id")), output_field=BooleanField())


def enterprise_has_qualification(reference: dt.date, code: str):
    """Exists-expression (over Enterprise) for holding a qualification on a date; for selectors."""
    return Exists(Qualification.objects.filter(_holds(code, reference), enterprise=OuterRef("pk")))


# ---- SQL: what the compiler reads --------------------------------------------------------------------

_OUTPUTS = {NUMBER: NumberField, STRING: CharField, BOOLEAN: BooleanField}


class _Holds:
    """Membership columns of the qualifications list: holds(code), or holds(None) for "any"."""

    codes = QUALIFICATION_CODES

    def __init__(self, context: Context, relation: str) -> None:
        self.context = context
        self.relation = relation

    def __call__(self, code: str | None):
        if code is not None and code not in QUALIFICATION_CODES:
            return None  # a code the registry never records is never held
        return Column(self.relation, qualification_column(self.context, code), BooleanField())


def resolver(context: Context, relation: str = "f") -> Resolver:
    """Variables as the compiler reads them from the facts relation ``relation`` (KeyError if unknown)."""

    def resolve(name: str) -> Fact:
        variable = VARIABLES[name]
        if variable.type == LIST:
            return Fact(LIST, holds=_Holds(context, relation))
        return variable.fact(context, relation)

    return resolve


def needs_of(context: Context, *rules: Any) -> Needs:
    """The facts a context must provide for these rules."""
    names: set[str] = set()
    codes: set[str | None] = set()
    for rule in rules:
        names |= {name for name in variables_used(rule) if name in VARIABLES}
        if "qualifications" in names:
            # The award's facts list every qualification held, built from one column per code.
            codes.update(QUALIFICATION_CODES)
        for code in qualification_codes_asked(rule):
            if code == ALL:
                codes.update(QUALIFICATION_CODES)
            elif code is None or code in QUALIFICATION_CODES:
                codes.add(code)
    return Needs(context, frozenset(names), frozenset(codes))


# ---- Python: the facts dict ----------------------------------------------------------------------


@dataclass
class Record:
    """What the Python getters read of one enterprise: the row, its annual reports, its qualifications."""

    enterprise: Enterprise
    reports: Mapping[int, AnnualReport]
    qualifications: list[Qualification]

    @classmethod
    def load(cls, enterprise: Enterprise, years: Iterable[int] | None = None) -> "Record":
        """Read an enterprise's reports (of these years, or all) and qualifications: two queries."""
        reports = AnnualReport.objects.filter(enterprise=enterprise)
        if years is not None:
            reports = reports.filter(year__in=list(years))
        return cls(
            enterprise=enterprise,
            reports={report.year: report for report in reports},
            qualifications=list(Qualification.objects.filter(enterprise=enterprise)),
        )


def _held_on(qualification: Qualification, reference: dt.date) -> bool:
    if qualification.year_awarded > reference.year:
        return False
    if qualification.valid_until is not None:
        return qualification.valid_until >= reference
    years = QUALIFICATION_VALID_YEARS.get(qualification.code, 1)
    return qualification.year_awarded >= reference.year - years + 1


def _age(registered_on: dt.date | None, reference: dt.date) -> int | None:
    if registered_on is None:
        return None
    later_in_year = (registered_on.month, registered_on.day) > (reference.month, reference.day)
    return reference.year - registered_on.year - int(later_in_year)


def _value(variable: Variable, record: Record, context: Context) -> Any:
    enterprise = record.enterprise
    if variable.source == "enterprise":
        value = getattr(enterprise, variable.field)
        if variable.type == STRING:
            return str(value) if value else None
        return value
    if variable.source == "report":
        report = record.reports.get(variable.year(context))
        return None if report is None else getattr(report, variable.field)
    if variable.source == "ratio":
        report = record.reports.get(variable.year(context))
        if report is None or report.rd_expense is None or report.revenue is None:
            return None
        return divide(Decimal(report.rd_expense), Decimal(report.revenue))
    if variable.source == "age":
        return _age(enterprise.registered_on, context.reference_date)
    if variable.source == "qualifications":
        # Only catalogue codes: the SQL reads one column per known code, so an unknown one is never held.
        return sorted(
            {
                q.code
                for q in record.qualifications
                if q.code in QUALIFICATION_CODES and _held_on(q, context.reference_date)
            }
        )
    if variable.source == "qualification_year":
        years = [
            q.year_awarded
            for q in record.qualifications
            if q.code == variable.field and q.year_awarded <= context.reference_date.year
        ]
        return max(years, default=None)
    raise ValueError(variable.source)


def facts_from_record(record: Record, context: Context, names: Iterable[str] | None = None) -> dict[str, Any]:
    """The facts dict of a loaded enterprise in a context (every variable, or these)."""
    wanted = VARIABLES if names is None else {name: VARIABLES[name] for name in names}
    return {name: _value(variable, record, context) for name, variable in wanted.items()}


def facts_for(*, enterprise: Enterprise, facts_year: int, reference_date: dt.date) -> dict[str, Any]:
    """Every variable of an enterprise at a facts year and reference date, as ``rules`` reads them."""
    record = Record.load(enterprise, years=[facts_year, facts_year - 1])
    return facts_from_record(record, Context(facts_year, reference_date))


def facts_to_json(facts: Mapping[str, Any]) -> dict[str, Any]:
    """Facts as stored with an award: numbers as decimal text (exact), the rest as JSON has them."""
    return {
        name: format(value, "f") if isinstance(value, Decimal) else value for name, value in facts.items()
    }


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
