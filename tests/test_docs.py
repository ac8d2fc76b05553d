"""The documentation keeps up with the code: every command, every setting and every folder of code is in
docs/, and the README starts with the two commands and maps the project's folders."""
import re
from pathlib import Path

import typer.main

from config.settings import Settings
from dondoc.cli import app, load_all

ROOT = Path(__file__).resolve().parent.parent
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
DOCS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _command_paths() -> list[str]:
    load_all()

    def walk(command, path):
        subcommands = getattr(command, "commands", {})
        if not subcommands:
            yield path
        for name, sub in subcommands.items():
            yield from walk(sub, f"{path} {name}")
    return list(walk(typer.main.get_command(app), "dondoc"))


def test_every_command_is_documented_in_docs():
    paths = _command_paths()
    assert "dondoc task show" in paths and "dondoc status" in paths
    missing = [path for path in paths if f"`{path}" not in DOCS and f"\n{path}" not in DOCS]  # in a table or a code block
    assert missing == []


def test_every_setting_is_documented_in_docs():
    missing = [f"DONDOC_{name.upper()}" for name in Settings.model_fields if f"DONDOC_{name.upper()}" not in DOCS]
    assert missing == []


def test_the_readme_starts_with_make_run_and_make_test_and_points_to_every_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0].split()
    assert first_block[:2] == ["make", "run"] and "make" in first_block and "test" in first_block
    for guide in sorted((ROOT / "docs").glob("*.md")):
        assert f"docs/{guide.name}" in readme
    assert len(readme.splitlines()) < 120


def _folders(top: Path):
    """`top` and every folder under it, not the inside of a templates, static or fixtures folder (one
    page, email kind or sample per folder there) nor Python's caches."""
    yield top
    for path in sorted(top.rglob("*")):
        parts = path.relative_to(top).parts
        if path.is_dir() and "__pycache__" not in parts and not {"templates", "static", "fixtures"} & set(parts[:-1]):
            yield path


def test_every_module_folder_is_in_the_architecture_map():
    folders = [folder.relative_to(ROOT).as_posix()
               for top in ("config", "models", "notifications", "flows", "dondoc", "tests") for folder in _folders(ROOT / top)]
    assert "models/review" in folders and "dondoc/app" in folders and "tests/review" in folders
    missing = [folder for folder in folders if f"`{folder}/`" not in ARCHITECTURE]
    assert missing == []


def test_the_readme_maps_every_top_level_package_and_points_to_the_architecture_map():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    where = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    packages = [path.relative_to(ROOT).as_posix() for path in sorted(ROOT.glob("*/__init__.py"))
                + sorted(ROOT.glob("dondoc/*/__init__.py"))]
    folders = {package.rsplit("/", 1)[0] for package in packages} - {"dondoc"} | {"docs"}
    assert {"models", "dondoc/app", "dondoc/cli", "tests"} <= folders
    missing = sorted(folder for folder in folders if f"`{folder}/`" not in where)
    assert missing == []
    assert "docs/architecture.md" in where


def test_every_test_file_the_guides_name_is_there():
    named = set(re.findall(r"tests/[\w/]+\.py", DOCS + (ROOT / "README.md").read_text(encoding="utf-8")))
    assert "tests/test_docs.py" in named
    assert sorted(path for path in named if not (ROOT / path).is_file()) == []
