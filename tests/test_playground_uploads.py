"""The playground's CSV uploads: a header read as CSV reads it, messages that name the upload.

Found by an outside attack: a valid header ``"a,b",c,d`` (three columns, the first name
holding a comma) was refused as four columns by a plain split, and an error about the data
named the server's temporary file (``dataset 'upload-w5dqc6bj'``) instead of the upload.
"""

from __future__ import annotations

import csv
import io

import pytest

from backprop.playground import uploads
from backprop.playground.protocol import ProtocolError


def _rows(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("first", ["a,b", 'say "hi"', "x;y", "plain"])
def test_a_header_is_read_as_the_csv_module_writes_it(first):
    rows = [[f"{i / 10}", f"{(i * 7 % 10) / 10}", str(i % 2)] for i in range(40)]
    data, target = uploads.load_csv(("mine.csv", _rows([first, "c", "label"], rows)), 80, 0)
    assert target == "label" and data.n_features == 2
    assert data.feature_names[0] == first


def test_errors_about_the_data_name_the_upload_not_the_temporary_file():
    rows = [["1", "2", "0"], ["1e308", "1e308", "1"], ["3", "oops", "0"]]
    with pytest.raises(ProtocolError) as caught:
        uploads.load_csv(("mine.csv", _rows(["a", "b", "label"], rows)), 80, 0)
    message = str(caught.value)
    assert "mine.csv" in message and "upload-" not in message, message


def _xy_csv(x, target, names=("x1", "x2", "t")) -> str:
    rows = [[*(repr(float(v)) for v in row), repr(float(t))] for row, t in zip(x, target)]
    return _rows(list(names), rows)


@pytest.mark.parametrize(
    "bad",
    [
        "target_1e300",  # refused while the network is built (float32 overflow)
        "one_column_1e39",  # a 1-D file after a 2-D one: refused with the new dimension
    ],
)
def test_a_refused_upload_leaves_the_session_as_it_was(bad):
    """Issue 16 attack, item 1: a refused upload after a good one left the session on the
    refused file (every later change failed with its error, the spec named it)."""
    import numpy as np

    from backprop.playground.session import Session

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    good = _xy_csv(x, (x[:, 0] > 0).astype(int), ("x1", "x2", "y"))
    if bad == "target_1e300":
        text = _xy_csv(x, x[:, 0] * 1e300)
    else:
        text = _rows(["x", "t"], [["1", "1e39"], ["2", "2"], ["3", "3"], ["4", "4"]])
    s = Session({"seed": 1})
    s.upload("good.csv", good)
    state, spec = dict(s.state), s.spec()
    weights = [p._data.copy() for p in s.model.parameters()]
    with pytest.raises(ProtocolError, match=r"^upload bad\.csv: "):
        s.upload("bad.csv", text)
    assert s.csv[0] == "good.csv" and s.state == state and s.spec() == spec
    for before, now in zip(weights, s.model.parameters()):
        np.testing.assert_array_equal(before, now._data)
    s.apply({"seed": 4})  # the session still takes changes
    assert s.state["seed"] == 4 and s.raw.x.shape[1] == 2 and s.spec()["data"]["csv"] == "good.csv"


@pytest.mark.parametrize("scale", [1e-30, 1e-300, 1e-310, 1e30])
def test_features_of_any_finite_size_are_standardised_like_unit_ones(scale):
    """Issue 16 attack, item 13: features ×1e-30 kept their raw size (the scaler took a
    spread below 2e-15 for none) and ×1e-300 went to 0 (their squares underflowed), so the
    network saw (nearly) zero inputs and accuracy stayed at chance."""
    import numpy as np

    from backprop.playground.session import Session

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    label = (x[:, 0] > 0).astype(int)
    unit, scaled = Session({"seed": 1}), Session({"seed": 1})
    unit.upload("s.csv", _xy_csv(x, label, ("x1", "x2", "y")))
    scaled.upload("s.csv", _xy_csv(x * scale, label, ("x1", "x2", "y")))
    np.testing.assert_allclose(scaled.raw.x, unit.raw.x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(scaled.raw.x_test, unit.raw.x_test, rtol=1e-9, atol=1e-12)


def test_an_upload_is_measured_in_bytes_as_the_transport_counts_them():
    """Item 12: the limits counted characters while the transport counts bytes; 400,000
    characters of 3 UTF-8 bytes each passed the check (1.2 MB)."""
    import json

    from backprop.playground import protocol

    text = "a,b\n" + "€" * 400_000
    with pytest.raises(ProtocolError, match=r"too large \(1,200,004 bytes as UTF-8"):
        body = {"v": 1, "type": "upload", "name": "x.csv", "text": text}
        protocol.parse(json.dumps(body, ensure_ascii=False))  # as the page sends it
    assert protocol.MAX_CSV_BYTES < protocol.MAX_MESSAGE  # refused in-band, never by a close
