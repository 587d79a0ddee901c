"""Finding playbooks: the ones shipped with closeloop (``<name>.yaml`` beside this module),
or a file of the user's own. Reading is all this module does; :mod:`.parsing` checks."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from closeloop.errors import InvalidInput, NotFound
from closeloop.playbooks.parsing import InvalidPlaybook, Playbook, PlaybookProblem, parse

PACKAGE = "closeloop.playbooks"
# far above any real playbook; a bigger file is a mistake, not a journey
MAX_BYTES = 1_000_000


def shipped_names() -> list[str]:
    """The names of the shipped playbooks, sorted."""
    files = resources.files(PACKAGE).iterdir()
    return sorted(item.name.removesuffix(".yaml") for item in files if item.name.endswith(".yaml"))


def shipped() -> list[Playbook]:
    return [load_shipped(name) for name in shipped_names()]


def load_shipped(name: str) -> Playbook:
    if name not in shipped_names():
        raise NotFound(f"no shipped playbook named {name!r}", field="name")
    text = resources.files(PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse(text, source=f"{name}.yaml")


def load_file(path: Path) -> Playbook:
    """A playbook file; problems name it as given, so the editor's path works."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise InvalidInput(f"cannot read {path}: {error.strerror or error}", field="file") from None
    if len(data) > MAX_BYTES:
        message = f"larger than {MAX_BYTES:,} bytes; is this a playbook?"
        raise InvalidPlaybook([PlaybookProblem(str(path), 1, "(file)", message)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidPlaybook(
            [PlaybookProblem(str(path), line, "(file)", "not UTF-8 text")]
        ) from None
    return parse(text, source=str(path))


def resolve(name_or_file: str) -> Playbook:
    """A shipped playbook by name, else the file at that path."""
    if name_or_file in shipped_names():
        return load_shipped(name_or_file)
    path = Path(name_or_file)
    if not path.exists():
        names = ", ".join(shipped_names())
        raise NotFound(
            f"{name_or_file!r} is neither a shipped playbook ({names}) nor a file", field="name"
        )
    return load_file(path)
