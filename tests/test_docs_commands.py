"""Every command the README and docs/ show is one the tools accept as written (issue 15):
each `backprop …` parses with the command line's own parser (placeholders such as MODEL or N
filled in), each `pip install ".[extra]"` names extras pyproject.toml defines, and each
`python -m pytest -m EXPR` names markers the suite declares."""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from backprop.cli import commands
from backprop.cli.app import build_parser

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDERS = {"MODEL": "model.safetensors", "SPEC": "spec.json", "SPEC.json": "spec.json",
                "N": "1", "DIR": "backups", "FILE": "data.csv"}  # fmt: skip


def _snippets():
    """(file, line number, text) of every command-like snippet: inline code spans and the
    lines of fenced shell blocks."""
    for path in DOCS:
        fenced = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip().startswith("```"):
                fenced = not fenced
                continue
            if fenced:
                yield path.name, number, line.split("  #")[0].strip()
            else:
                for span in re.findall(r"`([^`]+)`", line):
                    yield path.name, number, span


STARTS = {"pip": "pip install", "pytest": "python -m pytest"}


def _commands(kind: str):
    out = []
    for name, number, text in _snippets():
        for part in re.split(r"\s*&&\s*", text.replace("\\|", "|")):
            part = part.strip().removeprefix("$ ")
            if kind == "backprop" and re.match(rf"backprop ({'|'.join(commands.NAMES)})\b", part):
                out.append(pytest.param(part, id=f"{name}:{number}:{part[:40]}"))
            elif part.startswith(STARTS.get(kind, "\0")):
                out.append(pytest.param(part, id=f"{name}:{number}"))
    return out


def _argv(text: str) -> list[str]:
    words = []
    for word in shlex.split(text.replace("[", " ").replace("]", " "))[1:]:
        if word in ("…", "...") and words and words[-1].startswith("--"):
            word = "square"  # "--data …": some value
        elif word in ("…", "...", "or", "/"):
            break  # prose continues ("or `backprop train --data …`")
        word = word.split("|")[0] if "|" in word and not word.startswith("-") else word
        words.append(PLACEHOLDERS.get(word, word))
    return words


@pytest.mark.parametrize("text", _commands("backprop"))
def test_every_backprop_command_shown_parses(text, capsys):
    """A whole command parses as written; a command named in prose (`backprop summary`,
    `backprop export --to torch`) has a --help, and every flag it shows exists."""
    argv = _argv(text)
    parser = build_parser(argv[0])
    try:
        args, extra = parser.parse_known_args(argv)
    except SystemExit as exc:  # argparse refused it: a whole command must not be refused
        refused = capsys.readouterr().err
        assert "arguments are required" in refused, f"{text!r}: {refused}"
        own = parser.commands[argv[0]]._option_string_actions
        for flag in (w for w in argv[1:] if w.startswith("-")):
            assert flag in own, f"{text!r}: no flag {flag} (exit {exc.code})"
        with pytest.raises(SystemExit) as shown:
            parser.parse_args([argv[0], "--help"])
        assert shown.value.code == 0
        return
    assert not extra, f"{text!r}: unknown words {extra}"
    assert args.command == argv[0]


@pytest.mark.parametrize("text", _commands("pip"))
def test_every_pip_install_names_real_extras(text):
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    named = re.findall(r"\[([a-z,]+)\]", text)
    assert named, f"{text!r} installs no extra"
    for group in named:
        for extra in group.split(","):
            assert extra in extras, f"{text!r}: no extra {extra!r} in pyproject.toml"
    assert "backprop-mlp[" not in text  # not on PyPI: install from the project's folder


@pytest.mark.parametrize("text", _commands("pytest"))
def test_every_pytest_marker_shown_is_declared(text):
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]
    declared = {m.split(":")[0] for m in config["ini_options"].get("markers", [])}
    for expression in re.findall(r"-m \"([^\"]+)\"", text):
        for word in re.findall(r"[A-Za-z_]+", expression):
            assert word in {"not", "and", "or"} | declared, f"{text!r}: marker {word!r}"


def test_the_snippets_were_found():
    assert len(_commands("backprop")) >= 10 and _commands("pip") and _commands("pytest")
