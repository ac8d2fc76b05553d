"""The documentation keeps up with the code: every command and every setting is in docs/, and the
README starts with the two commands."""
from pathlib import Path

import typer.main

from config.settings import Settings
from dondoc.cli import app, load_all

ROOT = Path(__file__).resolve().parent.parent
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
