"""Explanations: a rule's outcome for one enterprise, with each leaf clause's value, threshold and verdict."""

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
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
    """The failed clauses each of which, passing alone, would make the rule true; None if there are none.

    Only clauses on facts the enterprise can change count: a variable marked ``changeable=False`` in the
    catalogue (industry, park, age, the years qualifications were awarded) is never suggested.
    """
    entries = catalogue(variables)
    tracer = _Tracer(data, entries)
    if truth(tracer.condition(rule, "", negated=False)) is True:
        return None
    flips = [
        clause
        for clause in tracer.trace
        if clause.status == "fail"
        and all(getattr(entries.get(name), "changeable", True) for name in tracer.mentions[clause.path])
        and _passes_with(rule, data, {clause.path: not clause.negated})
    ]
    return flips or None


def folded(trace: list[Clause]) -> set[str]:
    """Paths of the clauses to fold away: in an ``or`` that passes, every branch but the first passing one.

    Read from the trace alone (its paths say where each clause sits), so a stored explanation folds too.
    An ``or`` under an odd number of ``!`` asks for every branch to fail, so it is never folded.
    """
    # A clause added outside the rule (失信名单, 同组从高) has a plain name for a path: it sits in no branch.
    leaves = {
        _segments(clause.path): clause.status for clause in trace if "[" in clause.path or not clause.path
    }
    hidden: set[str] = set()

    def status(node: tuple) -> bool | None:
        if node in leaves:
            return {"pass": True, "fail": False}.get(leaves[node])
        children = _children(node, leaves)
        if not children:
            return None
        op = children[0][-1][0]
        values = [status(child) for child in children]
        if op in ("!", "!!"):
            return values[0]
        negations = sum(1 for segment_op, _ in node if segment_op == "!")
        if op not in ("and", "or"):
            return None
        if (op == "or") == (negations % 2 == 0):
            shown = next((child for child, value in zip(children, values, strict=True) if value), None)
            if shown is not None and op == "or":
                for child in children:
                    if child != shown:
                        hidden.update(_path(leaf) for leaf in leaves if leaf[: len(child)] == child)
            return kleene_or(values)
        return kleene_and(values)

    status(())
    return hidden


def _segments(path: str) -> tuple[tuple[str, int], ...]:
    """``and[1].or[0]`` as ((and, 1), (or, 0))."""
    if not path:
        return ()
    return tuple((part[: part.rindex("[")], int(part[part.rindex("[") + 1 : -1])) for part in path.split("."))


def _path(segments: tuple[tuple[str, int], ...]) -> str:
    return ".".join(f"{op}[{index}]" for op, index in segments)


def _children(node: tuple, leaves: Mapping[tuple, str]) -> list[tuple]:
    below = {leaf[: len(node) + 1] for leaf in leaves if len(leaf) > len(node) and leaf[: len(node)] == node}
    return sorted(below, key=lambda child: child[-1][1])


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
        # The variables each leaf clause reads, by path.
        self.mentions: dict[str, set[str]] = {}

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
        self.mentions[path] = set(variables_used(node))
        return result

    def _truthy_clause(self, operand: Rule, op: str, path: str, status: str, *, negated: bool) -> Clause:
        value = apply(operand, self.data)
        variable, label, unit, declared = self._about(operand)
        spec = self._spec(operand)
        body = _truthy_sentence(_said(label, spec), value, spec, declared, status=status, wanted=not negated)
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
        spec = self._spec(args[subject]) or (_Unit(unit) if unit else None)
        shown = [
            self._operand(arg, value, spec) if index != subject else _show(value, spec)
            for index, (arg, value) in enumerate(zip(args, values, strict=True))
        ]
        others = [value for index, value in enumerate(values) if index != subject]
        threshold = others[0] if len(others) == 1 else others
        kind_ = declared or _kind_of(values[subject], threshold)
        body = _comparison_sentence(
            op, _said(label, spec), values, shown, subject, spec, kind_, status=status, negated=negated
        )
        return Clause(
            path=path,
            op=op,
            variable=variable,
            label=label,
            value=values[subject],
            threshold=threshold,
            unit=unit,
            status=status,
            text=self._verdict(body, status, node),
            negated=negated,
            kind=kind_,
        )

    def _operand(self, arg: Rule, value: Any, subject: Any) -> str:
        """A compared value other than the subject: a variable with its label, a literal as the subject's."""
        if _mentions_variable(arg):
            spec = self._spec(arg)
            return f"{_said(self._about(arg)[1], spec)} {_show(value, spec)}"
        return _show(value, subject)

    def _spec(self, operand: Rule) -> Variable | None:
        parsed = operation(operand)
        if parsed is None or parsed[0] != "var" or not parsed[1]:
            return None
        name = parsed[1][0]
        return self.variables.get(name) if isinstance(name, str) else None

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
        if status != "unknown":
            return body
        lacking = any(apply({"var": name}, self.data) is None for name in variables_used(node))
        return f"{body}（{'数据缺失' if lacking else '无法计算'}，无法判断）"


# How a requirement reads, by the kind of quantity: amounts, counts (人, 年) and years (认定年度).
_WORDS = {
    "amount": {">=": "不低于", ">": "高于", "<=": "不高于", "<": "低于", "==": "等于", "!=": "不等于"},
    "count": {">=": "不少于", ">": "多于", "<=": "不多于", "<": "少于", "==": "为", "!=": "不为"},
    "year": {">=": "不早于", ">": "晚于", "<=": "不晚于", "<": "早于", "==": "为", "!=": "不为"},
}
_COUNT_UNITS = frozenset({"人", "年", "个", "项", "家"})
_CANONICAL = {"==": "==", "===": "==", "!=": "!=", "!==": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}
_NOT = {"==": "!=", "!=": "==", ">": "<=", ">=": "<", "<": ">=", "<=": ">"}
_MIRROR = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


def _words(spec: Any) -> dict[str, str]:
    if _attr(spec, "shown_as") == "year" or _attr(spec, "type") == "date":
        return _WORDS["year"]
    if _attr(spec, "unit") in _COUNT_UNITS:
        return _WORDS["count"]
    return _WORDS["amount"]


def _attr(spec: Any, name: str, default: Any = "") -> Any:
    """An optional catalogue attribute (unit, shown_as, values) of an entry that may lack it."""
    return default if spec is None else getattr(spec, name, default)


def _said(label: str, spec: Any) -> str:
    """The label as a sentence says it to the beneficiary (您家购房人数), or the label itself."""
    return _attr(spec, "said") or label


def _subject(spec: Any) -> str:
    """Whom a yes/no or holding sentence is about: 贵企业 unless the catalogue names another (该套住房)."""
    return _attr(spec, "subject") or "贵企业"


def _truthy_sentence(label: str, value: Any, spec: Any, declared: str, *, status: str, wanted: bool) -> str:
    if declared == "boolean" or isinstance(value, bool):
        who = _subject(spec)
        if status == "unknown":
            return f"尚不清楚{who}是否为{label}"
        holds = f"{who}是{label}" if value else f"{who}不是{label}"
        if status == "pass":
            return holds
        return f"{holds}，本项要求{'是' if wanted else '不是'}{label}"
    if status == "unknown":
        return f"{label}未知"
    requirement = "" if status == "pass" else f"，本项要求{'有' if wanted else '没有'}{label}"
    return f"{label} {_show(value, spec)}{requirement}"


def _comparison_sentence(
    op: str,
    label: str,
    values: list[Any],
    shown: list[str],
    subject: int,
    spec: Any,
    kind_: str,
    *,
    status: str,
    negated: bool,
) -> str:
    if op == "in":
        return _membership_sentence(label, values, shown, subject, spec, status=status, negated=negated)
    op = _CANONICAL[op]
    if len(values) == 3:
        closed = "（含）" if op == "<=" else "（不含）"
        between = f"介于 {shown[0]}与 {shown[2]}之间{closed}"
        fact = f"{label} {shown[1]}" if status != "unknown" else f"{label}未知"
        wanted = "不" if negated else ""
        if status == "pass":
            return f"{fact}，{wanted}{between}"
        return f"{fact}，要求{wanted}{between}"
    if subject == 1:
        op = _MIRROR[op]
    threshold = shown[1 - subject]
    required = _NOT[op] if negated else op
    threshold_value = values[1 - subject]
    if kind_ == "boolean" or isinstance(threshold_value, bool):
        wanted = bool(threshold_value) == (required == "==")
        return _truthy_sentence(label, values[subject], spec, "boolean", status=status, wanted=wanted)
    known = values[subject] is not None
    ordered = kind_ in ("number", "date") or _attr(spec, "shown_as")
    if ordered and required not in ("==", "!="):
        word = _words(spec)[required] + _gap(threshold)
        fact = f"{label} {shown[subject]}" if known else f"{label}未知"
        if status == "pass":
            return f"{fact}，{word}{threshold}"
        return f"{fact}，要求{word}{threshold}"
    # Equality: 行业门类、纳税信用等级、认定年度.
    is_ = ("为" if required == "==" else "不是") + _gap(threshold)
    fact = f"{label}为 {shown[subject]}" if known else f"{label}未知"
    if status == "pass":
        return fact if required == "==" else f"{fact}，{is_}{threshold}"
    return f"{fact}，要求{is_}{threshold}"


def _gap(text: str) -> str:
    """A space before a figure, none before a word: 不低于 100 万元, 高于上年营业收入 500 万元."""
    return " " if text[:1].isascii() else ""


def _membership_sentence(
    label: str, values: list[Any], shown: list[str], subject: int, spec: Any, *, status: str, negated: bool
) -> str:
    needle, haystack = shown
    if subject == 1 and (_attr(spec, "type") == "list" or isinstance(values[1], list)):
        # The enterprise's list (所获资质) holds an item: "贵企业已获得高新技术企业资质".
        noun = "资质" if label.endswith("资质") else ""
        item = f"{needle}{noun}"
        who = _subject(spec)
        if status == "unknown":
            return f"尚不清楚{who}是否持有{item}"
        held = (status == "pass") != negated
        fact = f"{who}已获得{item}" if held else f"{who}尚未获得{item}"
        if status == "pass":
            return fact
        return f"{fact}，本项要求{'未持有' if negated else '持有'}"
    if subject == 1:
        # A text containing a word: 企业名称“某某科技”包含“科技”.
        if status == "unknown":
            return f"{label}未知，要求{'不' if negated else ''}包含“{needle}”"
        contains = (status == "pass") != negated
        fact = f"{label}“{haystack}”{'包含' if contains else '不包含'}“{needle}”"
        return fact if status == "pass" else f"{fact}，要求{'不' if negated else ''}包含"
    choices = haystack if isinstance(values[1], list) else f"“{haystack}”"
    if status == "unknown":
        fact = f"{label}未知" if values[0] is None else f"{label}为 {needle}"
        return f"{fact}，要求{'不' if negated else ''}属于 {choices}"
    inside = (status == "pass") != negated
    fact = f"{label}为 {needle}，{'属于' if inside else '不属于'} {choices}"
    if status == "pass":
        return fact
    return f"{fact}，要求{'不' if negated else ''}属于其中"


def _show(value: Any, spec: Any = None) -> str:
    """A value as a business owner reads it: 1,350.5 万元, 7.5%, 2023年3月1日, 是/否, 高新技术企业."""
    unit = _attr(spec, "unit")
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and _attr(spec, "type") == "date":
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if is_number(value):
        shown_as = _attr(spec, "shown_as")
        if shown_as == "percent":
            percent = Decimal(str(value)) * 100
            if percent.is_finite() and percent.as_tuple().exponent < -2:
                percent = percent.quantize(
                    Decimal("0.01"), context=Context(prec=max(percent.adjusted(), 0) + 4)
                )
            return f"{_digits(percent, grouped=False)}%"
        if shown_as == "year":
            return f"{value} 年"
        text = _digits(value, grouped=True)
        return f"{text} {unit}" if unit else text
    labels = dict(_attr(spec, "values", ()))
    if isinstance(value, list):
        return "、".join(_show_item(item, labels) for item in value) or "无"
    return _show_item(value, labels)


def _show_item(value: Any, labels: Mapping[str, str]) -> str:
    if isinstance(value, str):
        return str(labels.get(value, value))
    return _show(value)


def _digits(value: Any, *, grouped: bool) -> str:
    """A number with at most four decimals (a ratio's long tail cut), thousands separated if asked."""
    if isinstance(value, float):
        value = Decimal(str(value))
    if isinstance(value, Decimal):
        if value.is_finite() and value.as_tuple().exponent < -4:
            # Enough precision for every whole digit: a product of many digits must not overflow.
            value = value.quantize(Decimal("0.0001"), context=Context(prec=max(value.adjusted(), 0) + 6))
        value = value.normalize()
        return format(value, ",f" if grouped else "f")
    return format(value, "," if grouped else "")


@dataclass(frozen=True)
class _Unit:
    """A bare unit where no catalogue entry is at hand."""

    unit: str


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
