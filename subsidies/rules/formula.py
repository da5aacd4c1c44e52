"""Rules written as formulas staff read and type, instead of raw JsonLogic; both ways, losslessly.

    is_above_scale 且 industry_section == "C" 且 (qualifications 包含 "srdi" 或 credit_rating 属于 ["A", "B"])
    最小((rd_expense - prev.rd_expense) * 1000, 2000000) + 如果(employees <= 300, 100000, 0)

Variables are the catalogue's names; 且 / 或 / 非 are and / or / not; ``x 包含 "v"`` is ``{"in": ["v", x]}``
(a list holds a value), ``x 属于 [..]`` is ``{"in": [x, [..]]}``; 如果(c, a, b, …), 最小(…), 最大(…) are
if / min / max; 是 / 否 are true / false. ``to_formula`` writes what ``from_formula`` reads back unchanged.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .logic import RuleError

# Lowest binding first. Comparisons do not chain.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _ATOM = range(7)
COMPARISONS = (">=", "<=", "==", "!=", ">", "<")
FUNCTIONS = {"如果": "if", "最小": "min", "最大": "max"}
_FUNCTION_NAMES = {op: name for name, op in FUNCTIONS.items()}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>>=|<=|==|!=|>|<|\+|-|\*|/|\(|\)|\[|\]|,|，|（|）)
      | (?P<word>且|或|非|包含|属于|是|否|如果|最小|最大)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    )""",
    re.VERBOSE,
)
_FULL_WIDTH = {"，": ",", "（": "(", "）": ")"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            bad = len(text) - len(text[position:].lstrip())
            raise RuleError(f"公式第 {bad + 1} 个字符“{text[bad]}”无法识别")
        kind = match.lastgroup
        value = match.group(kind)
        tokens.append((kind, _FULL_WIDTH.get(value, value)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise RuleError(f"公式不完整，缺少“{value}”" if value else "公式不完整")
        if value is not None and token[1] != value:
            raise RuleError(f"公式中“{token[1]}”处应为“{value}”")
        self.at += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == value and token[0] in ("op", "word"):
            self.at += 1
            return True
        return False

    def parse(self) -> Any:
        if not self.tokens:
            raise RuleError("公式为空")
        node = self.logical(_OR)
        if self.peek() is not None:
            raise RuleError(f"公式在“{self.peek()[1]}”处多出内容")
        return node

    def logical(self, level: int) -> Any:
        word, op = ("或", "or") if level == _OR else ("且", "and")
        below = (lambda: self.logical(_AND)) if level == _OR else self.negation
        items = [below()]
        while self.accept(word):
            items.append(below())
        return items[0] if len(items) == 1 else {op: items}

    def negation(self) -> Any:
        if self.accept("非"):
            return {"!": self.negation()}
        return self.comparison()

    def comparison(self) -> Any:
        left = self.sum()
        token = self.peek()
        if token is None:
            return left
        if token[0] == "op" and token[1] in COMPARISONS:
            self.at += 1
            return {token[1]: [left, self.sum()]}
        if token == ("word", "包含"):
            self.at += 1
            return {"in": [self.sum(), left]}
        if token == ("word", "属于"):
            self.at += 1
            return {"in": [left, self.sum()]}
        return left

    def sum(self) -> Any:
        node = self.product()
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in ("+", "-"):
            self.at += 1
            right = self.product()
            if token[1] == "+" and isinstance(node, dict) and list(node) == ["+"]:
                node["+"].append(right)
            else:
                node = {token[1]: [node, right]}
        return node

    def product(self) -> Any:
        node = self.atom()
        while (token := self.peek()) is not None and token[0] == "op" and token[1] in ("*", "/"):
            self.at += 1
            right = self.atom()
            if token[1] == "*" and isinstance(node, dict) and list(node) == ["*"]:
                node["*"].append(right)
            else:
                node = {token[1]: [node, right]}
        return node

    def arguments(self, close: str) -> list:
        items = []
        if not self.accept(close):
            items.append(self.logical(_OR))
            while self.accept(","):
                items.append(self.logical(_OR))
            self.take(close)
        return items

    def atom(self) -> Any:
        kind, value = self.take()
        if kind == "number":
            return _number(value)
        if kind == "string":
            return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if kind == "name":
            return {"var": value}
        if kind == "word" and value in ("是", "否"):
            return value == "是"
        if kind == "word" and value in FUNCTIONS:
            self.take("(")
            return {FUNCTIONS[value]: self.arguments(")")}
        if value == "(":
            node = self.logical(_OR)
            self.take(")")
            return node
        if value == "[":
            return self.arguments("]")
        if value == "-":
            token = self.take()
            if token[0] != "number":
                raise RuleError("负号后应为数字")
            return -_number(token[1])
        raise RuleError(f"公式中“{value}”用得不对")


def _number(text: str) -> int | Decimal:
    try:
        return int(text) if "." not in text else Decimal(text)
    except (InvalidOperation, ValueError):
        raise RuleError(f"“{text}”不是数字") from None


def from_formula(text: str) -> Any:
    """The JsonLogic rule a formula writes; RuleError (in Chinese, saying where) for one it cannot read."""
    return _Parser(text or "").parse()


def _is_var(node: Any) -> bool:
    return isinstance(node, dict) and list(node) == ["var"] and isinstance(node["var"], str)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return str(Decimal(str(value)))
    raise RuleError(f"公式无法表示值 {value!r}")


def _wrap(text: str, level: int, context: int) -> str:
    return f"({text})" if level < context else text


def _write(node: Any, context: int) -> str:
    if _is_var(node):
        return node["var"]
    if isinstance(node, list):
        return "[" + ", ".join(_write(item, _OR) for item in node) + "]"
    if not isinstance(node, dict):
        text = _literal(node)
        return f"({text})" if text.startswith("-") and context > _SUM else text
    if len(node) != 1:
        raise RuleError("公式无法表示这一规则节点")
    op, args = next(iter(node.items()))
    args = args if isinstance(args, list) else [args]
    if op in ("and", "or") and len(args) >= 2:
        level = _AND if op == "and" else _OR
        word = " 且 " if op == "and" else " 或 "
        # Mixed 且 / 或 always get brackets, so nobody needs to know which binds tighter.
        return _wrap(word.join(_write(a, _NOT) for a in args), level, context)
    if op == "!" and len(args) == 1:
        return _wrap("非 " + _write(args[0], _NOT), _NOT, context)
    if op in COMPARISONS and len(args) == 2:
        text = f"{_write(args[0], _SUM)} {op} {_write(args[1], _SUM)}"
        return _wrap(text, _COMPARE, context)
    if op == "in" and len(args) == 2:
        needle, haystack = args
        if isinstance(haystack, list):
            text = f"{_write(needle, _SUM)} 属于 {_write(haystack, _SUM)}"
        else:
            text = f"{_write(haystack, _SUM)} 包含 {_write(needle, _SUM)}"
        return _wrap(text, _COMPARE, context)
    if op in ("+", "*") and len(args) >= 2:
        level = _SUM if op == "+" else _PRODUCT
        # Operands bind tighter, so a nested sum (or product) keeps its brackets and is not flattened.
        text = f" {op} ".join(_write(a, level + 1) for a in args)
        return _wrap(text, level, context)
    if op in ("-", "/") and len(args) == 2:
        level = _SUM if op == "-" else _PRODUCT
        text = f"{_write(args[0], level)} {op} {_write(args[1], level + 1)}"
        return _wrap(text, level, context)
    if op in _FUNCTION_NAMES:
        return f"{_FUNCTION_NAMES[op]}(" + ", ".join(_write(a, _OR) for a in args) + ")"
    raise RuleError(f"公式无法表示运算“{op}”")


def _exact(rule: Any) -> Any:
    """The rule with its fractions as Decimals: stored rules hold floats, formulas read Decimals."""
    if isinstance(rule, float):
        return Decimal(repr(rule))
    if isinstance(rule, dict):
        return {key: _exact(value) for key, value in rule.items()}
    if isinstance(rule, list):
        return [_exact(item) for item in rule]
    return rule


def to_formula(rule: Any) -> str:
    """The formula of a JsonLogic rule; RuleError for a rule the formula language cannot write."""
    text = _write(rule, _OR)
    if _exact(from_formula(text)) != _exact(rule):
        raise RuleError("公式无法原样表示这一规则")
    return text
