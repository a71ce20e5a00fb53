"""The architecture page's module table lists exactly the modules of ``src/skmnist``.

Each module (``name.py``) and subpackage (``name/__init__.py``) of the source tree has one row,
named as the page names it (``_base``, ``serve._decode``, ``plotting``, ``__init__``), and
every row names a module that exists: adding, renaming or removing a module without its row
fails here.
"""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "skmnist"
PAGE = REPO / "docs" / "user_guide" / "architecture.md"


def source_modules():
    """The dotted names of the modules of src/skmnist, relative to the package."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if len(parts) > 1 and parts[-1] == "__init__":
            parts = parts[:-1]  # a subpackage is named by its folder
        names.add(".".join(parts))
    return names


def table_modules():
    """The module of each row of the page's table under "## The modules", in order."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("\n## The modules\n", 1)[1].split("\n## ", 1)[0]
    header = "| module | its one job | imports (skmnist modules) |"
    assert header in section, "the module table's header changed"
    rows = section.split(header, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    names = []
    for row in rows:
        match = re.match(r"\| `([\w.]+)` \|", row)
        assert match, f"a row of the module table does not start with a `module` cell: {row}"
        names.append(match.group(1))
    return names


def test_source_modules_are_found():
    modules = source_modules()
    assert {"__init__", "__main__", "_base", "cli", "plotting", "serve", "serve.app"} <= modules
    assert not any(name.endswith("__init__") and name != "__init__" for name in modules)


def test_every_module_has_one_row_and_every_row_a_module():
    rows = table_modules()
    duplicates = sorted({name for name in rows if rows.count(name) > 1})
    assert not duplicates, f"modules with more than one row: {duplicates}"
    modules = source_modules()
    missing = sorted(modules - set(rows))
    assert not missing, f"modules of src/skmnist without a row in {PAGE.name}: {missing}"
    stale = sorted(set(rows) - modules)
    assert not stale, f"rows of {PAGE.name} naming no module of src/skmnist: {stale}"
