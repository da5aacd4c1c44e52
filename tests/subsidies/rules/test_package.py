import ast
import sys
from pathlib import Path

import subsidies.rules

PACKAGE = Path(subsidies.rules.__file__).parent


def _absolute_imports(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module


def test_the_rules_package_imports_only_the_standard_library():
    imported = {
        name.partition(".")[0]
        for path in PACKAGE.glob("*.py")
        if path.name != "compiler.py"
        for name in _absolute_imports(path.read_text(encoding="utf-8"))
    }
    assert imported
    assert imported <= set(sys.stdlib_module_names)


def test_the_sql_compiler_imports_django_expressions_but_no_models():
    imported = set(_absolute_imports((PACKAGE / "compiler.py").read_text(encoding="utf-8")))
    outside = {name for name in imported if name.partition(".")[0] not in sys.stdlib_module_names}
    assert outside == {"django.db.models"}


def test_importing_the_rules_package_does_not_import_the_compiler():
    assert "compiler" not in subsidies.rules.__all__
    assert not hasattr(subsidies.rules, "compile_condition")


def test_the_public_names_are_exported():
    assert set(subsidies.rules.__all__) >= {
        "apply",
        "explain",
        "validate",
        "validate_amount",
        "RuleError",
        "VariableSpec",
        "Explanation",
        "Clause",
        "variables_used",
        "almost_eligible",
        "parse",
        "normalize",
    }
