"""Rules for the test suite itself: every test says, in one line, the behaviour it pins."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def collected_tests(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The functions pytest collects from ``path``: ``test*`` at module level or in a class."""
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8"), filename=str(path)).body:
        members = node.body if isinstance(node, ast.ClassDef) else [node]
        found += [member for member in members
                  if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                  and member.name.startswith("test")]
    return found


def test_every_test_function_has_a_docstring():
    """Every test in tests/**/test_*.py has a docstring; the failure names each one without."""
    modules = sorted(TESTS.rglob("test_*.py"))
    functions = {(path, f.name): f for path in modules for f in collected_tests(path)}
    assert (Path(__file__).resolve(), "test_every_test_function_has_a_docstring") in functions
    missing = [f"{path.relative_to(TESTS.parent)}:{f.lineno} {name}"
               for (path, name), f in functions.items() if not ast.get_docstring(f)]
    assert missing == [], (f"{len(missing)} test(s) without a one-line docstring saying the "
                           "behaviour they pin:\n" + "\n".join(missing))


def test_no_test_starts_an_event_loop_in_the_main_thread():
    """Tests run coroutines through ``process_kit.run_coroutine``, never ``asyncio.run``: in a
    worker that has run a browser test, Playwright's loop holds the main thread and
    ``asyncio.run`` fails there (it broke two clean-clone CI runs)."""
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "run" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "asyncio"):
                offenders.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    assert offenders == []
