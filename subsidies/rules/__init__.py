"""免申即享 rules: JsonLogic in three-valued logic, with validation and explanations. Imports no Django."""

from .explain import Clause, Explanation, almost_eligible, explain, folded, shortfall
from .logic import RuleError, apply, compile_rule, loads, normalize, operators_used, parse, variables_used
from .validation import VariableSpec, validate, validate_amount

__all__ = [
    "Clause",
    "Explanation",
    "RuleError",
    "VariableSpec",
    "almost_eligible",
    "apply",
    "compile_rule",
    "explain",
    "folded",
    "loads",
    "normalize",
    "operators_used",
    "parse",
    "shortfall",
    "validate",
    "validate_amount",
    "variables_used",
]
