"""Attacker 10's defects in the output-replacing rule (``backprop.replacing``).

1. any ``format: pt`` safetensors (transformers' save_pretrained writes it too) was taken
   for backprop's torch export and replaced;
2. vanishing ``--plot``, compare ``--out`` and predict ``--output`` judged the path only
   before the work: a file put there while the command ran was replaced;
3. a user's CSV with any column named ``prediction`` or ``* (predicted)`` counted as a
   predictions CSV;
4. any PNG counted as a plot of ours, any ONNX file as our export;
5. ``train --out DIR --overwrite`` judged a run folder by file names only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli_helpers import cli, one_line


@pytest.fixture
def model(square_model_file) -> Path:
    """A small trained square model (no input scaler): conftest's, made once a session."""
    return square_model_file


USER_CSV = "name,salary\nann,100\n"


# -- item 2: a file that appears at the output path while the command works ----------------
def test_predict_judges_the_output_again_when_it_writes(model, tmp_path, monkeypatch):
    import backprop.data.checks as checks

    real = checks.check_finite

    def planting(*args, **kwargs):  # runs between the first check and the write
        (tmp_path / "p.csv").write_text(USER_CSV)
        return real(*args, **kwargs)

    monkeypatch.setattr(checks, "check_finite", planting)
    code, _, err = cli("predict", model, "--x", "1", "--output", "p.csv", cwd=tmp_path)
    one_line(code, err, "--output", "'p.csv'", "a predictions CSV", "--overwrite")
    assert (tmp_path / "p.csv").read_text() == USER_CSV
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]  # no temporary file left


def test_vanishing_judges_the_plot_again_when_it_writes(model, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    import backprop.diagnostics as diagnostics

    real = diagnostics.vanishing_gradients

    def planting(*args, **kwargs):
        model_bytes = model.read_bytes()
        (tmp_path / "v.png").write_bytes(model_bytes)
        return real(*args, **kwargs)

    monkeypatch.setattr(diagnostics, "vanishing_gradients", planting)
    code, _, err = cli("vanishing", "--depths", "1,2", "--width", "4", "--samples", "16",
                       "--plot", "v.png", cwd=tmp_path)  # fmt: skip
    assert code == 2, err
    assert "--plot" in err and "'v.png'" in err and "--overwrite" in err, err
    assert (tmp_path / "v.png").read_bytes() == model.read_bytes()


def test_compare_judges_its_table_again_when_it_writes(tmp_path, monkeypatch):
    import backprop.sweep.compare_files as files

    real = files.check

    def planting(out, *args, **kwargs):  # compare checks, then trains: a file comes
        real(out, *args, **kwargs)
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "table.csv").write_text(USER_CSV)

    monkeypatch.setattr(files, "check", planting)
    code, _, err = cli("compare", "activations", "--epochs", "5", "--seeds", "1", "--workers",
                       "1", "--out", "cmp", "--no-plots", "-q", cwd=tmp_path)  # fmt: skip
    assert code == 2, err
    assert "--out" in err and "table.csv" in err and "--overwrite" in err, err
    assert (tmp_path / "cmp" / "table.csv").read_text() == USER_CSV


# -- item 1: only backprop's own torch export is replaced as one -----------------------------
def _metadata(path: Path) -> dict:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8 : 8 + n]).get("__metadata__") or {}


def test_export_torch_refuses_another_programs_format_pt_safetensors(model, tmp_path):
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    # what transformers' save_pretrained writes: a state dict with metadata format: pt
    save_file({"w": torch.ones(2, 2)}, str(tmp_path / "hf.safetensors"), metadata={"format": "pt"})
    before = (tmp_path / "hf.safetensors").read_bytes()
    code, _, err = cli("export", model, "--to", "torch", "--out", "hf.safetensors", cwd=tmp_path)
    one_line(code, err, "--out", "'hf.safetensors'", "--overwrite")
    assert (tmp_path / "hf.safetensors").read_bytes() == before
    for _ in range(2):  # a new file, then backprop's own export: replaced
        code, _, err = cli("export", model, "--to", "torch", "--out", "t.safetensors",
                           cwd=tmp_path)  # fmt: skip
        assert code == 0, err
    assert _metadata(tmp_path / "t.safetensors") == {"format": "pt", "producer": "backprop"}
    code, _, err = cli("export", model, "--to", "torch", "--out", "hf.safetensors",
                       "--overwrite", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert _metadata(tmp_path / "hf.safetensors")["producer"] == "backprop"


# -- item 3: a predictions CSV is predict's exact layout, not any "prediction" column -------
@pytest.mark.parametrize(
    "header",
    [
        "x,prediction,notes",  # the user's notes after the column
        "prediction,x",  # no input column before it
        "x,y (predicted),comment",
        "x,label (predicted),p(a),notes",  # classification: only p(...) after, and ≥ 2 of them
        "x,label (predicted),p(a)",
        "x,prediction,y (predicted)",  # "prediction" is predict's name for a lone output
    ],
)
def test_predict_refuses_a_users_csv_with_a_prediction_column(model, tmp_path, header):
    text = header + "\n" + ",".join("1" for _ in header.split(",")) + "\n"
    (tmp_path / "mine.csv").write_text(text)
    code, _, err = cli("predict", model, "--x", "1", "--output", "mine.csv", cwd=tmp_path)
    one_line(code, err, "--output", "'mine.csv'", "a predictions CSV", "--overwrite")
    assert (tmp_path / "mine.csv").read_text() == text


@pytest.mark.parametrize(
    "header",
    [
        "x1,x2,prediction",  # what predict writes for one unnamed output
        "x,y1 (predicted),y2 (predicted)",
        "id,x,price (predicted)",  # --input: the user's columns first, then the prediction
        "x1,x2,label (predicted),p(cat),p(dog)",  # a classifier's, escaped class names
        "x1,x2,prediction,p(0),p(1),p(2)",
    ],
)
def test_predict_still_replaces_the_layouts_it_writes(model, tmp_path, header):
    (tmp_path / "p.csv").write_text(header + "\n")
    code, _, err = cli("predict", model, "--x", "1", "--output", "p.csv", cwd=tmp_path)
    assert code == 0, err
    assert (tmp_path / "p.csv").read_text().startswith("x,y (predicted)\n1,")


# -- item 4: a PNG or an ONNX file is replaced only when backprop wrote it ------------------
def _png_software(path: Path) -> str | None:
    """The PNG's tEXt 'Software' value, read by Pillow (not by our own parser)."""
    from PIL import Image

    with Image.open(path) as image:
        return image.text.get("Software")


def test_vanishing_plot_refuses_a_png_backprop_did_not_write(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("PIL")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    fig.savefig(tmp_path / "photo.png")  # a PNG of someone else's (matplotlib's own mark)
    plt.close(fig)
    before = (tmp_path / "photo.png").read_bytes()
    argv = ("vanishing", "--depths", "1,2", "--width", "4", "--samples", "16", "--plot")
    code, _, err = cli(*argv, "photo.png", cwd=tmp_path)
    one_line(code, err, "--plot", "'photo.png'", "a PNG", "--overwrite")
    assert (tmp_path / "photo.png").read_bytes() == before
    for _ in range(2):  # a new plot, then its own: replaced
        code, _, err = cli(*argv, "v.png", cwd=tmp_path)
        assert code == 0, err
    assert _png_software(tmp_path / "v.png").startswith("backprop")
    code, _, err = cli(*argv, "photo.png", "--overwrite", cwd=tmp_path)
    assert code == 0, err


def test_export_onnx_refuses_an_onnx_model_another_program_made(model, tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    onnx.save(helper.make_model(graph, producer_name="pytorch"), str(tmp_path / "theirs.onnx"))
    before = (tmp_path / "theirs.onnx").read_bytes()
    code, _, err = cli("export", model, "--to", "onnx", "--out", "theirs.onnx", cwd=tmp_path)
    one_line(code, err, "--out", "'theirs.onnx'", "--overwrite")
    assert (tmp_path / "theirs.onnx").read_bytes() == before
    for _ in range(2):
        code, _, err = cli("export", model, "--to", "onnx", "--out", "m.onnx", cwd=tmp_path)
        assert code == 0, err
    assert onnx.load(str(tmp_path / "m.onnx")).producer_name == "backprop"


# -- item 5: --overwrite replaces a run folder, which a run marks -------------------------
def test_train_overwrite_keeps_a_folder_without_the_run_marker(model, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "model.safetensors").write_bytes(model.read_bytes())  # named as a run names them
    (mine / "spec.json").write_text('{"my": "notes"}\n')
    argv = ("train", "square", "--epochs", "2", "--no-plots", "-q", "--out", "mine")
    code, _, err = cli(*argv, "--overwrite", cwd=tmp_path)
    one_line(code, err, "'mine'", ".backprop-run.json", "--overwrite")
    assert sorted(p.name for p in mine.iterdir()) == ["model.safetensors", "spec.json"]
    assert (mine / "spec.json").read_text() == '{"my": "notes"}\n'
    code, _, err = cli(*argv[:-1], "run", cwd=tmp_path)  # a run folder: replaced whole
    assert code == 0, err
    code, _, err = cli(*argv[:-1], "run", "--overwrite", cwd=tmp_path)
    assert code == 0, err
