"""Explanations: a rule's outcome for one enterprise, with each leaf clause's value, threshold and verdict."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .logic import (
    COMPARISONS,
    Rule,
    apply,
    check_arity,
    child_path,
    choose,
    is_number,
    kind,
    kleene_and,
    kleene_not,
    kleene_or,
    operation,
    operators_used,
    truth,
    variables_used,
)
from .validation import Variable, Variables, catalogue

OUTCOMES: dict[bool | None, str] = {True: "eligible", False: "ineligible", None: "undetermined"}
STATUSES: dict[bool | None, str] = {True: "pass", False: "fail", None: "unknown"}
CONDITIONS = frozenset({"and", "or", "!", "!!", "if", "?:", "in", *COMPARISONS})

_SYMBOLS = {"==": "=", "===": "=", "!=": "≠", "!==": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤"}
_OPPOSITES = {"=": "≠", "≠": "=", ">": "≤", "≥": "<", "<": "≥", "≤": ">"}
_INFIX = {"+": "+", "-": "−", "*": "×", "/": "÷", "%": "mod"}
_FUNCTIONS = {"min": "最小值", "max": "最大值", "cat": "拼接"}


@dataclass(frozen=True)
class Clause:
    """One leaf condition of a rule, as it came out for one enterprise (条件明细)."""

    path: str
    op: str
    variable: str | None
    label: str
    value: Any
    threshold: Any
    unit: str
    status: str
    text: str
    negated: bool = False
    kind: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The clause as JSON-ready data, Decimals written as strings."""
        return {
            **dataclasses.asdict(self),
            "value": _jsonable(self.value),
            "threshold": _jsonable(self.threshold),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Clause":
        """The clause back from ``as_dict`` data."""
        fields = dict(data)
        if fields.get("kind") == "number":
            fields["value"] = _decimal(fields["value"])
            fields["threshold"] = _decimal(fields["threshold"])
        return cls(**fields)


@dataclass(frozen=True)
class Explanation:
    """A rule's outcome for one enterprise and the trace of its leaf clauses (判定说明)."""

    outcome: str
    trace: list[Clause]

    def as_dict(self) -> dict[str, Any]:
        """The explanation as JSON-ready data."""
        return {"outcome": self.outcome, "trace": [clause.as_dict() for clause in self.trace]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Explanation":
        """The explanation back from ``as_dict`` data."""
        return cls(outcome=data["outcome"], trace=[Clause.from_dict(clause) for clause in data["trace"]])


def explain(rule: Rule, data: Any, variables: Variables | None = None) -> Explanation:
    """The outcome of a rule for these facts, with a trace of every leaf clause (none skipped)."""
    tracer = _Tracer(data, catalogue(variables))
    result = tracer.condition(rule, "", negated=False)
    return Explanation(outcome=OUTCOMES[truth(result)], trace=tracer.trace)


def shortfall(rule: Rule, data: Any, variables: Variables | None = None) -> list[Clause]:
    """The leaf clauses that do not pass: failed or unknown."""
    return [clause for clause in explain(rule, data, variables).trace if clause.status != "pass"]


def almost_eligible(rule: Rule, data: Any, variables: Variables | None = None) -> list[Clause] | None:
    """The failed clauses each of which, passing alone, would make the rule true; None if there are none."""
    explanation = explain(rule, data, variables)
    if explanation.outcome == "eligible":
        return None
    flips = [
        clause
        for clause in explanation.trace
        if clause.status == "fail" and _passes_with(rule, data, {clause.path: not clause.negated})
    ]
    return flips or None


def _passes_with(rule: Rule, data: Any, overrides: dict[str, bool]) -> bool:
    return truth(_Tracer(data, {}, overrides).condition(rule, "", negated=False)) is True


class _Tracer:
    """Evaluates a rule exactly as ``apply`` does, recording each leaf clause on the way."""

    def __init__(
        self, data: Any, variables: Mapping[str, Variable], overrides: Mapping[str, bool] | None = None
    ) -> None:
        self.data = {} if data is None else data
        self.variables = variables
        # Leaf results forced by path, for asking "what if this clause passed?".
        self.overrides = overrides or {}
        self.trace: list[Clause] = []

    def condition(self, node: Rule, path: str, *, negated: bool) -> Any:
        """The node's value, as ``apply`` gives it; ``negated``: an odd number of ``!`` sit above the node."""
        parsed = operation(node)
        if parsed is None:
            return apply(node, self.data)
        op, args = parsed
        check_arity(op, len(args), path=path)
        if op in ("and", "or"):
            values = [
                truth(self.condition(arg, child_path(path, op, index), negated=negated))
                for index, arg in enumerate(args)
            ]
            return kleene_and(values) if op == "and" else kleene_or(values)
        if op == "!":
            return kleene_not(truth(self.condition(args[0], child_path(path, op, 0), negated=not negated)))
        if op == "!!" and _is_condition(args[0]):
            return truth(self.condition(args[0], child_path(path, op, 0), negated=negated))
        if op in ("if", "?:"):
            return self._if(op, args, path, negated=negated)
        if op in CONDITIONS or op == "var":
            return self._leaf(node, op, args, path, negated=negated)
        return apply(node, self.data)

    def _if(self, op: str, args: list, path: str, *, negated: bool) -> Any:
        # Every condition and every branch is traced; the result is the branch apply would pick.
        values = [
            self.condition(arg, child_path(path, op, index), negated=negated and _is_branch(index, args))
            for index, arg in enumerate(args)
        ]
        conditions = [truth(value) for value in values[0 : len(args) - 1 : 2]]
        branches = values[1::2] + (values[-1:] if len(args) % 2 else [])
        return choose(conditions, branches)

    def _leaf(self, node: Rule, op: str, args: list, path: str, *, negated: bool) -> Any:
        if path in self.overrides:
            return self.overrides[path]
        result = apply(node, self.data)
        status = STATUSES[kleene_not(truth(result)) if negated else truth(result)]
        if op in ("var", "!!"):
            clause = self._truthy_clause(node if op == "var" else args[0], op, path, status, negated=negated)
        else:
            clause = self._comparison_clause(node, op, args, path, status, negated=negated)
        self.trace.append(clause)
        return result

    def _truthy_clause(self, operand: Rule, op: str, path: str, status: str, *, negated: bool) -> Clause:
        value = apply(operand, self.data)
        variable, label, unit, declared = self._about(operand)
        body = f"{label} {_show(value, unit)}" + ("（要求为否）" if negated else "")
        return Clause(
            path=path,
            op=op,
            variable=variable,
            label=label,
            value=value,
            threshold=None,
            unit=unit,
            status=status,
            text=self._verdict(body, status, operand),
            negated=negated,
            kind=declared or _kind_of(value, None),
        )

    def _comparison_clause(
        self, node: Rule, op: str, args: list, path: str, status: str, *, negated: bool
    ) -> Clause:
        values = [apply(arg, self.data) for arg in args]
        subject = next((index for index, arg in enumerate(args) if _mentions_variable(arg)), 0)
        variable, label, unit, declared = self._about(args[subject])
        parts = []
        for arg, value in zip(args, values, strict=True):
            if _mentions_variable(arg):
                _, arg_label, arg_unit, _ = self._about(arg)
                parts.append(f"{arg_label} {_show(value, arg_unit)}")
            else:
                parts.append(_show(value, unit))
        others = [value for index, value in enumerate(values) if index != subject]
        threshold = others[0] if len(others) == 1 else others
        return Clause(
            path=path,
            op=op,
            variable=variable,
            label=label,
            value=values[subject],
            threshold=threshold,
            unit=unit,
            status=status,
            text=self._verdict(_sentence(op, parts, subject, negated=negated), status, node),
            negated=negated,
            kind=declared or _kind_of(values[subject], threshold),
        )

    def _about(self, operand: Rule) -> tuple[str | None, str, str, str]:
        """(variable, label, unit, declared type) of an operand; an expression is labelled by its formula."""
        parsed = operation(operand)
        if parsed is None or parsed[0] != "var":
            return None, self._formula(operand), "", ""
        args = parsed[1]
        name = args[0] if args else ""
        if not isinstance(name, str) or not name:
            return None, "数据", "", ""
        spec = self.variables.get(name)
        if spec is None:
            return name, name, "", ""
        return name, spec.label, spec.unit, spec.type

    def _formula(self, node: Rule, *, nested: bool = False) -> str:
        if isinstance(node, list):
            return f"[{', '.join(self._formula(item) for item in node)}]"
        parsed = operation(node)
        if parsed is None:
            return _show(apply(node))
        op, args = parsed
        if op == "var":
            return self._about(node)[1]
        parts = [self._formula(arg, nested=True) for arg in args]
        if op in _INFIX:
            text = f"−{parts[0]}" if op == "-" and len(parts) == 1 else f" {_INFIX[op]} ".join(parts)
            return f"({text})" if nested else text
        return f"{_FUNCTIONS.get(op, op)}({', '.join(parts)})"

    def _verdict(self, body: str, status: str, node: Rule) -> str:
        if status == "pass":
            return f"{body} ✓"
        if status == "fail":
            return f"{body} ✗"
        lacking = any(apply({"var": name}, self.data) is None for name in variables_used(node))
        return f"{body}（{'数据缺失' if lacking else '无法计算'}，无法判断）"


def _sentence(op: str, parts: list[str], subject: int, *, negated: bool) -> str:
    if op == "in":
        needle, haystack = parts
        if subject == 1:
            return f"{haystack} {'不包含' if negated else '包含'} {needle}"
        return f"{needle} {'∉' if negated else '∈'} {haystack}"
    symbol = _SYMBOLS[op]
    if negated and len(parts) == 2:
        return f" {_OPPOSITES[symbol]} ".join(parts)
    sentence = f" {symbol} ".join(parts)
    return f"不满足 {sentence}" if negated else sentence


def _show(value: Any, unit: str = "") -> str:
    """A value as the enterprise reads it: 350 万元, 是/否, [A, B], 未知."""
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    if is_number(value):
        text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
        return f"{text} {unit}" if unit else text
    if isinstance(value, list):
        return f"[{', '.join(_show(item) for item in value)}]"
    return str(value)


def _is_condition(node: Rule) -> bool:
    parsed = operation(node)
    return parsed is not None and parsed[0] in CONDITIONS


def _is_branch(index: int, args: list) -> bool:
    return index % 2 == 1 or index == len(args) - 1


def _mentions_variable(node: Rule) -> bool:
    return "var" in operators_used(node)


def _kind_of(value: Any, threshold: Any) -> str:
    for candidate in (value, *(threshold if isinstance(threshold, list) else [threshold])):
        if candidate is not None:
            return kind(candidate)
    return ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {key: _jsonable(item) for key, item in value.items()}
    return value


def _decimal(value: Any) -> Any:
    if isinstance(value, list):
        return [_decimal(item) for item in value]
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value
