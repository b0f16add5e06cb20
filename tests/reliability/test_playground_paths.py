"""Issue 12, item 2 (the playground's part): no path or behaviour chosen by an uploaded name.

The one name the playground takes from a message is an uploaded CSV's file name. It is
shown in messages, becomes the ``csv`` entry of an exported spec (``backprop train`` reads
that path) and the data's display name. ``test_upload_names_cannot_lead_elsewhere`` fuzzes
it with ``..``, absolute and Windows paths, NUL and other control characters, quotes, very
long names and the names of the built-in data sets, each through ``protocol.parse`` and
``Session.upload``. Every name is either refused (an error naming 'name' and the rule) or
kept as a bare file name: the exported spec's ``csv`` has no folder, and the drawing of an
upload called ``sine.csv`` or ``spiral.csv`` is that of the uploaded data (no lecture
target curve, its own drawing domain), not of the built-in set. The uploads' temporary
files are made by ``tempfile`` in the server's own folder, never from the name: nothing
else in the temporary folder changes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
import re

import numpy as np
import pytest

pytest.importorskip("starlette", reason="the web extra (starlette) is not installed")

from backprop.playground import protocol, views  # noqa: E402
from backprop.playground.connection import Connection  # noqa: E402
from backprop.playground.protocol import ProtocolError  # noqa: E402
from backprop.playground.session import Session  # noqa: E402
from playground_helpers import Sink  # noqa: E402
from playground_helpers import msg as page_msg  # noqa: E402


def _csv(columns: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, (60, columns))
    if columns == 1:
        rows = [f"{a:.4f},{a * 7.5 + 20:.4f}" for (a,) in x]  # far from the lecture's sine
        return "t,y\n" + "\n".join(rows) + "\n"
    rows = [f"{a * 9:.4f},{b * 9:.4f},{int(a * b > 0)}" for a, b in x]  # beyond -6…6
    return "a,b,label\n" + "\n".join(rows) + "\n"


BUILT_IN = ["sine", "square", "abs", "spiral", "circle", "xor", "gauss", "plane", "multigauss"]


def hostile_names(n: int, seed: int = 0) -> list:
    rng = random.Random(seed)
    fixed = ["..", ".", "../x.csv", "../../../../ESCAPED.csv", "/etc/passwd", "/dev/zero",
             "/proc/self/fd/1", "C:\\Windows\\system.csv", "..\\..\\x.csv", "dir/..",
             "a\x00b.csv", "\x00", "a\nb.csv", "a\rb.csv", "tab\t.csv", "x\x7f.csv",
             'quote".csv', "semi;colon.csv", "x" * 201, "y" * 10_000, " ", "", 5, None,
             "~/x.csv", "$HOME.csv", "%2e%2e%2fx.csv", "CON", "a/b/c/d.csv"]  # fmt: skip
    fixed += [f"{b}.csv" for b in BUILT_IN] + [f"/tmp/{b}.csv" for b in BUILT_IN]
    parts = ["..", ".", "/", "\\", "x", "data.csv", "\x00", "\n", '"', "'", "é", "~",
             "/dev/null", "sine.csv", " ", "%00", ":"]  # fmt: skip
    out = list(fixed)
    while len(out) < n:
        out.append("".join(rng.choice(parts) for _ in range(rng.randrange(1, 8))))
    return out[:n]


def test_upload_names_cannot_lead_elsewhere(count, tmp_path, monkeypatch):
    names = hostile_names(count(150, 3000))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the uploads' temporary files go here
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    before = set(os.listdir(tmp_path))
    texts = {1: _csv(1), 2: _csv(2)}
    sessions = {dims: Session({"seed": 1}) for dims in texts}
    refused = kept = 0
    for i, name in enumerate(names):
        raw = json.dumps({"v": 1, "type": "upload", "name": name, "text": texts[1 + i % 2]})
        try:
            msg = protocol.parse(raw)
        except ProtocolError as exc:
            assert "'name'" in str(exc) and "file's name" in str(exc), (name, str(exc))
            refused += 1
            continue
        kept += 1
        kept_name = msg["name"]
        session = sessions[1 + i % 2]
        session.upload(kept_name, msg["text"])
        csv_entry = session.spec()["data"]["csv"]
        assert os.path.basename(csv_entry) == csv_entry, (name, csv_entry)
        assert "/" not in csv_entry and "\\" not in csv_entry, (name, csv_entry)
        assert csv_entry not in ("", ".", ".."), (name, csv_entry)
        assert not any(ord(c) < 32 for c in csv_entry), (name, csv_entry)
        view = views.data_view(session)
        assert view.get("target_curve") is None, (name, "the lecture's curve for an upload")
        lo1, hi1 = view["domain"][:2]
        pts = np.array([p[0] for p in view["train"]])
        assert lo1 <= pts.min() and pts.max() <= hi1, (name, view["domain"], pts.min())
    left = set(os.listdir(tmp_path)) - before
    stray = [p for p in left if not p.startswith("backprop-playground-")]
    for p in left - set(stray):  # the server's own folder: empty between uploads
        assert os.listdir(tmp_path / p) == [], os.listdir(tmp_path / p)
    print(
        f"\nplayground upload names: {len(names)} hostile names, {refused} refused naming "
        f"'name', {kept} kept as a bare file name (spec csv without folders, the upload's "
        f"own drawing); stray files in the temporary folder: {stray}"
    )
    assert not stray, stray
    assert refused and kept


@pytest.mark.parametrize("name", [f"{b}.csv" for b in ("sine", "square", "abs")])
def test_an_upload_named_like_a_lecture_function_draws_its_own_data(name):
    """A 1-D upload called sine.csv: no lecture target curve, the data's own range."""
    s = Session({"seed": 2})
    s.upload(name, _csv(1, seed=3))
    view = views.data_view(s)
    assert view.get("target_curve") is None
    ys = [p[1] for p in view["train"]]
    assert max(ys) > 30  # the upload's own targets (-2.5 … 42.5), not the lecture's


def test_export_file_names_come_from_checked_settings_only():
    """The page saves an export under the name the server sends: built from the dataset
    setting (a fixed choice), the seed and the epoch (numbers), never from an upload's
    name; the exported spec's csv entry is the bare name."""

    async def main():
        conn = Connection(Sink())
        await conn.hello({"seed": "5"})
        names = []
        for name in ["../../x.csv", "/etc/passwd", 'q"uote\\..\\evil.csv', "spiral.csv"]:
            await conn.handle(page_msg("upload", name=name, text=_csv(2)))
            for what in ("spec", "model"):
                await conn.handle(page_msg("export", what=what))
                sent = [m for m in conn.ws.sent if m["type"] == "export"][-1]
                names.append(sent["filename"])
                if what == "spec":
                    spec = json.loads(base64.b64decode(sent["data"]))
                    assert "/" not in spec["data"]["csv"] and "\\" not in spec["data"]["csv"]
        return names

    names = asyncio.run(main())
    assert all(re.fullmatch(r"playground-csv-seed5-epoch0\.(json|safetensors)", n) for n in names)
    print(f"\nexport names after hostile uploads: {sorted(set(names))}")
