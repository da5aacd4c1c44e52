"""Static checks run before a rule is saved: operators, arity, variables and the types that can be seen."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from .logic import (
    ARITHMETIC,
    COMPARISONS,
    KIND_NAMES,
    Rule,
    RuleError,
    check_arity,
    check_literal,
    child_path,
    is_number,
    literal_text,
    operation,
)

TYPES = frozenset({"number", "string", "boolean", "date", "list"})
ORDERING = frozenset({">", ">=", "<", "<="})
MISSING = frozenset({"missing", "missing_some"})
NOT_CONDITIONS = frozenset({"number", "string", "date", "list", "object", "null"})

# What the remaining operators take and give; None = anything.
_ARGUMENT_TYPES: dict[str, str | None] = {
    **dict.fromkeys(ARITHMETIC, "number"),
    **dict.fromkeys(("!", "and", "or"), "boolean"),
    "!!": None,
    "cat": None,
}
_RESULT_TYPES = {
    **dict.fromkeys(ARITHMETIC, "number"),
    **dict.fromkeys(("!", "!!", "and", "or"), "boolean"),
    "cat": "string",
}

# Which types can be compared with each other: a date is written as ISO text ("2023-01-01").
_FAMILY = {
    "number": "number",
    "string": "text",
    "date": "text",
    "boolean": "boolean",
    "list": "list",
    "object": "object",
}


class Variable(Protocol):
    """What validation and explanation read from a catalogue entry."""

    name: str
    label: str
    type: str
    unit: str


@dataclass(frozen=True)
class VariableSpec:
    """A catalogue entry (变量): name, Chinese label, type and unit, and how explanations read it.

    ``shown_as``: "percent" (a ratio as 7.5%) or "year" (2022 年, no thousands separator); ``values``:
    (code, label) pairs shown for codes; ``changeable``: whether an enterprise can change the fact by its
    own effort (revenue, qualifications held), which 差一点符合 suggests only for. Explanations speak to
    the beneficiary: ``subject`` is whom a yes/no or holding sentence is about (贵企业是规上企业,
    该套住房是新建商品房), ``said`` the label as a sentence says it when it differs (您家购房人数).
    """

    name: str
    label: str
    type: str
    unit: str = ""
    shown_as: str = ""
    values: tuple[tuple[str, str], ...] = ()
    changeable: bool = True
    subject: str = "贵企业"
    said: str = ""


Variables = Mapping[str, Variable] | Iterable[Variable]


def catalogue(variables: Variables | None) -> Mapping[str, Variable]:
    """Variables by name, from a mapping or from an iterable of entries."""
    if variables is None:
        return {}
    if isinstance(variables, Mapping):
        return variables
    return {variable.name: variable for variable in variables}


def validate(rule: Rule, variables: Variables) -> None:
    """Raise RuleError unless the rule is a well-formed eligibility rule that yields true/false."""
    _Checker(catalogue(variables)).check(rule, "", expect="boolean")


def validate_amount(rule: Rule, variables: Variables) -> None:
    """Raise RuleError unless the rule is a well-formed amount rule that yields a number."""
    _Checker(catalogue(variables)).check(rule, "", expect="number")


def _literal_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if is_number(value) or isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


class _Checker:
    def __init__(self, variables: Mapping[str, Variable]) -> None:
        self.variables = variables

    def check(self, node: Rule, path: str, *, expect: str | None) -> str | None:
        """The node's static type (None when it cannot be known), after checking the node and below."""
        found = self._type(node, path, expect)
        self._expect(node, found, expect, path)
        return found

    def _type(self, node: Rule, path: str, expect: str | None) -> str | None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                self.check(item, f"{path}[{index}]", expect=None)
            return "list"
        try:
            parsed = operation(node)
        except RuleError as error:
            raise RuleError(error.reason, path=path) from None
        if parsed is None:
            found = _literal_type(node)
            if found == "number":
                check_literal(Decimal(str(node)) if isinstance(node, float) else Decimal(node), path=path)
            return found
        op, args = parsed
        check_arity(op, len(args), path=path)
        if op == "var":
            return self._var(args, path)
        if op in MISSING:
            return self._missing(op, args, path)
        if op in COMPARISONS:
            return self._comparison(op, args, path)
        if op == "in":
            return self._in(args, path)
        if op in ("if", "?:"):
            return self._if(op, args, path, expect)
        for index, arg in enumerate(args):
            self.check(arg, child_path(path, op, index), expect=_ARGUMENT_TYPES[op])
        return _RESULT_TYPES[op]

    def _expect(self, node: Rule, found: str | None, expect: str | None, path: str) -> None:
        if found is None or expect is None:
            return
        if expect == "boolean" and found in NOT_CONDITIONS and not self._is_missing(node):
            where = "此处需要真/假条件" if path else "资格规则必须得出真/假"
        elif expect == "number" and found != "number":
            where = "此处需要数字" if path else "金额规则必须得出数字"
        else:
            return
        raise RuleError(f"{where}，{self._describe(node)}是{KIND_NAMES[found]}", path=path)

    def _var(self, args: list, path: str) -> str | None:
        name = args[0] if args else None
        if not isinstance(name, str):
            raise RuleError("变量名必须是文本", path=path)
        if not name:
            raise RuleError("规则不能引用整份数据，请写出变量名", path=path)
        variable = self._variable(name, path)
        declared = variable.type if variable.type in TYPES else None
        if len(args) == 2:
            default = self.check(args[1], child_path(path, "var", 1), expect=None)
            if declared and default not in (None, "null") and _FAMILY[declared] != _FAMILY[default]:
                raise RuleError(
                    f"变量 {name}（{variable.label}）是{KIND_NAMES[declared]}，"
                    f"默认值 {self._describe(args[1])}却是{KIND_NAMES[default]}",
                    path=path,
                )
        return declared

    def _variable(self, name: str, path: str) -> Variable:
        if name not in self.variables:
            raise RuleError(f"未知变量：{name}", path=path)
        return self.variables[name]

    def _missing(self, op: str, args: list, path: str) -> str:
        if op == "missing_some":
            if not is_number(args[0]) or args[0] < 0:
                raise RuleError("missing_some 的第一个参数应为需要的个数", path=child_path(path, op, 0))
            if not isinstance(args[1], list):
                raise RuleError("missing_some 的第二个参数应为变量名列表", path=child_path(path, op, 1))
            names = args[1]
            wheres = [f"{child_path(path, op, 1)}[{index}]" for index in range(len(names))]
        elif len(args) == 1 and isinstance(args[0], list):
            names = args[0]
            wheres = [f"{child_path(path, op, 0)}[{index}]" for index in range(len(names))]
        else:
            names = args
            wheres = [child_path(path, op, index) for index in range(len(names))]
        for name, where in zip(names, wheres, strict=True):
            if not isinstance(name, str):
                raise RuleError(f"{op} 的参数必须是变量名，实际是 {literal_text(name)}", path=where)
            self._variable(name, where)
        return "list"

    def _comparison(self, op: str, args: list, path: str) -> str:
        paths = [child_path(path, op, index) for index in range(len(args))]
        types = [self.check(arg, where, expect=None) for arg, where in zip(args, paths, strict=True)]
        for index in range(len(args) - 1):
            self._comparable(op, args[index : index + 2], types[index : index + 2], paths[index : index + 2])
        return "boolean"

    def _comparable(self, op: str, nodes: list, types: list[str | None], paths: list[str]) -> None:
        # Report at the literal when there is one: that is usually the mistake.
        where = paths[0] if operation(nodes[1]) and not operation(nodes[0]) else paths[1]
        if "null" in types:
            raise RuleError(
                "与 null 比较的结果总是未知；要判断数据是否缺失，请用 missing",
                path=paths[types.index("null")],
            )
        left, right = types
        if left is None or right is None:
            return
        if _FAMILY[left] != _FAMILY[right]:
            raise RuleError(
                f"类型不匹配：{self._describe(nodes[0])}是{KIND_NAMES[left]}，"
                f"{self._describe(nodes[1])}是{KIND_NAMES[right]}，无法比较",
                path=where,
            )
        if op in ORDERING and _FAMILY[left] not in ("number", "text"):
            raise RuleError(f"{KIND_NAMES[left]}不能比较大小", path=where)
        for node, node_type, other_type, node_path in zip(nodes, types, reversed(types), paths, strict=True):
            if node_type == "string" and other_type == "date" and isinstance(node, str):
                _check_date(node, node_path)

    def _in(self, args: list, path: str) -> str:
        needle, haystack = args
        needle_type = self.check(needle, child_path(path, "in", 0), expect=None)
        haystack_path = child_path(path, "in", 1)
        if isinstance(haystack, list):
            for index, item in enumerate(haystack):
                item_path = f"{haystack_path}[{index}]"
                item_type = self.check(item, item_path, expect=None)
                self._comparable(
                    "==", [needle, item], [needle_type, item_type], [child_path(path, "in", 0), item_path]
                )
            return "boolean"
        haystack_type = self.check(haystack, haystack_path, expect=None)
        if "null" in (needle_type, haystack_type):
            raise RuleError("in 的参数不能是 null：结果总是未知", path=path)
        if haystack_type in ("list", "string", "date"):
            if needle_type not in (None, "string", "date"):
                raise RuleError(
                    f"{self._describe(haystack)}是{KIND_NAMES[haystack_type]}，只能在其中查找文本，"
                    f"{self._describe(needle)}却是{KIND_NAMES[needle_type]}",
                    path=path,
                )
        elif haystack_type is not None:
            raise RuleError(
                f"in 的第二个参数必须是列表或文本，{self._describe(haystack)}是{KIND_NAMES[haystack_type]}",
                path=haystack_path,
            )
        return "boolean"

    def _if(self, op: str, args: list, path: str, expect: str | None) -> str | None:
        branch_types = set()
        for index, arg in enumerate(args):
            is_condition = index % 2 == 0 and index < len(args) - 1
            found = self.check(arg, child_path(path, op, index), expect="boolean" if is_condition else expect)
            if not is_condition:
                branch_types.add(found)
        if len(args) % 2 == 0:
            # No else: when no condition holds the value is false, which an amount cannot be.
            if expect == "number":
                raise RuleError(
                    f"{op} 没有 else 分支，条件都不成立时得出 false 而不是金额："
                    "请在最后写出 else 分支（例如 0）",
                    path=path,
                )
            branch_types.add("boolean")
        return branch_types.pop() if len(branch_types) == 1 else None

    def _is_missing(self, node: Rule) -> bool:
        parsed = operation(node)
        return parsed is not None and parsed[0] in MISSING

    def _describe(self, node: Rule) -> str:
        """The node as a message names it, spaced before the Chinese that follows."""
        parsed = operation(node)
        if parsed is None:
            return literal_text(Decimal(str(node)) if isinstance(node, float) else node) + " "
        op, args = parsed
        if op == "var" and args and isinstance(args[0], str) and args[0] in self.variables:
            return f"变量 {args[0]}（{self.variables[args[0]].label}）"
        return f"{op} 运算的结果"


def _check_date(text: str, path: str) -> None:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise RuleError(f"日期应写作 YYYY-MM-DD，实际是 {text!r}", path=path) from None
