"""A CSV run's plots speak the CSV's language (issue 15, second trial): the decision
boundary is drawn in the columns' own units, axes named by the columns and classes by the
CSV's labels; a regression's loss plot says the loss is on the standardised target z, as
the log and the final line do. Built-in data keeps the lecture's x₁, x₂ and class numbers."""

import numpy as np
import pytest

from cli_helpers import cli

pytest.importorskip("matplotlib")


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plots save, by file name (the PNG is still written)."""
    from backprop.plots import _base, boundary, diagram, fit, training

    seen = {}

    def keep(fig, path):
        seen[str(path).rsplit("/", 1)[-1]] = fig
        return _base.save(fig, path)

    for module in (boundary, diagram, fit, training):
        monkeypatch.setattr(module, "save", keep)
    return seen


def _people(folder):
    rng = np.random.default_rng(0)
    h, w = rng.normal(170, 10, 120), rng.normal(70, 12, 120)
    build = np.where(w / (h / 100) ** 2 > 24.5, "heavy", "light")
    rows = [f"{a:.1f},{b:.1f},{c}" for a, b, c in zip(h, w, build)]
    (folder / "people.csv").write_text("height_cm,weight_kg,build\n" + "\n".join(rows) + "\n")
    return h, w


def test_a_csv_classifiers_boundary_uses_its_columns_units_and_labels(tmp_path, figures):
    h, _ = _people(tmp_path)
    code, _, err = cli("train", "--csv", "people.csv", "--target", "build", "--hidden", "8",
                       "--epochs", "20", "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    ax = figures["boundary.png"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("height_cm", "weight_kg")
    lo, hi = ax.get_xlim()
    assert lo <= h.min() and hi >= h.max() and lo > 0  # centimetres, not z-scores
    legend = [t.get_text() for legend in figures["boundary.png"].legends for t in legend.texts]
    assert legend == ["train, class heavy", "train, class light"]
    bar = figures["boundary.png"].axes[1].get_ylabel()
    assert "P(class light)" in bar


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_a_csv_classifiers_network_diagram_names_its_columns_and_classes(tmp_path, figures):
    _people(tmp_path)
    code, _, err = cli("train", "--csv", "people.csv", "--target", "build", "--hidden", "3",
                       "--epochs", "5", "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    texts = _texts(figures["network.png"])
    assert "height_cm  x₁" in texts and "weight_kg  x₂" in texts
    assert "ŷ  logit of P(light)" in texts
    assert any(t.endswith("= x, standardised") for t in texts)


def test_a_built_in_sets_boundary_keeps_the_lectures_notation(tmp_path, figures):
    code, _, err = cli("train", "--data", "xor", "--hidden", "4", "--epochs", "3", "--quiet",
                       "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    ax = figures["boundary.png"].axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x₁", "x₂")
    texts = _texts(figures["network.png"])
    assert "x₁" in texts and "ŷ" in texts and not any("standardised" in t for t in texts)


def _houses(folder, features=("size", "rooms")):
    rng = np.random.default_rng(0)
    size, rooms = rng.uniform(50, 250, 150), rng.integers(1, 7, 150)
    price = 3 * size + 10 * rooms + rng.normal(0, 5, 150)
    columns = {"size": size, "rooms": rooms}
    rows = [",".join(f"{columns[f][i]:g}" for f in features) + f",{price[i]:.2f}"
            for i in range(150)]  # fmt: skip
    (folder / "h.csv").write_text(",".join(features) + ",price\n" + "\n".join(rows) + "\n")


def test_a_csv_regressions_loss_plot_says_the_loss_is_on_the_standardised_target(tmp_path, figures):
    _houses(tmp_path)
    code, out, err = cli("train", "--csv", "h.csv", "--target", "price", "--epochs", "5",
                         "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    fig = figures["loss.png"]
    assert "on the standardised target z" in fig.axes[0].get_ylabel()
    caption = fig.get_supxlabel().replace("\n", " ")
    assert "price = " in caption and "on z" in caption
    assert "trained on standardised z (price = " in out  # the final line, in the same words


def test_a_built_in_regressions_loss_plot_still_names_the_plain_loss(tmp_path, figures):
    code, _, err = cli("train", "--data", "square", "--hidden", "4", "--epochs", "3",
                       "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    assert figures["loss.png"].axes[0].get_ylabel().startswith("MSE loss")


def test_a_one_column_csv_fit_plot_names_the_column_and_its_scaling(tmp_path, figures):
    _houses(tmp_path, features=("size",))
    code, _, err = cli("train", "--csv", "h.csv", "--target", "price", "--epochs", "5",
                       "--quiet", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert code == 0, err
    ax = figures["fit.png"].axes[0]
    assert ax.get_xlabel().startswith("size, standardised: (size − ")
    assert ax.get_ylabel().startswith("price")
