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
