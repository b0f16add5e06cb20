"""Every dotted call ``backprop.X.name(...)`` that the README and the docs write works after
a plain ``import backprop``, as ``torch.nn.functional.relu`` does after ``import torch``
(seventh Jupyter student: the README's ``backprop.playground.widget("spiral")`` raised
AttributeError in a fresh kernel; only ``from backprop.playground import widget`` worked).
Checked in a fresh interpreter, so an earlier test's imports cannot hide a missing one."""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOTTED = re.compile(r"\bbackprop((?:\.[A-Za-z_][A-Za-z0-9_]*){2,})\(")  # a call, as written


def documented_names() -> set[str]:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found = set()
    for path in texts:
        for match in DOTTED.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1).strip("."))
    return found


def test_the_docs_write_dotted_names_at_all():
    # the scan must see the README's own examples, or the test below checks nothing
    assert "playground.widget" in documented_names()
    assert "interop.to_torch" in documented_names()


def test_every_documented_dotted_name_resolves_after_import_backprop():
    names = sorted(documented_names())
    code = (
        "import json, sys, backprop\n"
        "bad = []\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    obj = backprop\n"
        "    try:\n"
        "        for part in name.split('.'):\n"
        "            obj = getattr(obj, part)\n"
        "    except ImportError:\n"
        "        pass  # an optional extra that is not installed: its own error says so\n"
        "    except AttributeError as e:\n"
        "        bad.append(f'backprop.{name}: {e}')\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, json.dumps(names)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
