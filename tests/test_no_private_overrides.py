"""No class of ours leans on another library's private parts: it neither subclasses a private class
(one whose name, or the name of a module it is imported from, starts with an underscore) nor
redefines an underscore-prefixed method or attribute it inherits from the standard library or a
third-party package. Such a part can change in any release without notice, and an override of it
then breaks silently (issue 27: `build_mime` once redefined `emails`' `_build_text_part`,
`Compat32._fold` and `BytesGenerator._write_lines`).

Read from the source with `ast`: every .py file of the repository (the code, the tests, the
benchmarks), each class's bases followed through the classes of ours they name."""
import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", ".git", "node_modules", "__pycache__", "build", "dist"}


def python_files() -> list[Path]:
    return sorted(path for path in ROOT.rglob("*.py")
                  if not SKIPPED.intersection(path.relative_to(ROOT).parts) and not path.name.startswith("."))


OURS = {path.relative_to(ROOT).parts[0].removesuffix(".py") for path in python_files()}


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_ours(qualified: str) -> bool:
    return qualified.split(".")[0] in OURS


def is_private(name: str) -> bool:
    """_name and __name, not __dunder__ (the language's) nor _sunder_ (Enum's public hooks)."""
    return name.startswith("_") and not (name.endswith("__") or (name.endswith("_") and not name.startswith("__")))


@dataclass
class ClassInfo:
    module: str
    name: str
    line: int
    bases: list[str]  # qualified names ("email.policy.Compat32", "notifications.outbox._Email")
    defines: set[str]


def imported_names(tree: ast.Module, package: str) -> dict[str, str]:
    """The module's names bound by imports, as qualified names (`package`: the one a relative import
    starts from)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:  # relative: from this module's package, or the one `level - 1` above it
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([source] if source else []))
            for alias in node.names:
                names[alias.asname or alias.name] = f"{source}.{alias.name}"
    return names


def dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):  # Generic[T], Protocol[T]
        return dotted(node.value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def defined_in(body: list[ast.stmt]) -> set[str]:
    names = set()
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


def read_code() -> dict[str, ClassInfo]:
    """Every class of ours, by qualified name."""
    classes = {}
    for path in python_files():
        module = module_of(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports = imported_names(tree, module if path.name == "__init__.py" else module.rpartition(".")[0])
        local = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = []
            for base in node.bases:
                name = dotted(base)
                if name is None:
                    continue
                head, _, rest = name.partition(".")
                if head in imports:
                    bases.append(imports[head] + (f".{rest}" if rest else ""))
                elif head in local:
                    bases.append(f"{module}.{name}")
            classes[f"{module}.{node.name}"] = ClassInfo(module, node.name, node.lineno, bases, defined_in(node.body))
    return classes


def load(qualified: str):
    """A class of another package from its qualified name (the module part is the longest importable one)."""
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ImportError(qualified)


def foreign_ancestors(qualified: str, classes: dict[str, ClassInfo], seen: set[str] | None = None) -> list[str]:
    """The other packages' classes a class of ours derives from, through our own classes in between."""
    seen = set() if seen is None else seen
    found = []
    for base in classes[qualified].bases:
        if base in seen:
            continue
        seen.add(base)
        if base in classes:
            found += foreign_ancestors(base, classes, seen)
        elif not is_ours(base):
            found.append(base)
    return found


def problems() -> list[str]:
    classes, found = read_code(), []
    for qualified, info in classes.items():
        where = f"{info.module.replace('.', '/')}.py:{info.line} class {info.name}"
        for base in info.bases:
            if not is_ours(base) and any(is_private(part) for part in base.split(".")):
                found.append(f"{where} subclasses the private {base}")
        for ancestor in foreign_ancestors(qualified, classes):
            cls = load(ancestor)
            found += [f"{where} redefines {ancestor}'s private {name}"
                      for name in sorted(info.defines) if is_private(name) and hasattr(cls, name)]
    return found


def test_no_class_of_ours_subclasses_a_private_class_or_redefines_another_packages_private_names():
    assert problems() == []


def test_the_scan_finds_the_overrides_it_is_meant_to_catch(tmp_path, monkeypatch):
    """The scan itself, on code written as build_mime once was: each of its overrides is found, and
    neither a private helper of our own nor a public method redefined is taken for one."""
    (tmp_path / "mail.py").write_text(
        "import emails\n"
        "from email.generator import BytesGenerator\n"
        "from email._policybase import Compat32\n"
        "class Email(emails.Message):\n"
        "    def _build_text_part(self): ...\n"
        "    def set_header(self, msg, key, value, encode=True): ...\n"
        "class Whole(BytesGenerator):\n"
        "    def _write_lines(self, lines): ...\n"
        "    def _helper_of_ours(self): ...\n"
        "class Headers(Compat32):\n"
        "    def _fold(self, name, value, sanitize): ...\n"
        "class MoreHeaders(Headers):\n"
        "    def fold(self, name, value): ...\n"
        "    def _fold(self, name, value, sanitize): ...\n"
        "    def _write_lines(self, lines): ...\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    monkeypatch.setitem(globals(), "OURS", {"mail"})
    assert problems() == [
        "mail.py:4 class Email redefines emails.Message's private _build_text_part",
        "mail.py:7 class Whole redefines email.generator.BytesGenerator's private _write_lines",
        "mail.py:10 class Headers subclasses the private email._policybase.Compat32",
        "mail.py:10 class Headers redefines email._policybase.Compat32's private _fold",
        "mail.py:12 class MoreHeaders redefines email._policybase.Compat32's private _fold",
    ]
