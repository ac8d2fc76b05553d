"""Every package our code imports is declared in pyproject.toml, not borrowed from Prefect's set."""
import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = {"dondoc", "models", "flows", "notifications", "config", "bench", "tests"}


def _imported_top_level_names() -> dict[str, str]:
    found = {}
    for folder in ("dondoc", "models", "flows", "notifications", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normalized(re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0]) for spec in project["dependencies"]}
    distributions = packages_distributions()
    missing = []
    for name, where in sorted(_imported_top_level_names().items()):
        if name in OURS or name in sys.stdlib_module_names:
            continue
        dists = {_normalized(d) for d in distributions.get(name, [name])}
        if not dists & declared:
            missing.append(f"{name} (imported in {where}; distribution {', '.join(sorted(dists))})")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)
