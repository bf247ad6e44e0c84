"""Dependencies point one way: the core app imports no other app of the project."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def project_apps() -> set[str]:
    """The project's own apps (those whose code lives in this repository)."""
    return {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_the_tickets_app_imports_no_other_app_of_the_project():
    others = project_apps() - {"tickets"}
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "tickets").rglob("*.py"))
        if "tests" not in path.parts
        for module in sorted(imported_modules(path))
        if module.split(".")[0] in others
    ]
    assert others, "the other apps were found"
    assert offenders == []
