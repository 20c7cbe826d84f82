"""The fenced blocks of roc's Markdown docs and the `<!-- doc-test: ... -->` markers that say how
each is tested (the rules are in docs/testing.md, "Docs as tests"). Used by test_docs.py and by
tests/package/own_project_test.py, so both read the docs the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[2]

# The documents whose commands, Python and JSON examples must hold (paths relative to the repository).
DOCUMENTS = ("README.md", "docs/*.md", "idl/PROTOCOL.md", "idl/README.md", "python/README.md", "python/docs/*.md")

COMMAND_LANGUAGES = {"sh", "bash", "console", "shell"}
PYTHON_LANGUAGES = {"python"}
JSON_LANGUAGES = {"json"}

# Marker directives: name → whether it takes a value.
DIRECTIVES = {
    "skip": True,        # skip: <why it cannot run in a test>
    "exit": True,        # exit: <status the block's script ends with>
    "follow": True,      # follow: <seconds> — a command or Python script that runs until Ctrl-C
    "meanwhile": True,   # meanwhile: <command run once the follow command is listening>
    "serve": True,       # serve: <id> — a Python server, kept running for the page's later blocks
    "broker": True,      # broker: <address> the block names, standing for the test's broker
    "object": True,      # object: <id> a JSON request goes to (default: vnir)
    "parse-only": True,  # parse-only: <why the request cannot be sent to the sample server>
    "file": True,        # file: <name> — a file of the project docs/your-own-project.md builds
    "project": False,    # a command of that project: tests/package/own_project_test.py runs it
}

# Directives whose value is a reason for the reader: the rest of the marker, ';' and all.
REASONS = {"skip", "parse-only"}

# The page whose `file` and `project` blocks tests/package/own_project_test.py builds and runs.
OWN_PROJECT_PAGE = REPO / "docs/your-own-project.md"

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)[ \t]*(?P<info>[^`]*?)[ \t]*$")
_MARKER = re.compile(r"^\s*<!--\s*doc-test:(?P<body>.*?)-->\s*$")


class DocError(Exception):
    """A block or marker that breaks the rules; the message names the file and line."""


@dataclass
class Block:
    path: Path
    line: int                 # 1-based line of the opening fence
    language: str
    text: str                 # the block's content, indentation removed
    directives: Dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    @property
    def kind(self) -> str:
        """'command', 'python', 'json', 'transcript-without-language' or 'other'."""
        if self.language in COMMAND_LANGUAGES:
            return "command"
        if self.language in PYTHON_LANGUAGES:
            return "python"
        if self.language in JSON_LANGUAGES:
            return "json"
        if not self.language and any(line.startswith("$ ") for line in self.text.splitlines()):
            return "transcript-without-language"
        return "other"


def parse_marker(body: str, where: str) -> Dict[str, str]:
    directives: Dict[str, str] = {}
    parts = body.split(";")
    while parts:
        part = parts.pop(0).strip()
        if part.split(":")[0].strip() in REASONS:  # a reason may hold ';': it runs to the end
            part = ";".join([part] + parts)
            parts = []
        if not part:
            continue
        name, _, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if " " in name and not value:  # "follow 3" reads as "follow: 3"
            name, _, value = name.partition(" ")
            value = value.strip()
        if name not in DIRECTIVES:
            raise DocError(f"{where}: unknown doc-test directive {name!r} (known: {', '.join(DIRECTIVES)})")
        if not DIRECTIVES[name] and value:
            raise DocError(f"{where}: doc-test directive {name!r} takes no value")
        if DIRECTIVES[name] and not value:
            raise DocError(f"{where}: doc-test directive {name!r} needs a value, e.g. "
                           f"'<!-- doc-test: {name}: ... -->'")
        directives[name] = value
    return directives


def blocks_of(path: Path) -> List[Block]:
    """The fenced blocks of one Markdown file, each with the directives of the marker comment on
    the closest non-blank line above its fence (if that line is one)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening.group("indent"), opening.group("fence")
        language = opening.group("info").split()[0].lower() if opening.group("info") else ""
        start = i
        body: List[str] = []
        i += 1
        while i < len(lines) and not (lines[i].strip().startswith(fence)
                                      and lines[i].strip().strip(fence[0]) == ""):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        if i == len(lines):
            raise DocError(f"{path.relative_to(REPO)}:{start + 1}: the block opened here is never closed")
        i += 1
        where = f"{path.relative_to(REPO)}:{start + 1}"
        directives: Dict[str, str] = {}
        above = start - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        if above >= 0:
            marker = _MARKER.match(lines[above])
            if marker:
                directives = parse_marker(marker.group("body"), where)
        blocks.append(Block(path, start + 1, language, "\n".join(body), directives))
    return blocks


def documents() -> List[Path]:
    paths: List[Path] = []
    for pattern in DOCUMENTS:
        paths.extend(sorted(REPO.glob(pattern)))
    return paths


def all_blocks() -> List[Block]:
    return [block for path in documents() for block in blocks_of(path)]


def project_of(path: Path = OWN_PROJECT_PAGE) -> Tuple[Dict[str, str], List[Block]]:
    """The project a page shows: its files (blocks marked `file: NAME`, by name) and its command
    blocks (marked `project`), in page order."""
    files: Dict[str, str] = {}
    commands: List[Block] = []
    for block in blocks_of(path):
        if "project" in block.directives:
            commands.append(block)
        name = block.directives.get("file")
        if name:
            if name in files:
                raise DocError(f"{block.where}: a second block for the file {name!r}")
            files[name] = block.text + "\n"
    return files, commands


# --- transcripts and their expected output --------------------------------------------------------

def commands_of(block: Block) -> List[Tuple[str, List[str]]]:
    """A command block as (command, documented output lines) pairs. In a transcript (lines starting
    with `$ `), each command is followed by the output it shows; otherwise the whole block is one
    script with no documented output."""
    lines = block.text.splitlines()
    if not any(line.startswith("$ ") for line in lines):
        return [(block.text, [])]
    pairs: List[Tuple[str, List[str]]] = []
    for line in lines:
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line)
        elif line.strip():
            raise DocError(f"{block.where}: output before the first '$ ' command")
    return pairs


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ELISION = re.compile(r"\.\.\.|…")


def expected_line_pattern(line: str) -> re.Pattern:
    """A documented output line as a pattern: every number stands for any number, `...` (or `…`)
    for any text, runs of spaces for any spacing."""
    pattern = ""
    for piece_index, piece in enumerate(_ELISION.split(line.strip())):
        if piece_index:
            pattern += ".*"
        position = 0
        for number in _NUMBER.finditer(piece):
            pattern += _spaced(re.escape(piece[position:number.start()]))
            pattern += r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
            position = number.end()
        pattern += _spaced(re.escape(piece[position:]))
    return re.compile(pattern)


def _spaced(escaped: str) -> str:
    return re.sub(r"(?:\\ )+", r"\\s+", escaped)


def missing_output(documented: List[str], actual: str) -> Optional[str]:
    """The first documented line (elisions and numbers aside) that is not in `actual`, in order;
    None when all are. Blank documented lines and lines that are only an elision are skipped."""
    actual_lines = [line.strip() for line in actual.splitlines()]
    position = 0
    for line in documented:
        if not line.strip() or _ELISION.fullmatch(line.strip()):
            continue
        pattern = expected_line_pattern(line)
        while position < len(actual_lines) and not pattern.fullmatch(actual_lines[position]):
            position += 1
        if position == len(actual_lines):
            return line
        position += 1
    return None
