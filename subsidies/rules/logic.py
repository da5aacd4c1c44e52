"""JsonLogic evaluation in Kleene three-valued logic, so Python agrees with the SQL compiler.

The dialect, with every departure from jsonlogic.com and its reason, is written down once in the
README (规则引擎的 JSON Logic 方言); this is the evaluator's summary of it. Differences from jsonlogic.com:

- Numbers are ``Decimal`` (JSON integers stay ``int``); arithmetic, ``min`` and ``max`` return ``Decimal``.
- Arithmetic is exact, as PostgreSQL's ``numeric`` is: ``+``, ``-``, ``*`` and ``%`` keep every digit,
  and a result that would need more than ``numeric`` holds is a rule error rather than a silently
  rounded number. Division is the one inexact operation; its quotient is cut
  (towards zero) after ``DIVISION_PLACES`` decimal places, which is what the SQL compiler's
  ``div(a * 10^20, b) * 10^-20`` gives, so both evaluators get the same digits.
- ``None`` is "unknown": comparisons, arithmetic, ``in``, ``cat``, ``min`` and ``max`` with a ``None``
  operand give ``None``; ``!``/``!!`` of ``None`` give ``None``; ``and``/``or`` are Kleene and return
  ``True``/``False``/``None``, never an operand's value.
- ``if`` with an unknown condition gives ``None`` (unlike SQL ``CASE``, which falls through to ``ELSE``);
  only a condition makes an ``if`` unknown: with every condition false and no else it gives ``False``
  (jsonlogic.com: null, which is unknown here).
- ``var`` with a default replaces a null fact as well as an absent one (jsonlogic.js keeps a null): in
  the facts relation a figure not reported and a report never filed are both null, so the two cannot be
  told apart, and the SQL compiler's ``COALESCE`` replaces both alike.
- Numbers written in a rule hold at most ``LITERAL_DIGITS`` digits either side of the point; arithmetic
  is exact up to PostgreSQL ``numeric``'s limits (``ARITHMETIC_CONTEXT``), where both evaluators fail.
- Division and modulo by zero give ``None``.
- ``==`` does not coerce between types: numbers equal numbers (``int`` or ``Decimal``), strings equal
  strings, booleans equal booleans; values of different types are unequal. ``===`` is therefore the same
  as ``==``. Ordering values of different types raises ``RuleError``.
"""

import itertools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import (
    Context,
    Decimal,
    DecimalException,
    Inexact,
    InvalidOperation,
    Overflow,
    Rounded,
    localcontext,
)
from typing import Any

Rule = Any


class RuleError(ValueError):
    """规则错误: the one error the rules package raises."""

    def __init__(self, reason: str, *, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason}（位置：{path}）" if path else reason)


# Digits kept after the point by a division (cut towards zero, as PostgreSQL's div() does).
DIVISION_PLACES = 20
_DIVISION_SCALE = Decimal(10) ** DIVISION_PLACES
# Exact arithmetic to PostgreSQL's ``numeric`` limits (131,072 digits before the point, 16,383 after):
# a result needing more raises there as here, instead of being rounded. Decimal's cost follows the
# digits a number has, not this cap.
ARITHMETIC_CONTEXT = Context(
    prec=131_072 + 16_383, Emax=131_071, Emin=-16_383, traps=[InvalidOperation, Overflow, Inexact, Rounded]
)
# A number written in a rule: at most this many digits before the point, and as many after. Enough for
# any money figure or ratio; it keeps the doubles the SQL compiler compares with far from overflow.
LITERAL_DIGITS = 30


def check_literal(number: Decimal, *, path: str = "") -> None:
    """Raise RuleError for a number a rule may not hold: infinite, or beyond ``LITERAL_DIGITS``."""
    if not number.is_finite():
        raise RuleError(f"数字无效：{number}", path=path)
    exponent = number.normalize(ARITHMETIC_CONTEXT).as_tuple().exponent
    if number and (abs(number) > Decimal(10) ** LITERAL_DIGITS or exponent < -LITERAL_DIGITS):
        raise RuleError(
            f"数字 {number} 超出规则可用的范围：绝对值至多 10 的 {LITERAL_DIGITS} 次方，"
            f"小数至多 {LITERAL_DIGITS} 位；请改用合适的单位（如万元）",
            path=path,
        )


COMPARISONS = frozenset({"==", "!=", "===", "!==", ">", ">=", "<", "<="})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "min", "max"})

# (fewest, most) arguments; None = no upper bound.
ARITY: dict[str, tuple[int, int | None]] = {
    "var": (0, 2),
    "missing": (0, None),
    "missing_some": (2, 2),
    "==": (2, 2),
    "!=": (2, 2),
    "===": (2, 2),
    "!==": (2, 2),
    ">": (2, 2),
    ">=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    "!": (1, 1),
    "!!": (1, 1),
    "and": (1, None),
    "or": (1, None),
    "if": (2, None),
    "?:": (2, None),
    "in": (2, 2),
    "+": (1, None),
    "-": (1, 2),
    "*": (1, None),
    "/": (2, 2),
    "%": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "cat": (1, None),
}


def parse(text: str | bytes) -> Rule:
    """Read a rule from JSON text: fractions become ``Decimal``, integers stay ``int``."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise RuleError(
            f"规则不是合法的 JSON：{error.msg}（第 {error.lineno} 行第 {error.colno} 列）"
        ) from None


loads = parse


def _reject_constant(name: str) -> Any:
    raise RuleError(f"规则中不允许出现 {name}")


def normalize(rule: Rule) -> Rule:
    """A copy of an already-parsed rule with every float turned into ``Decimal(str(f))``."""
    if isinstance(rule, float):
        return Decimal(str(rule))
    if isinstance(rule, Mapping):
        return {key: normalize(value) for key, value in rule.items()}
    if isinstance(rule, list | tuple):
        return [normalize(item) for item in rule]
    return rule


def operation(node: Rule) -> tuple[str, list] | None:
    """The operator and argument list of an operation node, or None when the node is a literal."""
    if not isinstance(node, Mapping) or not node:
        return None
    if len(node) != 1:
        raise RuleError(f"一个规则对象只能有一个运算符，实际有：{'、'.join(map(str, node))}")
    op, args = next(iter(node.items()))
    return op, list(args) if isinstance(args, list | tuple) else [args]


def child_path(path: str, op: str, index: int) -> str:
    """Where an argument sits, as ``and[1].>=[0]``."""
    return f"{path}.{op}[{index}]" if path else f"{op}[{index}]"


def check_arity(op: str, count: int, *, path: str = "") -> None:
    """Raise RuleError for an unknown operator or a wrong number of arguments."""
    if op not in ARITY:
        raise RuleError(f"不支持的运算符：{op}", path=path)
    fewest, most = ARITY[op]
    if count < fewest or (most is not None and count > most):
        if most is None:
            expected = f"至少 {fewest}"
        elif fewest == most:
            expected = f"{fewest}"
        else:
            expected = f"{fewest} 到 {most}"
        raise RuleError(f"运算符 {op} 的参数个数应为 {expected}，实际 {count} 个", path=path)


def apply(rule: Rule, data: Any = None) -> Any:
    """Evaluate a rule against facts; None means unknown."""
    return _evaluate(rule, {} if data is None else data)


def _evaluate(node: Rule, data: Any) -> Any:
    if isinstance(node, list):
        return [_evaluate(item, data) for item in node]
    parsed = operation(node)
    if parsed is None:
        return _fact(node)
    op, args = parsed
    check_arity(op, len(args))
    if op in ("if", "?:"):
        return _if(args, data)
    return _OPERATIONS[op]([_evaluate(arg, data) for arg in args], data)


def compile_rule(rule: Rule) -> Callable[[Any], Any]:
    """The rule as a function of the facts that evaluates exactly as ``apply`` does, parsed once.

    For evaluating one rule on many fact sets: the operators are looked up and checked here, not on
    every call. ``compile_rule(rule)(data) == apply(rule, data)`` for every rule and data.
    """
    evaluate = _compile(rule)
    return lambda data=None: evaluate({} if data is None else data)


def _compile(node: Rule) -> Callable[[Any], Any]:
    if isinstance(node, list):
        items = [_compile(item) for item in node]
        return lambda data: [item(data) for item in items]
    parsed = operation(node)
    if parsed is None:
        return lambda data: _fact(node)
    op, args = parsed
    check_arity(op, len(args))
    parts = [_compile(arg) for arg in args]
    if op in ("if", "?:"):
        return lambda data: _compiled_if(parts, data)
    function = _OPERATIONS[op]
    return lambda data: function([part(data) for part in parts], data)


def _compiled_if(parts: list[Callable[[Any], Any]], data: Any) -> Any:
    for index in range(0, len(parts) - 1, 2):
        condition = truth(parts[index](data))
        if condition is None:
            return None
        if condition:
            return parts[index + 1](data)
    return parts[-1](data) if len(parts) % 2 else False


# ---- truth -------------------------------------------------------------------------------------------


def truth(value: Any) -> bool | None:
    """JsonLogic truthiness, with None staying unknown."""
    if value is None or isinstance(value, bool):
        return value
    if is_number(value):
        return value != 0
    if isinstance(value, str | list):
        return len(value) > 0
    return True


def kleene_not(value: bool | None) -> bool | None:
    """NOT in three-valued logic."""
    return None if value is None else not value


def kleene_and(values: Iterable[bool | None]) -> bool | None:
    """AND in three-valued logic: False wins, then unknown."""
    values = list(values)
    if False in values:
        return False
    return None if None in values else True


def kleene_or(values: Iterable[bool | None]) -> bool | None:
    """OR in three-valued logic: True wins, then unknown."""
    values = list(values)
    if True in values:
        return True
    return None if None in values else False


def choose(conditions: Sequence[bool | None], branches: Sequence[Any]) -> Any:
    """The branch an ``if`` picks: the first true condition's value, the else value, or False.

    Only an unknown condition makes the ``if`` unknown; with every condition false and no else branch
    the value is ``False`` (jsonlogic.com gives null, which is falsy there but "unknown" here).
    """
    for condition, branch in zip(conditions, branches, strict=False):
        if condition is None:
            return None
        if condition:
            return branch
    return branches[len(conditions)] if len(branches) > len(conditions) else False


def _if(args: list, data: Any) -> Any:
    for index in range(0, len(args) - 1, 2):
        condition = truth(_evaluate(args[index], data))
        if condition is None:
            return None
        if condition:
            return _evaluate(args[index + 1], data)
    return _evaluate(args[-1], data) if len(args) % 2 else False


# ---- facts -------------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    """True for int and Decimal, false for bool."""
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


def _fact(value: Any) -> Any:
    # Facts come from getters: floats, dates and tuples are turned into what the rule language speaks.
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_fact(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _fact(item) for key, item in value.items()}
    return value


def lookup(data: Any, name: str) -> Any:
    """A fact by exact flat key first, then by dotted path into nested mappings and lists."""
    if isinstance(data, Mapping) and name in data:
        return data[name]
    current = data
    for part in name.split("."):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list | tuple) and part.isdecimal() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
        if current is None:
            return None
    return current


def var_name(name: Any) -> str:
    """A ``var`` argument as a lookup key (JSON allows numbers for list indexes)."""
    if is_number(name) and name == int(name):
        return str(int(name))
    return str(name)


def _var(values: list, data: Any) -> Any:
    name = values[0] if values else None
    default = values[1] if len(values) > 1 else None
    if name is None or name == "":
        return _fact(data)
    value = lookup(data, var_name(name))
    return default if value is None else _fact(value)


def _missing(values: list, data: Any) -> list:
    names = values[0] if len(values) == 1 and isinstance(values[0], list) else values
    return [name for name in names if _var([name], data) in (None, "")]


def _missing_some(values: list, data: Any) -> list:
    needed, names = values
    if not is_number(needed) or not isinstance(names, list):
        raise RuleError("missing_some 的参数应为 [需要的个数, [变量名, ...]]")
    missing = _missing([names], data)
    return [] if len(names) - len(missing) >= needed else missing


# ---- comparison --------------------------------------------------------------------------------------


def kind(value: Any) -> str:
    """The rule-language type of a present value."""
    if isinstance(value, bool):
        return "boolean"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


KIND_NAMES = {
    "number": "数字",
    "string": "文本",
    "boolean": "真/假",
    "date": "日期",
    "list": "列表",
    "object": "对象",
    "null": "空值 null",
}


def _same(a: Any, b: Any) -> bool:
    if kind(a) != kind(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def equal(a: Any, b: Any) -> bool | None:
    """Equality without coercion between types; None when either side is unknown."""
    if a is None or b is None:
        return None
    return _same(a, b)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


def _order(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if kind(a) != kind(b) or kind(a) not in ("number", "string", "boolean"):
        raise RuleError(f"无法比较大小：{describe(a)} 与 {describe(b)}")
    return _ORDER[op](a, b)


def describe(value: Any) -> str:
    """A value with its type, for error messages."""
    return f"{KIND_NAMES[kind(value)]} {literal_text(value)}"


def literal_text(value: Any) -> str:
    """A value as it would be written in a rule (numbers without quotes or exponent)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return f"[{', '.join(literal_text(item) for item in value)}]"
    return json.dumps(value, ensure_ascii=False, default=str)


def _compare(op: str) -> Callable[[list, Any], bool | None]:
    def compare(values: list, data: Any) -> bool | None:
        return kleene_and(_order(op, a, b) for a, b in itertools.pairwise(values))

    return compare


def contains(needle: Any, haystack: Any) -> bool | None:
    """``in``: membership in a list (SQL ``IN``, so an unknown element makes a miss unknown) or substring."""
    if needle is None or haystack is None:
        return None
    if isinstance(haystack, list):
        if any(equal(needle, item) for item in haystack):
            return True
        return None if None in haystack else False
    if isinstance(haystack, str):
        if not isinstance(needle, str):
            raise RuleError(f"在文本中查找需要文本，实际是{describe(needle)}")
        return needle in haystack
    raise RuleError(f"in 的第二个参数必须是列表或文本，实际是{describe(haystack)}")


# ---- arithmetic --------------------------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    if is_number(value):
        return Decimal(value)
    if isinstance(value, str):  # JsonLogic casts numeric text: {"+": "3.14"}
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    raise RuleError(f"算术运算需要数字，实际是{describe(value)}")


def _arithmetic(compute: Callable[[list[Decimal]], Decimal | None]) -> Callable[[list, Any], Decimal | None]:
    def evaluate(values: list, data: Any) -> Decimal | None:
        numbers = [_number(value) for value in values]
        if None in numbers:
            return None
        try:
            with localcontext(ARITHMETIC_CONTEXT):
                return compute(numbers)
        except DecimalException:
            raise RuleError("数值超出可计算的范围") from None

    return evaluate


def _product(numbers: list[Decimal]) -> Decimal:
    result = Decimal(1)
    for number in numbers:
        result *= number
    return result


def divide(dividend: Decimal, divisor: Decimal) -> Decimal | None:
    """The quotient cut after ``DIVISION_PLACES`` decimals towards zero; None when dividing by zero."""
    if divisor == 0:
        return None
    with localcontext(ARITHMETIC_CONTEXT):
        return (dividend * _DIVISION_SCALE // divisor).scaleb(-DIVISION_PLACES)


def _divide(numbers: list[Decimal]) -> Decimal | None:
    return divide(*numbers)


def _modulo(numbers: list[Decimal]) -> Decimal | None:
    dividend, divisor = numbers
    return None if divisor == 0 else dividend % divisor


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list):
        return ",".join("" if item is None else _text(item) for item in value)
    return str(value)


def _cat(values: list, data: Any) -> str | None:
    return None if None in values else "".join(_text(value) for value in values)


_OPERATIONS: dict[str, Callable[[list, Any], Any]] = {
    "var": _var,
    "missing": _missing,
    "missing_some": _missing_some,
    "==": lambda values, data: equal(*values),
    "===": lambda values, data: equal(*values),
    "!=": lambda values, data: kleene_not(equal(*values)),
    "!==": lambda values, data: kleene_not(equal(*values)),
    **{op: _compare(op) for op in _ORDER},
    "!": lambda values, data: kleene_not(truth(values[0])),
    "!!": lambda values, data: truth(values[0]),
    "and": lambda values, data: kleene_and(map(truth, values)),
    "or": lambda values, data: kleene_or(map(truth, values)),
    "in": lambda values, data: contains(*values),
    "+": _arithmetic(lambda numbers: sum(numbers, Decimal(0))),
    "-": _arithmetic(lambda numbers: -numbers[0] if len(numbers) == 1 else numbers[0] - numbers[1]),
    "*": _arithmetic(_product),
    "/": _arithmetic(_divide),
    "%": _arithmetic(_modulo),
    "min": _arithmetic(min),
    "max": _arithmetic(max),
    "cat": _cat,
}


# ---- walking -----------------------------------------------------------------------------------------


def operations(rule: Rule) -> Iterator[tuple[str, list]]:
    """Every operation node in a rule, depth first, as (operator, arguments)."""
    if isinstance(rule, list):
        for item in rule:
            yield from operations(item)
        return
    parsed = operation(rule)
    if parsed is None:
        return
    yield parsed
    for arg in parsed[1]:
        yield from operations(arg)


def operators_used(rule: Rule) -> set[str]:
    """The operators a rule uses."""
    return {op for op, _ in operations(rule)}


def variables_used(rule: Rule) -> set[str]:
    """The variable names a rule reads (through ``var``, ``missing`` and ``missing_some``)."""
    names: set[Any] = set()
    for op, args in operations(rule):
        if op == "var" and args:
            names.add(args[0])
        elif op == "missing":
            names.update(args[0] if len(args) == 1 and isinstance(args[0], list) else args)
        elif op == "missing_some" and len(args) == 2 and isinstance(args[1], list):
            names.update(args[1])
    return {name for name in names if isinstance(name, str) and name}
