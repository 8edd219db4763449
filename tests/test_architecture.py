"""The runtime never imports the development tools (pipelines/dev/) when it is imported: the
generator, the fault injector and the engine comparison stay out of a production run."""

import ast

from pipelines.contract import PROJECT_DIR

RUNTIME = sorted(
    [*(PROJECT_DIR / "pipelines").glob("*.py"), *(PROJECT_DIR / "dagster_project").rglob("*.py")],
)


def import_time_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, module) of every import that runs when the module is imported: at module level,
    and in class bodies or `if`/`try` blocks, but not inside a function (a lazy import)."""
    found = []

    def visit(nodes):
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if isinstance(node, ast.Import):
                found.extend((node.lineno, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                found.append((node.lineno, base))
                found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            for field in ("body", "orelse", "finalbody", "handlers"):
                visit(getattr(node, field, []) or [])

    visit(tree.body)
    return found


def test_the_check_sees_module_level_imports_and_skips_lazy_ones():
    source = (
        "import pipelines.dev.generate\nfrom pipelines import dev\ndef f():\n    from pipelines.dev import faults\n"
    )
    modules = [m for _, m in import_time_imports(ast.parse(source))]
    assert "pipelines.dev.generate" in modules and "pipelines.dev" in modules
    assert not any("faults" in m for m in modules)


def test_no_runtime_module_imports_the_development_tools():
    assert len(RUNTIME) > 20  # pipelines/*.py and dagster_project/**: the whole runtime was read
    offenders = [
        f"{path.relative_to(PROJECT_DIR)}:{line} imports {module}"
        for path in RUNTIME
        for line, module in import_time_imports(ast.parse(path.read_text()))
        if module == "pipelines.dev" or module.startswith("pipelines.dev.")
    ]
    assert offenders == []


RUNTIME_ALL = sorted(
    [
        *(PROJECT_DIR / "pipelines").glob("*.py"),
        *(PROJECT_DIR / "pipelines" / "reports").glob("*.py"),
        *(PROJECT_DIR / "dagster_project").rglob("*.py"),
    ]
)
MAX_FUNCTION_LINES = 60


def long_functions(tree: ast.Module) -> list[tuple[str, int]]:
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_the_length_check_counts_a_function_from_def_to_its_last_line():
    source = "def short():\n    return 1\n\ndef long():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    assert long_functions(ast.parse(source)) == [("long", MAX_FUNCTION_LINES + 1)]


def test_no_runtime_function_is_longer_than_a_screen():
    # the runtime reads as named steps; the development tools (pipelines/dev) are not held to it
    found = {
        f"{path.relative_to(PROJECT_DIR)}:{name} ({lines} lines)"
        for path in RUNTIME_ALL
        for name, lines in long_functions(ast.parse(path.read_text()))
    }
    assert found == set()
