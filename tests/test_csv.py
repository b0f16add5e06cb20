"""backprop.data.from_csv: round trips, labels, task inference, splits, and errors that name
the file's line and the column."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop.data import from_csv, make
from backprop.errors import ConfigError, DataError


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def table(rows, header):
    return "\n".join([",".join(header), *(",".join(str(v) for v in row) for row in rows)]) + "\n"


def test_numeric_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(40, 4)).round(6)
    path = write(tmp_path, table(values.tolist(), ["a", "b", "c", "t"]))
    data = from_csv(path, "t", standardize=False, task="regression")
    assert data.name == "data" and data.task == "regression"
    assert np.array_equal(data.x, values[:, :3]) and np.array_equal(data.y, values[:, 3:])
    assert data.feature_names == ["a", "b", "c"] and data.target_names == ["t"]
    assert data.scaler is None and data.x_test is None
    scaled = from_csv(path, "t")
    assert np.allclose(scaled.x.mean(axis=0), 0) and np.allclose(scaled.x.std(axis=0), 1)
    assert np.allclose(scaled.scaler.inverse_transform(scaled.x), values[:, :3])


def test_several_targets_and_chosen_features(tmp_path):
    path = write(tmp_path, table([[1, 2, 3, 4], [5, 6, 7, 8.5]], ["a", "b", "y1", "y2"]))
    data = from_csv(path, ["y1", "y2"], features=["b"], standardize=False)
    assert data.task == "regression" and data.y.shape == (2, 2)
    assert data.x.tolist() == [[2.0], [6.0]] and data.target_names == ["y1", "y2"]
    with pytest.raises(ConfigError, match="several targets"):
        from_csv(path, ["y1", "y2"], task="classification")


def test_string_labels_become_sorted_class_indices(tmp_path):
    rows = [[i, i * 2, ["dog", "cat", "emu"][i % 3]] for i in range(12)]
    data = from_csv(write(tmp_path, table(rows, ["a", "b", "animal"])), "animal")
    assert data.task == "classification" and data.target_names == ["cat", "dog", "emu"]
    assert data.y.dtype == np.int64
    assert [data.target_names[k] for k in data.y] == [row[2] for row in rows]
    assert data.n_classes == data.n_outputs == 3


def test_task_inference(tmp_path):
    labels = [[i, i % 3] for i in range(30)]
    data = from_csv(write(tmp_path, table(labels, ["x", "y"]), "a.csv"), "y")
    assert data.task == "classification" and data.target_names == ["0", "1", "2"]
    numbered = [[i, [10, -1][i % 2]] for i in range(10)]
    data = from_csv(write(tmp_path, table(numbered, ["x", "y"]), "b.csv"), "y")
    assert data.target_names == ["-1", "10"] and data.y.tolist()[:2] == [1, 0]
    reals = [[i, i * 0.37] for i in range(10)]
    assert from_csv(write(tmp_path, table(reals, ["x", "y"]), "c.csv"), "y").task == "regression"
    many = [[i, i] for i in range(50)]  # 50 distinct whole numbers: a quantity, not classes
    path = write(tmp_path, table(many, ["x", "y"]), "d.csv")
    assert from_csv(path, "y").task == "regression"
    with pytest.raises(DataError, match="holds 50 distinct whole numbers in 50 rows"):
        from_csv(path, "y", task="classification")  # 50 classes of one row: refused
    assert from_csv(write(tmp_path, table(labels, ["x", "y"]), "e.csv"), "y",
                    task="regression").y.dtype == np.float64  # fmt: skip


def test_wrong_target_name_lists_the_columns(tmp_path):
    path = write(tmp_path, table([[1, 2, 3]], ["alpha", "beta", "gamma"]))
    with pytest.raises(ConfigError) as info:
        from_csv(path, "gama")
    message = str(info.value)
    assert "target" in message and "'gama'" in message and "alpha, beta, gamma" in message
    with pytest.raises(ConfigError, match=r"features.*'delta'.*alpha, beta, gamma"):
        from_csv(path, "gamma", features=["delta"])
    with pytest.raises(ConfigError, match="features"):
        from_csv(path, "gamma", features=["alpha", "gamma"])


def test_nan_on_line_7_in_column_b(tmp_path):
    rows = [[i, i + 1, i % 2] for i in range(8)]
    rows[5][1] = "NaN"  # data row 6 = line 7 (line 1 is the header)
    with pytest.raises(DataError) as info:
        from_csv(write(tmp_path, table(rows, ["a", "b", "y"])), "y")
    message = str(info.value)
    assert "line 7" in message and "column 'b'" in message and "data.csv" in message


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("hello", ["'hello'", "not a number", "features="]),
        ("", ["empty", "missing"]),
        ("inf", ["'inf'", "not finite"]),
        ("-Infinity", ["'-Infinity'", "not finite"]),
    ],
)
def test_bad_feature_cell_names_line_and_column(tmp_path, cell, words):
    rows = [[1, 2, 0], [3, 4, 1], [5, 6, 0], [7, 8, 1]]
    rows[2][0] = cell
    with pytest.raises(DataError) as info:
        from_csv(write(tmp_path, table(rows, ["first", "second", "y"])), "y")
    message = str(info.value)
    assert "line 4, column 'first'" in message
    for word in words:
        assert word in message


def test_first_bad_cell_in_file_order_is_reported(tmp_path):
    rows = [[1, 2, 3, 0] for _ in range(6)]
    rows[1][2] = "nan"  # line 3, column c
    rows[3][0] = "oops"  # line 5, column a: later in the file
    with pytest.raises(DataError, match="line 3, column 'c'"):
        from_csv(write(tmp_path, table(rows, ["a", "b", "c", "y"])), "y")
    rows[1][2], rows[1][1] = 3, "??"  # now line 3 column b is first
    with pytest.raises(DataError, match="line 3, column 'b' holds '\\?\\?'"):
        from_csv(write(tmp_path, table(rows, ["a", "b", "c", "y"])), "y")


def test_bad_target_cells(tmp_path):
    rows = [[1, 0.5], [2, 1.5], [3, ""], [4, 2.5]]
    with pytest.raises(DataError, match="line 4, column 'y' is empty"):
        from_csv(write(tmp_path, table(rows, ["x", "y"]), "a.csv"), "y")
    rows[2][1] = "big"
    with pytest.raises(DataError, match=r"line 4, column 'y' holds 'big'.*task='classification'"):
        from_csv(write(tmp_path, table(rows, ["x", "y"]), "b.csv"), "y", task="regression")
    one = [[1, "a"], [2, "a"]]
    with pytest.raises(DataError, match="one class"):
        from_csv(write(tmp_path, table(one, ["x", "y"]), "c.csv"), "y")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["empty"]),
        ("\n\n  \n", ["empty"]),
        ("a,b,y\n", ["only a header", "no data rows"]),
        ("1,2,3\n4,5,6\n", ["line 1 looks like data", "header"]),
        ("a,b,y\n1,2,3\n4,5\n", ["line 3 has 2 values", "3 columns"]),
        ("a,,y\n1,2,3\n", ["column 2 unnamed"]),
        ("a,a,y\n1,2,3\n", ["'a' twice"]),
        ("y\n1\n2\n", ["no feature columns"]),
    ],
)
def test_malformed_files(tmp_path, text, words):
    with pytest.raises(DataError) as info:
        from_csv(write(tmp_path, text), "y")
    for word in words:
        assert word in str(info.value)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        from_csv(tmp_path / "nope.csv", "y")
    with pytest.raises(DataError, match="UTF-8"):
        from_csv(write(tmp_path, "a,y\n\xe9,1\n", encoding="latin-1"), "y")


def test_bad_arguments_and_unreadable_files_are_data_errors(tmp_path):
    # these leaked TypeError (path 3, target 3) and _csv.Error (a cell over 131072 chars)
    path = write(tmp_path, "a,y\n1,2\n3,4\n")
    with pytest.raises(ConfigError, match="path: must be a file name"):
        from_csv(3, "y")
    with pytest.raises(ConfigError, match="target: must be a column name"):
        from_csv(path, 3)
    with pytest.raises(DataError, match="line 2 cannot be read as CSV"):
        from_csv(write(tmp_path, "a,y\n" + "1" * 200_000 + ",2\n", "big.csv"), "y")


def test_one_row_with_a_numeric_target_is_regression(tmp_path):
    # one distinct value cannot be two classes: inference used to say classification and
    # then refuse the file for having one class only
    data = from_csv(write(tmp_path, "a,y\n1,2\n"), "y")
    assert (data.task, data.x.shape, data.y.tolist()) == ("regression", (1, 1), [[2.0]])
    with pytest.raises(DataError, match="one class only"):
        from_csv(write(tmp_path, "a,y\n1,cat\n", "labels.csv"), "y")


def test_dialects_quotes_bom_crlf_and_blank_lines(tmp_path):
    expected = [[1.0, 2.0], [3.0, 4.0]]
    for sep in (";", "\t"):
        text = f"a{sep}b{sep}y\n1{sep}2{sep}x\n3{sep}4{sep}z\n"
        data = from_csv(write(tmp_path, text, f"s{ord(sep)}.csv"), "y", standardize=False)
        assert data.x.tolist() == expected and data.target_names == ["x", "z"]
    text = '\ufeff"a","b","y"\r\n1,2,"big, red"\r\n\r\n3,4,small\r\n'
    data = from_csv(write(tmp_path, text, "q.csv"), "y", standardize=False)
    assert data.x.tolist() == expected and data.target_names == ["big, red", "small"]
    text = "a,b,y\n1,2,0\n\n3,4,1\n5,x,0\n"  # the blank line 3 still counts
    with pytest.raises(DataError, match="line 5, column 'b'"):
        from_csv(write(tmp_path, text, "blank.csv"), "y")


def test_test_ratio_split_is_random_and_stratified(tmp_path):
    rows = [[i, int(i % 4 == 0)] for i in range(200)]  # 50 of class 1, 150 of class 0
    path = write(tmp_path, table(rows, ["x", "y"]))
    data = from_csv(path, "y", test_ratio=0.3, standardize=False, seed=1)
    assert len(data.x) == 140 and len(data.x_test) == 60
    assert np.bincount(data.y_test).tolist() == [45, 15]
    assert sorted(data.x_test[:, 0]) != list(range(140, 200))
    assert np.array_equal(data.y, (data.x[:, 0] % 4 == 0).astype(int))  # rows stay paired
    other = from_csv(path, "y", test_ratio=0.3, standardize=False, seed=2)
    assert not np.array_equal(other.x, data.x)
    scaled = from_csv(path, "y", test_ratio=0.3, seed=1)
    assert np.allclose(scaled.scaler.mean, data.x.mean(axis=0))  # fitted on training rows
    mean, std = data.x.mean(axis=0), data.x.std(axis=0)
    assert np.allclose(scaled.x_test, (data.x_test - mean) / std)
    with pytest.raises(ConfigError, match="test_ratio"):
        from_csv(path, "y", test_ratio=1.0)


def test_max_rows_and_params_rebuild(tmp_path):
    rows = [[i, i % 2] for i in range(100)]
    path = write(tmp_path, table(rows, ["x", "y"]))
    data = from_csv(path, "y", max_rows=10, standardize=False)
    assert data.x[:, 0].tolist() == list(range(10))
    data = from_csv(path, "y", test_ratio=0.25, seed=4)
    params = json.loads(json.dumps(data.params))
    assert params["name"] == "csv" and params["task"] == "classification"
    again = make(**params)
    assert np.array_equal(again.x, data.x) and np.array_equal(again.y_test, data.y_test)
    with pytest.raises(ConfigError, match="max_rows"):
        from_csv(path, "y", max_rows=0)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 25),
    cols=st.integers(1, 5),
    where=st.tuples(st.integers(0, 1000), st.integers(0, 1000)),
    token=st.sampled_from(["nan", "NaN", "inf", "", "abc", "1.2.3", "-inf", "one"]),
    seed=st.integers(0, 1000),
)
def test_any_bad_cell_is_reported_at_its_line_and_column(tmp_path_factory, rows, cols, where,
                                                         token, seed):  # fmt: skip
    values = np.random.default_rng(seed).normal(size=(rows, cols + 1)).round(3).astype(str)
    i, j = where[0] % rows, where[1] % cols
    values[i, j] = token
    header = [f"f{k}" for k in range(cols)] + ["target"]
    path = write(tmp_path_factory.mktemp("h"), table(values.tolist(), header))
    with pytest.raises(DataError) as info:
        from_csv(path, "target", task="regression")
    assert f"line {i + 2}, column 'f{j}'" in str(info.value)


def test_a_two_valued_target_is_two_classes_however_few_the_rows(tmp_path):
    """Two distinct values are a binary target, never 'continuous': with 2 rows the
    more-values-than-half-the-rows rule refused a 0/1 target the reader itself had inferred
    as classes."""
    path = tmp_path / "two.csv"
    path.write_text("x,y\n0.5,0\n1.5,1\n")
    for task in (None, "classification"):
        data = from_csv(path, "y", standardize=False, task=task)
        assert sorted(np.asarray(data.y).ravel().tolist()) == [0, 1]
