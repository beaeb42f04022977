"""Areas depend in one direction: organisations → accounts → scheduling → bookings → records → reports, with
audit and notifications beneath them all and the shared core (config, database, errors, i18n, web...) beneath
those. A module may import its own area and the areas before it; routes may import anything."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "clinic"

CORE = {"config", "database", "errors", "extensions", "forms", "i18n", "pdf", "static_files", "web"}  # one layer, as one area
LAYERS = [
    {"core"},
    {"audit"},
    {"notifications"},  # requeueing an e-mail by hand records an audit event
    {"organisations"},
    {"accounts"},
    {"scheduling"},
    {"bookings"},
    {"records"},
    {"reports"},
    {"api"},  # the REST API reads and acts on every area through their own policies and services
    {"main", "backup", "doctor", "privacy"},  # operations on the whole application (privacy: a person's data in all areas)
]
# Modules that put the whole application together, so they import every area.
COMPOSITION = {"clinic/__init__.py", "clinic/models.py", "clinic/cli.py", "clinic/demo.py"}


def layer_of(area: str) -> int:
    return next(i for i, areas in enumerate(LAYERS) if area in areas)


def area_of(module: str) -> str | None:
    """'clinic.bookings.services' → 'bookings'; 'clinic.web' → 'web'; anything outside clinic → None."""
    parts = module.split(".")
    if parts[0] != "clinic" or len(parts) == 1:
        return None
    return "core" if parts[1] in CORE else parts[1]


def is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import that runs, skipping `if TYPE_CHECKING:` blocks (annotations only)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if is_type_checking_block(node):
            for child in node.orelse:  # type: ignore[attr-defined]
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def checked_modules() -> list[Path]:
    return sorted(
        path for path in PACKAGE.rglob("*.py")
        if path.name != "routes.py" and str(path.relative_to(PACKAGE.parent)) not in COMPOSITION
    )


def upward_imports(path: Path) -> list[str]:
    own = area_of(".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts))
    assert own is not None and any(own in layer for layer in LAYERS), f"{path}: no layer for area {own!r}"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    wrong = []
    for line, module in runtime_imports(tree):
        area = area_of(module)
        if area is not None and area != own and layer_of(area) >= layer_of(own):
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return wrong


@pytest.mark.parametrize("path", checked_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_only_its_own_area_and_those_before_it(path):
    assert upward_imports(path) == []


def test_the_check_finds_an_upward_import(tmp_path):
    """The rule above would pass vacuously if it never matched: a scheduling module that reads bookings fails it."""
    module = PACKAGE / "scheduling" / "queries.py"
    tree = ast.parse("from clinic.bookings.models import Booking\nif TYPE_CHECKING:\n    import clinic.reports\n")
    assert runtime_imports(tree) == [(1, "clinic.bookings.models")]
    assert layer_of(area_of("clinic.bookings.models")) > layer_of(area_of(".".join(
        module.relative_to(PACKAGE.parent).with_suffix("").parts)))
