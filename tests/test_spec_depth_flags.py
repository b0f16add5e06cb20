"""--hidden and --layers over a spec whose activations were given per hidden layer.

A spec's one activation name is spelt out by the loader as one per hidden layer
(['relu', 'relu'] for the 1-8-8-1 square spec): `train square --hidden 4` was refused with
"must name one activation per hidden layer (1); got ['relu', 'relu']" though the file says
"relu" once. A list of different names cannot be fitted to another depth without a guess.
"""

import json

from backprop.io import load
from cli_helpers import cli, one_line


def test_the_built_in_spec_takes_another_depth(tmp_path):
    code, _, err = cli("train", "square", "--hidden", "4", "--epochs", "3", "--no-plots",
                       "-q", "--out", "run", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    model = load(tmp_path / "run" / "model.safetensors")
    linears = [m for m in model.modules() if type(m).__name__ == "Linear"]
    assert [(m.in_features, m.out_features) for m in linears] == [(1, 4), (4, 1)]


def test_one_name_in_a_file_fits_a_deeper_layers_flag(tmp_path):
    spec = {"data": {"name": "square"}, "model": {"hidden": [8], "activation": ["tanh"]},
            "epochs": 2}  # fmt: skip
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, _, err = cli("train", "s.json", "--layers", "1,5,5,5,1", "--no-plots", "-q",
                       "--out", "run", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    saved = json.loads((tmp_path / "run" / "spec.json").read_text())
    assert saved["model"]["activation"] in ("tanh", ["tanh"] * 3)


def test_different_names_and_another_depth_are_refused_with_the_fix(tmp_path):
    spec = {"data": {"name": "square"},
            "model": {"hidden": [8, 8], "activation": ["relu", "tanh"]}, "epochs": 2}  # fmt: skip
    (tmp_path / "s.json").write_text(json.dumps(spec))
    code, _, err = cli("train", "s.json", "--hidden", "4", "--no-plots", cwd=tmp_path)
    one_line(code, err, "--hidden 4", "1 hidden layer", "relu,tanh", "--activation")
    code, _, err = cli("train", "s.json", "--hidden", "4,4", "--no-plots", "-q", "--out", "r",
                       cwd=tmp_path)  # fmt: skip
    assert code == 0, err  # the same depth keeps the spec's own names
    saved = json.loads((tmp_path / "r" / "spec.json").read_text())
    assert saved["model"]["activation"] == ["relu", "tanh"]
