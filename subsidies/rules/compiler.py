"""Rules to SQL: a JsonLogic rule as a Django expression over a facts relation, in three-valued logic.

The database then evaluates a rule for millions of enterprises in one statement, and must agree with
``apply`` on every rule ``validate`` accepts (a hypothesis test holds the two equal on both databases).
SQL NULL is "unknown" throughout: ``AND`` / ``OR`` / ``NOT`` are already Kleene in SQL, comparisons and
arithmetic with NULL are NULL, and division uses ``NULLIF`` so dividing by zero is NULL too. Where SQL
differs from ``apply`` the compiler guards:

- PostgreSQL's ``GREATEST`` / ``LEAST`` skip NULLs: ``min`` / ``max`` are NULL when any operand is.
- ``CASE`` falls through on a NULL condition: ``if`` tests its condition for TRUE, FALSE, else NULL.
- Text is ordered by code point, as Python orders it (``COLLATE "C"`` on PostgreSQL; SQLite's default).
- Values of different types are unequal (NULL if either is unknown), never coerced.
- PostgreSQL works numbers in ``numeric``: exact, as ``apply`` is; division is ``div(a·10²⁰, b)·10⁻²⁰``,
  the same digits as ``rules.logic.divide``.
- Comparisons run on doubles first where the error bound proves them right (a near tie falls through
  to the exact values); the bound covers the division cut, an absolute 10⁻²⁰ (``_covering_cut``).
- An amount due the award column cannot hold (``AMOUNT_LIMIT``) fails the statement, as ``award_amount``
  raises in Python; the match sets that scheme aside (``matching.failures._guarded_chunk``).
- SQLite has no exact decimal type (its numbers are 64-bit floats), so arithmetic and comparisons on
  computed numbers call ``subsidies_num`` / ``subsidies_cmp``, Python functions registered on each SQLite
  connection that run ``rules.logic``'s own arithmetic on decimal text. Plain facts and literals of up
  to 15 significant digits compare natively: such decimals survive the round trip through a float.

Constructs that SQL cannot evaluate faithfully (``cat`` of numbers, lists other than literal lists and the
qualifications held, ``if`` branches of different types) raise ``RuleError`` when the rule is compiled,
which ``schemes.scheme_validate`` does before a rule is saved.

This module imports Django's expression classes, but no models: facts are reached through a resolver
the caller passes (``subsidies.variables`` builds it over the facts relation).
"""

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, Context, Decimal, InvalidOperation, localcontext
from typing import Any

from django.db.models import BooleanField, CharField, Expression, Field, FloatField

from .logic import (
    _OPERATIONS,
    ARITHMETIC_CONTEXT,
    ARITY,
    COMPARISONS,
    DIVISION_PLACES,
    RuleError,
    check_arity,
    check_literal,
    child_path,
    divide,
    is_number,
    literal_text,
    operation,
)

NUMBER, STRING, BOOLEAN, LIST, NULL, MISSING = "number", "string", "boolean", "list", "null", "missing"
# An ``if`` whose branches are of different types: usable as a condition only.
MIXED = "mixed"
_FAMILY = {NUMBER: NUMBER, STRING: STRING, BOOLEAN: BOOLEAN}
_TYPE_NAMES = {
    NUMBER: "数字",
    STRING: "文本",
    BOOLEAN: "真/假",
    LIST: "列表",
    NULL: "空值 null",
    MISSING: "缺失变量列表",
    MIXED: "类型不一的 if 结果",
}
FEN = Decimal("0.01")
# The award amount column is numeric(14, 2): an amount due must stay below this (元).
AMOUNT_LIMIT = 10**12
# Rounding to the fen at numeric's full precision (the default context's 28 digits would fail sooner).
_ROUNDING_CONTEXT = Context(
    prec=ARITHMETIC_CONTEXT.prec, Emax=ARITHMETIC_CONTEXT.Emax, Emin=ARITHMETIC_CONTEXT.Emin
)
# Four units in the last place of a double: the error bounds below are first-order, this covers the rest.
EPSILON = 4 * 2.0**-53


class NumberField(Field):
    """An exact number in a result row: ``numeric`` on PostgreSQL, float or decimal text on SQLite."""

    def get_internal_type(self) -> str:
        # Not a Django type, so no backend converter rounds it; from_db_value reads it exactly.
        return "SubsidiesNumberField"

    def from_db_value(self, value, expression, connection):
        return to_decimal(value)


def to_decimal(value: Any) -> Decimal | None:
    """A number as the database returned it (Decimal, int, float or decimal text), exactly."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # repr() is the shortest text that reads back as the same float: the decimal that was stored.
        return Decimal(repr(value))
    return Decimal(str(value))


# ---- SQL pieces -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(\{\d+\}|%s)")


class SQL(Expression):
    """A piece of SQL: ``{0}``, ``{1}`` … stand for the parts, ``%s`` for params; per-vendor variants."""

    def __init__(
        self,
        template: str,
        *parts: Expression,
        params: tuple = (),
        output_field: Field | None = None,
        vendors: Mapping[str, str] | None = None,
        vendor_params: Mapping[str, tuple] | None = None,
    ) -> None:
        super().__init__(output_field=output_field)
        self.template = template
        self.parts = list(parts)
        self.params = tuple(params)
        self.vendors = dict(vendors or {})
        self.vendor_params = dict(vendor_params or {})

    def __repr__(self) -> str:
        return f"SQL({self.template!r}, {self.parts!r})"

    def get_source_expressions(self) -> list:
        return self.parts

    def set_source_expressions(self, exprs) -> None:
        self.parts = list(exprs)

    def as_sql(self, compiler, connection):
        template = self.vendors.get(connection.vendor, self.template)
        own = list(self.vendor_params.get(connection.vendor, self.params))
        compiled = [compiler.compile(part) for part in self.parts]
        sql, params = [], []
        for token in _TOKEN.split(template):
            if token == "%s":  # noqa: S105 - a placeholder, not a secret
                sql.append("%s")
                params.append(own.pop(0))
            elif _TOKEN.fullmatch(token):
                part_sql, part_params = compiled[int(token[1:-1])]
                sql.append(part_sql)
                params.extend(part_params)
            else:
                sql.append(token)
        return "".join(sql), params


class Column(Expression):
    """A column of a relation named in the FROM clause (the facts relation ``f``)."""

    def __init__(self, relation: str, name: str, output_field: Field) -> None:
        super().__init__(output_field=output_field)
        self.relation = relation
        self.name = name

    def __repr__(self) -> str:
        return f"Column({self.relation}.{self.name})"

    def as_sql(self, compiler, connection):
        quote = connection.ops.quote_name
        return f"{quote(self.relation)}.{quote(self.name)}", []


def Divide(dividend: Expression, divisor: Expression) -> SQL:
    """``dividend / divisor`` with ``rules.logic.divide``'s digits; NULL when the divisor is zero."""
    return SQL(
        "(div(CAST({0} AS numeric) * 1e20, NULLIF(CAST({1} AS numeric), 0)) * 1e-20)",
        dividend,
        divisor,
        output_field=NumberField(),
        vendors={"sqlite": "subsidies_num('/', {0}, {1})"},
    )


def award_amount(
    raw: Decimal | None, *, cap: Decimal | None, received: Decimal = Decimal(0)
) -> Decimal | None:
    """The amount due: the rule's amount, capped, rounded down to the fen, less what the group paid before."""
    if raw is None:
        return None
    raw = Decimal(raw)
    capped = raw if cap is None else min(raw, cap)
    with localcontext(_ROUNDING_CONTEXT):
        due = capped.quantize(FEN, rounding=ROUND_FLOOR) - received
    if due >= AMOUNT_LIMIT:
        raise RuleError(
            f"兑现金额 {format(due, 'f')} 元超出可记录的上限（须小于 {AMOUNT_LIMIT:,} 元）："
            "请检查金额规则的单位，或为方案设置每户上限"
        )
    return due


def AwardAmount(raw: Expression, *, cap: Decimal | None, received: Expression | None) -> SQL:
    """``award_amount`` in SQL: NULL when the rule's amount is unknown."""
    capped = "{0}" if cap is None else "LEAST({0}, CAST(%s AS numeric))"
    less = "" if received is None else " - {1}"
    parts = [raw] if received is None else [raw, received]
    due = f"FLOOR({capped} * 100) * 0.01{less}"
    # An amount the award column cannot hold fails here, in the statement, as award_amount raises:
    # the cast to the column's type is the error (the run records it against the scheme).
    return SQL(
        f"(CASE WHEN {{0}} IS NULL THEN NULL WHEN {due} >= {AMOUNT_LIMIT} THEN CAST({due} AS numeric(14, 2))"
        f" ELSE {due} END)",
        *parts,
        params=() if cap is None else (cap, cap, cap),
        output_field=NumberField(),
        vendors={"sqlite": "subsidies_amount({0}, %s, " + ("{1}" if received is not None else "0") + ")"},
        vendor_params={"sqlite": (None if cap is None else format(cap, "f"),)},
    )


# ---- facts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """A variable as the compiler sees it: its SQL and its type (list facts: per-code membership)."""

    type: str
    expression: Expression | None = None
    # PostgreSQL integer column: cast to numeric before arithmetic, so it cannot overflow.
    integer: bool = False
    # SQLite: the value is a plain number (a column, not computed), comparable with SQLite's operators.
    native: bool = True
    holds: Callable[[str | None], Expression] | None = None
    # Numbers: the value as a double; ``plain`` if it is the nearest double to the exact value (a stored
    # figure), else within ``k`` units in the last place of it (a computed one).
    floating: Expression | None = None
    plain: bool = True
    k: int = 1
    # The exact value is a quotient cut after DIVISION_PLACES places (the R&D ratio).
    cut: bool = False


Resolver = Callable[[str], Fact]


@dataclass
class _Node:
    expr: Expression | None
    type: str
    native: bool = True
    integer: bool = False
    fact: Fact | None = None
    literal: Any = field(default=None)
    is_literal: bool = False
    # The node's truth when it differs from truth(expr): an ``if`` with branches of different types.
    truthy: Expression | None = None
    # Numbers: a double twin ``fl`` with |fl - exact| <= k * EPSILON * mag (mag an SQL expression); ``plain``
    # when fl is the exact value's nearest double, so comparing the doubles compares the exact values
    # (decimals of up to 15 significant digits are apart by more than a double's spacing).
    fl: Expression | None = None
    mag: Expression | None = None
    k: int = 0
    plain: bool = False


def _bool(template: str, *parts: Expression, params: tuple = (), vendors=None) -> SQL:
    return SQL(template, *parts, params=params, output_field=BooleanField(), vendors=vendors)


_TRUE = _bool("TRUE")
_FALSE = _bool("FALSE")
_NULL_SQL = {
    NUMBER: "CAST(NULL AS numeric)",
    STRING: "CAST(NULL AS text)",
    BOOLEAN: "CAST(NULL AS boolean)",
}
_OUTPUT = {NUMBER: NumberField, STRING: CharField, BOOLEAN: BooleanField}


def _output(kind: str) -> Field:
    return _OUTPUT.get(kind, BooleanField)()


def _case(conditions: list[Expression], values: list[Expression], has_else: bool, kind: str) -> Expression:
    """``if``: CASE <cond> WHEN TRUE THEN <value> WHEN FALSE THEN <the rest> END, nested from the last."""
    result = values[-1] if has_else else _null(kind)
    for condition, value in zip(reversed(conditions), reversed(values[: len(conditions)]), strict=True):
        result = SQL(
            "(CASE {0} WHEN TRUE THEN {1} WHEN FALSE THEN {2} END)",
            condition,
            value,
            result,
            output_field=_output(kind),
        )
    return result


def _float(template: str, *parts: Expression, params: tuple = (), vendors=None) -> SQL:
    return SQL(template, *parts, params=params, output_field=FloatField(), vendors=vendors)


def _covering_cut(mag: Expression, k: int) -> SQL:
    """``mag`` raised so that ``k · EPSILON · mag`` also covers a division's cut.

    The exact quotient is cut after ``DIVISION_PLACES`` places, so it lies up to 10⁻²⁰ from the real
    one, whatever its size; a bound relative to the value alone misses that for tiny quotients. The
    raised magnitude carries the cut on through sums, products and further quotients.
    """
    return _float("({0} + %s)", mag, params=(10.0**-DIVISION_PLACES / (k * EPSILON),))


def _float_literal(value: float) -> SQL:
    return _float("CAST(%s AS double precision)", params=(value,), vendors={"sqlite": "%s"})


def _null(kind: str) -> SQL:
    return SQL(_NULL_SQL.get(kind, "NULL"), output_field=_output(kind), vendors={"sqlite": "NULL"})


# ---- the compiler -----------------------------------------------------------------------------------


def compile_condition(rule: Any, resolve: Resolver) -> Expression:
    """The rule as a boolean SQL expression: TRUE eligible, FALSE not, NULL undetermined."""
    compiler = _Compiler(resolve)
    return compiler.truth(compiler.node(rule, ""), "")


def compile_amount(rule: Any, resolve: Resolver) -> Expression:
    """An amount rule (or a plain number) as a numeric SQL expression; NULL when it cannot be computed."""
    compiler = _Compiler(resolve)
    node = compiler.node(rule, "")
    if node.type == NULL:
        return _null(NUMBER)
    if node.type != NUMBER:
        raise RuleError(f"金额规则必须得出数字，实际是{_TYPE_NAMES[node.type]}")
    return compiler.arithmetic_operand(node).expr


def compile_value(rule: Any, resolve: Resolver) -> tuple[Expression, str]:
    """Any rule's value as SQL, with its type (number, string or boolean): for previews and tests."""
    compiler = _Compiler(resolve)
    node = compiler.node(rule, "")
    if node.type in (LIST, MISSING):
        return compiler.truth(node, ""), BOOLEAN
    if node.type == MIXED:
        raise RuleError("if 的各分支须为同一类型的值")
    return node.expr, node.type


class _Compiler:
    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    # -- nodes -------------------------------------------------------------------------------------

    def node(self, rule: Any, path: str) -> _Node:
        if isinstance(rule, list):
            raise RuleError("列表只能作为 in 的第二个参数直接写出", path=path)
        try:
            parsed = operation(rule)
        except RuleError as error:
            raise RuleError(error.reason, path=path) from None
        if parsed is None:
            return self.literal(rule, path)
        op, args = parsed
        check_arity(op, len(args), path=path)
        handler = getattr(self, _HANDLERS.get(op, ""), None)
        if handler is None:
            raise RuleError(f"不支持的运算符：{op}", path=path)
        return handler(op, args, path)

    def literal(self, value: Any, path: str) -> _Node:
        if value is None:
            return _Node(_null(NULL), NULL, is_literal=True)
        if isinstance(value, bool):
            return _Node(_TRUE if value else _FALSE, BOOLEAN, literal=value, is_literal=True)
        if isinstance(value, float):
            value = Decimal(str(value))
        if is_number(value):
            number = Decimal(value)
            check_literal(number, path=path)
            native, sqlite_param = _sqlite_number(number)
            expr = SQL(
                "CAST(%s AS numeric)",
                params=(number,),
                output_field=NumberField(),
                vendors={"sqlite": "%s"},
                vendor_params={"sqlite": (sqlite_param,)},
            )
            as_float = float(number)
            return _Node(
                expr,
                NUMBER,
                native=native,
                literal=number,
                is_literal=True,
                fl=_float_literal(as_float),
                mag=_float_literal(abs(as_float)),
                k=1,
                plain=Decimal(repr(as_float)) == number,
            )
        if isinstance(value, str):
            return _Node(
                SQL("%s", params=(value,), output_field=CharField()), STRING, literal=value, is_literal=True
            )
        raise RuleError(f"无法在数据库中比对这个值：{literal_text(value)}", path=path)

    def var(self, op: str, args: list, path: str) -> _Node:
        name = args[0] if args else None
        if not isinstance(name, str) or not name:
            raise RuleError("变量名必须是文本", path=path)
        fact = self.fact(name, path)
        node = _Node(fact.expression, fact.type, native=fact.native, integer=fact.integer, fact=fact)
        if fact.type == NUMBER and fact.floating is not None:
            node.fl, node.mag, node.k, node.plain = (
                fact.floating,
                _float("ABS({0})", fact.floating),
                fact.k,
                fact.plain,
            )
            if fact.cut:
                node.mag = _covering_cut(node.mag, node.k)
        if fact.type == LIST or len(args) < 2:
            return node
        default = self.node(args[1], child_path(path, op, 1))
        if default.type == NULL:
            return node
        if default.type not in _FAMILY:
            raise RuleError("变量的默认值须为数字、文本或真/假", path=path)
        if _FAMILY.get(default.type) != _FAMILY.get(fact.type):
            raise RuleError(
                f"变量 {name} 是{_TYPE_NAMES[fact.type]}，默认值却是{_TYPE_NAMES[default.type]}", path=path
            )
        integer = (
            fact.integer and default.is_literal and default.literal == default.literal.to_integral_value()
        )
        result = _Node(
            SQL("COALESCE({0}, {1})", node.expr, default.expr, output_field=_output(fact.type)),
            fact.type,
            native=node.native and default.native,
            integer=bool(integer) if fact.type == NUMBER else False,
        )
        if fact.type == NUMBER and node.fl is not None:
            result.fl = _float("COALESCE({0}, {1})", node.fl, default.fl)
            result.mag = _float("ABS({0})", result.fl)
            result.k = max(node.k, default.k)
            result.plain = node.plain and default.plain
        return result

    def fact(self, name: str, path: str) -> Fact:
        try:
            return self.resolve(name)
        except KeyError:
            raise RuleError(f"未知变量：{name}", path=path) from None

    def missing(self, op: str, args: list, path: str) -> _Node:
        if op == "missing_some":
            needed, names = args
            if not is_number(needed) or not isinstance(names, list):
                raise RuleError("missing_some 的参数应为 [需要的个数, [变量名, ...]]", path=path)
        else:
            names = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        presents = []
        for name in names:
            if not isinstance(name, str) or not name:
                raise RuleError(f"{op} 的参数必须是变量名", path=path)
            fact = self.fact(name, path)
            if fact.type != LIST:  # a list of qualifications is never missing (it may be empty)
                presents.append(fact.expression)
        count = len(names)
        if op == "missing":
            if not presents:
                return _Node(_FALSE, MISSING)
            template = " OR ".join(f"({{{i}}} IS NULL)" for i in range(len(presents)))
            return _Node(_bool(f"({template})", *presents), MISSING)
        # missing_some is truthy when fewer than `needed` are present and at least one is missing.
        # present < needed (present is whole, so < ceil(needed)) and present < count (something is missing).
        limit = min(math.ceil(needed), count)
        present = " + ".join(f"(CASE WHEN {{{i}}} IS NULL THEN 0 ELSE 1 END)" for i in range(len(presents)))
        absent_lists = count - len(presents)
        total = f"({present} + {absent_lists})" if presents else str(absent_lists)
        return _Node(_bool(f"({total} < %s)", *presents, params=(limit,)), MISSING)

    def comparison(self, op: str, args: list, path: str) -> _Node:
        nodes = [self.node(arg, child_path(path, op, index)) for index, arg in enumerate(args)]
        pairs = [
            self.compare(op, nodes[index], nodes[index + 1], child_path(path, op, index + 1))
            for index in range(len(nodes) - 1)
        ]
        if len(pairs) == 1:
            return _Node(pairs[0], BOOLEAN)
        return _Node(_bool("(" + " AND ".join(f"{{{i}}}" for i in range(len(pairs))) + ")", *pairs), BOOLEAN)

    def compare(self, op: str, left: _Node, right: _Node, path: str) -> Expression:
        if NULL in (left.type, right.type):
            raise RuleError("与 null 比较的结果总是未知；要判断数据是否缺失，请用 missing", path=path)
        for node in (left, right):
            if node.type == MIXED:
                raise RuleError("if 的各分支须为同一类型的值才能比较", path=path)
            if node.type in (LIST, MISSING):
                raise RuleError(
                    f"{_TYPE_NAMES[node.type]}不能直接比较，请用 in 判断其中是否包含某项", path=path
                )
        symbol = {"==": "=", "===": "=", "!=": "<>", "!==": "<>"}.get(op, op)
        if left.type != right.type:
            if symbol not in ("=", "<>"):
                raise RuleError(
                    f"类型不匹配：{_TYPE_NAMES[left.type]}与{_TYPE_NAMES[right.type]}无法比较大小", path=path
                )
            # apply(): values of different types are unequal; unknown if either is unknown.
            verdict = "FALSE" if symbol == "=" else "TRUE"
            return _bool(
                f"(CASE WHEN {{0}} IS NULL OR {{1}} IS NULL THEN NULL ELSE {verdict} END)",
                left.expr,
                right.expr,
            )
        if left.type == BOOLEAN and symbol not in ("=", "<>"):
            raise RuleError("真/假不能比较大小", path=path)
        if left.type == STRING and symbol not in ("=", "<>"):
            return _bool(
                f'({{0}} {symbol} {{1}} COLLATE "C")',
                left.expr,
                right.expr,
                vendors={"sqlite": f"({{0}} {symbol} {{1}})"},
            )
        if left.type == NUMBER:
            return self.number_compare(symbol, left, right)
        return _bool(f"({{0}} {symbol} {{1}})", left.expr, right.expr)

    def number_compare(self, symbol: str, left: _Node, right: _Node) -> Expression:
        """Compare numbers on their doubles when that is provably exact, else on the exact values."""
        if left.native and right.native:
            exact = _bool(f"({{0}} {symbol} {{1}})", left.expr, right.expr)
        else:
            exact = _bool(
                f"({{0}} {symbol} {{1}})",
                left.expr,
                right.expr,
                vendors={"sqlite": f"(subsidies_cmp({{0}}, {{1}}) {symbol} 0)"},
            )
        if (
            left.fl is None
            or right.fl is None
            or (left.native and right.native and left.plain and right.plain)
        ):
            # Stored figures and short literals compare exactly as they are (numeric; SQLite's floats).
            return exact
        if left.plain and right.plain:
            return _bool(f"({{0}} {symbol} {{1}})", left.fl, right.fl)
        # The doubles decide when they are further apart than both their errors; a near tie (or a
        # divisor too close to zero, where mag is NULL) falls through to the exact comparison.
        return _bool(
            f"(CASE WHEN ABS({{0}} - {{1}}) > ({{2}} * %s + {{3}} * %s) * %s THEN ({{0}} {symbol} {{1}})"
            " ELSE {4} END)",
            left.fl,
            right.fl,
            left.mag,
            right.mag,
            exact,
            params=(float(left.k), float(right.k), EPSILON),
        )

    def truth(self, node: _Node, path: str) -> Expression:
        """JsonLogic truthiness as a SQL boolean, NULL staying unknown."""
        if node.truthy is not None:
            return node.truthy
        if node.type in (BOOLEAN, MISSING):
            return node.expr
        if node.type == NUMBER:
            return self.number_compare("<>", node, self.literal(0, path))
        if node.type == STRING:
            return _bool("({0} <> '')", node.expr)
        if node.type == LIST:
            return node.fact.holds(None)
        return _null(BOOLEAN)

    def logical(self, op: str, args: list, path: str) -> _Node:
        truths = [self.truth(self.node(arg, child_path(path, op, i)), path) for i, arg in enumerate(args)]
        if op == "!":
            return _Node(_bool("(NOT {0})", truths[0]), BOOLEAN)
        if op == "!!":
            return _Node(truths[0], BOOLEAN)
        joiner = " AND " if op == "and" else " OR "
        return _Node(_bool("(" + joiner.join(f"{{{i}}}" for i in range(len(truths))) + ")", *truths), BOOLEAN)

    def condition(self, op: str, args: list, path: str) -> _Node:
        nodes = [self.node(arg, child_path(path, op, index)) for index, arg in enumerate(args)]
        if len(nodes) % 2 == 0:
            # No else: every condition false gives false (``logic.choose``), not unknown.
            nodes.append(self.literal(False, path))
        conditions = [self.truth(nodes[i], path) for i in range(0, len(nodes) - 1, 2)]
        values = nodes[1::2] + (nodes[-1:] if len(nodes) % 2 else [])
        has_else = len(nodes) % 2 == 1
        # As a condition only the branches' truth counts, so branches of any types can be mixed.
        truthy = _case(conditions, [self.truth(value, path) for value in values], has_else, BOOLEAN)
        kinds = {value.type for value in values} - {NULL}
        if len(kinds) > 1 or kinds & {LIST, MISSING, MIXED}:
            return _Node(None, MIXED, truthy=truthy)
        kind = kinds.pop() if kinds else NULL
        if kind == NUMBER:
            values = [self.arithmetic_operand(value) if value.type == NUMBER else value for value in values]
        exprs = [value.expr if value.type != NULL else _null(kind) for value in values]
        native = all(value.native for value in values)
        integer = kind == NUMBER and all(value.integer or value.type == NULL for value in values)
        return _Node(_case(conditions, exprs, has_else, kind), kind, native=native, integer=integer)

    def membership(self, op: str, args: list, path: str) -> _Node:
        needle = self.node(args[0], child_path(path, op, 0))
        haystack_rule = args[1]
        if needle.type in (LIST, MISSING, MIXED):
            raise RuleError("in 的第一个参数须为数字、文本或真/假", path=path)
        if isinstance(haystack_rule, list):
            items = [
                self.node(item, f"{child_path(path, op, 1)}[{i}]") for i, item in enumerate(haystack_rule)
            ]
            return self.in_list(needle, items, path)
        haystack = self.node(haystack_rule, child_path(path, op, 1))
        if haystack.type == LIST:
            return self.in_qualifications(needle, haystack, path)
        if haystack.type == STRING:
            if needle.type not in (STRING, NULL):
                raise RuleError(f"只能在文本中查找文本，实际是{_TYPE_NAMES[needle.type]}", path=path)
            if needle.type == NULL:
                return _Node(_null(BOOLEAN), BOOLEAN)
            return _Node(
                _bool(
                    "(STRPOS({1}, {0}) > 0)",
                    needle.expr,
                    haystack.expr,
                    vendors={"sqlite": "(INSTR({1}, {0}) > 0)"},
                ),
                BOOLEAN,
            )
        if haystack.type == NULL:
            return _Node(_null(BOOLEAN), BOOLEAN)
        raise RuleError(f"in 的第二个参数必须是列表或文本，实际是{_TYPE_NAMES[haystack.type]}", path=path)

    def in_list(self, needle: _Node, items: list[_Node], path: str) -> _Node:
        if not items:
            return _Node(_bool("(CASE WHEN {0} IS NULL THEN NULL ELSE FALSE END)", needle.expr), BOOLEAN)
        if needle.type == NULL:
            return _Node(_null(BOOLEAN), BOOLEAN)
        same = [item for item in items if item.type == needle.type]
        if len(same) == len(items) and all(item.is_literal for item in items):
            if needle.type != NUMBER:
                holes = ", ".join(f"{{{i + 1}}}" for i in range(len(items)))
                return _Node(
                    _bool(f"({{0}} IN ({holes}))", needle.expr, *(item.expr for item in items)), BOOLEAN
                )
            if needle.plain and all(item.plain for item in items):
                holes = ", ".join(f"{{{i + 1}}}" for i in range(len(items)))
                return _Node(_bool(f"({{0}} IN ({holes}))", needle.fl, *(item.fl for item in items)), BOOLEAN)
        terms = []
        for item in items:
            if item.type in (LIST, MISSING, MIXED):
                raise RuleError("in 的列表项须为数字、文本或真/假", path=path)
            if item.type == NULL:
                terms.append(_null(BOOLEAN))
            else:
                terms.append(self.compare("==", needle, item, path))
        joined = _bool("(" + " OR ".join(f"{{{i}}}" for i in range(len(terms))) + ")", *terms)
        if len(same) == len(items):
            return _Node(joined, BOOLEAN)
        # A term for an item of another type is FALSE without looking at the needle: keep unknown unknown.
        return _Node(_bool("(CASE WHEN {0} IS NULL THEN NULL ELSE {1} END)", needle.expr, joined), BOOLEAN)

    def in_qualifications(self, needle: _Node, haystack: _Node, path: str) -> _Node:
        holds = haystack.fact.holds
        if needle.type == NULL:
            return _Node(_null(BOOLEAN), BOOLEAN)
        if needle.type != STRING:
            raise RuleError(
                f"资质列表中只能查找资质代码（文本），实际是{_TYPE_NAMES[needle.type]}", path=path
            )
        if needle.is_literal:
            held = holds(needle.literal)
            return _Node(held if held is not None else _FALSE, BOOLEAN)
        codes = list(getattr(holds, "codes", ()))
        if not codes:
            return _Node(_bool("(CASE WHEN {0} IS NULL THEN NULL ELSE FALSE END)", needle.expr), BOOLEAN)
        terms = " OR ".join(f"({{0}} = %s AND {{{i + 1}}})" for i in range(len(codes)))
        return _Node(
            _bool(
                f"(CASE WHEN {{0}} IS NULL THEN NULL ELSE ({terms}) END)",
                needle.expr,
                *(holds(code) for code in codes),
                params=tuple(codes),
            ),
            BOOLEAN,
        )

    def arithmetic(self, op: str, args: list, path: str) -> _Node:
        nodes = [self.node(arg, child_path(path, op, index)) for index, arg in enumerate(args)]
        for index, node in enumerate(nodes):
            if node.type not in (NUMBER, NULL):
                raise RuleError(
                    f"算术运算需要数字，实际是{_TYPE_NAMES[node.type]}", path=child_path(path, op, index)
                )
        if any(node.type == NULL for node in nodes):
            return _Node(_null(NUMBER), NUMBER)
        if len(nodes) == 1 and op in ("+", "*", "min", "max"):
            return nodes[0]
        result = self.exact_arithmetic(op, nodes)
        if all(node.fl is not None for node in nodes):
            _float_twin(op, nodes, result)
        return result

    def exact_arithmetic(self, op: str, nodes: list[_Node]) -> _Node:
        if len(nodes) == 1:  # unary minus
            only = nodes[0]
            return _Node(
                SQL(
                    "(-{0})",
                    only.expr,
                    output_field=NumberField(),
                    vendors={} if only.native else {"sqlite": "subsidies_num('-', {0})"},
                ),
                NUMBER,
                native=only.native,
                integer=only.integer,
            )
        operands = [self.arithmetic_operand(node).expr for node in nodes]
        holes = [f"{{{i}}}" for i in range(len(operands))]
        udf = f"subsidies_num('{op}', {', '.join(holes)})".replace("'%'", "'%%'")
        if op in ("+", "-", "*"):
            template = "(" + f" {op} ".join(holes) + ")"
        elif op == "/":
            return _Node(Divide(*operands), NUMBER, native=False)
        elif op == "%":
            template = "({0} %% NULLIF({1}, 0))"
        else:
            function = "LEAST" if op == "min" else "GREATEST"
            guard = " OR ".join(f"{hole} IS NULL" for hole in holes)
            template = f"(CASE WHEN {guard} THEN NULL ELSE {function}({', '.join(holes)}) END)"
            if all(node.native for node in nodes):
                native_sqlite = f"{op.upper()}({', '.join(holes)})"
                return _Node(
                    SQL(template, *operands, output_field=NumberField(), vendors={"sqlite": native_sqlite}),
                    NUMBER,
                    native=True,
                )
        return _Node(
            SQL(template, *operands, output_field=NumberField(), vendors={"sqlite": udf}),
            NUMBER,
            native=False,
        )

    def arithmetic_operand(self, node: _Node) -> _Node:
        """An integer column cast to numeric on PostgreSQL, so sums and products cannot overflow."""
        if not node.integer:
            return node
        return replace(
            node,
            expr=SQL(
                "CAST({0} AS numeric)", node.expr, output_field=NumberField(), vendors={"sqlite": "{0}"}
            ),
            integer=False,
        )

    def concatenation(self, op: str, args: list, path: str) -> _Node:
        parts = []
        for index, arg in enumerate(args):
            node = self.node(arg, child_path(path, op, index))
            if node.type == STRING:
                parts.append(node.expr)
            elif node.type == BOOLEAN:
                parts.append(
                    SQL(
                        "(CASE WHEN {0} THEN 'true' WHEN NOT {0} THEN 'false' END)",
                        node.expr,
                        output_field=CharField(),
                    )
                )
            elif node.type == NULL:
                return _Node(_null(STRING), STRING)
            else:
                raise RuleError(
                    f"cat 在数据库比对中只能拼接文本或真/假，实际是{_TYPE_NAMES[node.type]}",
                    path=child_path(path, op, index),
                )
        template = "(" + " || ".join(f"{{{i}}}" for i in range(len(parts))) + ")"
        return _Node(SQL(template, *parts, output_field=CharField()), STRING)


def _float_twin(op: str, nodes: list[_Node], result: _Node) -> None:
    """Give an arithmetic result its double and error bound (first-order error analysis, per operation).

    Sums: errors add, plus one rounding of the magnitude. Products: relative errors add. Quotients:
    (|a| + |q|·|b|) / |b| bounds the error when the divisor is well away from zero; otherwise mag is
    NULL and comparisons use the exact values. ``%`` has no twin: its result jumps at multiples.
    """
    fls = [node.fl for node in nodes]
    mags = [node.mag for node in nodes]
    ks = [node.k for node in nodes]
    holes = [f"{{{i}}}" for i in range(len(nodes))]
    if len(nodes) == 1:  # unary minus: exact on doubles too
        result.fl, result.mag, result.k, result.plain = (
            _float("(-{0})", fls[0]),
            mags[0],
            ks[0],
            nodes[0].plain,
        )
    elif op in ("+", "-"):
        result.fl = _float("(" + f" {op} ".join(holes) + ")", *fls)
        result.mag = _float("(" + " + ".join(holes) + ")", *mags)
        result.k = max(ks) + len(nodes)
    elif op == "*":
        result.fl = _float("(" + " * ".join(holes) + ")", *fls)
        result.mag = _float("(" + " * ".join(holes) + ")", *mags)
        result.k = sum(ks) + len(nodes)
    elif op == "/":
        result.fl = _float(
            "({0} / NULLIF({1}, 0))", *fls, vendors={"sqlite": "(CAST({0} AS REAL) / NULLIF({1}, 0))"}
        )
        result.mag = _float(
            "(CASE WHEN ABS({1}) > {3} * %s THEN ({2} + ABS({0}) * {3}) / ABS({1}) END)",
            result.fl,
            fls[1],
            mags[0],
            mags[1],
            params=(ks[1] * 1e-9,),
        )
        result.k = 2 * max(ks) + 2
        result.mag = _covering_cut(result.mag, result.k)
    elif op in ("min", "max"):
        function = "LEAST" if op == "min" else "GREATEST"
        guard = " OR ".join(f"{hole} IS NULL" for hole in holes)
        result.fl = _float(
            f"(CASE WHEN {guard} THEN NULL ELSE {function}({', '.join(holes)}) END)",
            *fls,
            vendors={"sqlite": f"{op.upper()}({', '.join(holes)})"},
        )
        result.mag = _float("(" + " + ".join(holes) + ")", *mags)
        result.k = max(ks)
        result.plain = all(node.plain for node in nodes)  # the result is one of the operands


_HANDLERS = {
    "var": "var",
    "missing": "missing",
    "missing_some": "missing",
    **dict.fromkeys(COMPARISONS, "comparison"),
    "!": "logical",
    "!!": "logical",
    "and": "logical",
    "or": "logical",
    "if": "condition",
    "?:": "condition",
    "in": "membership",
    **dict.fromkeys(("+", "-", "*", "/", "%", "min", "max"), "arithmetic"),
    "cat": "concatenation",
}
assert set(_HANDLERS) == set(ARITY)


# ---- what a rule needs ------------------------------------------------------------------------------


ALL = "*"


def qualification_codes_asked(rule: Any) -> set[str | None]:
    """Qualification codes a rule asks about: ``in`` needles; None for "holds any"; ALL for every code."""
    asked: set[str | None] = set()
    _walk_qualifications(rule, asked)
    return asked


def _walk_qualifications(rule: Any, asked: set) -> None:
    if isinstance(rule, list):
        for item in rule:
            _walk_qualifications(item, asked)
        return
    parsed = operation(rule)
    if parsed is None:
        return
    op, args = parsed
    if op == "in" and len(args) == 2 and _is_qualifications(args[1]):
        if isinstance(args[0], str):
            asked.add(args[0])
        else:
            asked.add(ALL)
            _walk_qualifications(args[0], asked)
        return
    if op == "var" and _is_qualifications(rule):
        asked.add(None)
        return
    if op in ("missing", "missing_some"):
        return
    for arg in args:
        _walk_qualifications(arg, asked)


def _is_qualifications(node: Any) -> bool:
    parsed = operation(node) if isinstance(node, Mapping) else None
    return parsed is not None and parsed[0] == "var" and bool(parsed[1]) and parsed[1][0] == "qualifications"


# ---- SQLite: exact arithmetic through Python -------------------------------------------------------


def _sqlite_number(number: Decimal) -> tuple[bool, Any]:
    """(native, param): a literal SQLite can hold exactly as a number, or as decimal text for the UDFs."""
    if number == number.to_integral_value() and abs(number) < 2**63:
        return True, int(number)
    as_float = float(number)
    if Decimal(repr(as_float)) == number:
        return True, as_float
    return False, format(number, "f")


def _sqlite_value(value: Any) -> Decimal | None:
    try:
        return to_decimal(value)
    except InvalidOperation:
        return None


def _text(number: Decimal | None) -> str | None:
    return None if number is None else format(number, "f")


def sqlite_num(op: str, *values: Any) -> str | None:
    """SQLite UDF subsidies_num(op, …): rules.logic's arithmetic on decimal text."""
    numbers = [_sqlite_value(value) for value in values]
    if None in numbers:
        return None
    if op == "/":
        return _text(divide(*numbers))
    return _text(_OPERATIONS[op](numbers, None))


def sqlite_cmp(left: Any, right: Any) -> int | None:
    """SQLite UDF subsidies_cmp(a, b): -1, 0 or 1 comparing exactly; NULL if either is unknown."""
    a, b = _sqlite_value(left), _sqlite_value(right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


def sqlite_amount(raw: Any, cap: Any, received_fen: Any) -> str | None:
    """SQLite UDF subsidies_amount(raw, cap, received in fen): ``award_amount`` on decimal text."""
    received = (_sqlite_value(received_fen) or Decimal(0)).scaleb(-2)
    return _text(award_amount(_sqlite_value(raw), cap=_sqlite_value(cap), received=received))


def register_sqlite_functions(dbapi_connection) -> None:
    """Give a SQLite connection the exact-arithmetic functions compiled rules call."""
    dbapi_connection.create_function("subsidies_num", -1, sqlite_num, deterministic=True)
    dbapi_connection.create_function("subsidies_cmp", 2, sqlite_cmp, deterministic=True)
    dbapi_connection.create_function("subsidies_amount", 3, sqlite_amount, deterministic=True)
