"""run() and fit() answer a misspelt or unknown keyword in the project's words (a did-you-mean
and where the setting lives), as sweep() and compare() do — Python's bare TypeError named no fix
(the fourth Jupyter trial: ``sweep(epochs=200)``; the same class for run and fit)."""

import pytest

import backprop as bp
from backprop.errors import ConfigError


def test_run_points_a_spec_setting_to_its_place_in_the_spec():
    with pytest.raises(ConfigError) as caught:
        bp.run("square", epochs=3)
    text = str(caught.value)
    assert "s['epochs'] = ..." in text and "spec.builtin('square')" in text
    with pytest.raises(ConfigError, match=r"s\['optimizer'\]\['lr'\]"):
        bp.run("square", lr=0.1)


def test_fit_names_the_keyword_it_meant():
    model = bp.nn.MLP([1, 2, 1])
    opt = bp.optim.SGD(model.parameters(), lr=0.1)
    x = bp.tensor([[0.0], [1.0]])
    with pytest.raises(ConfigError, match="Did you mean 'epochs'"):
        bp.fit(model, (x, x), bp.nn.MSELoss(), opt, epoch=3)
    with pytest.raises(ConfigError, match="missing a required argument"):
        bp.fit(model, (x, x))


def test_the_wrapped_functions_still_train_and_keep_their_docs():
    model = bp.nn.MLP([1, 2, 1])
    opt = bp.optim.SGD(model.parameters(), lr=0.1)
    x = bp.tensor([[0.0], [1.0]])
    history = bp.fit(model, (x, x), bp.nn.MSELoss(), opt, epochs=2, verbose=False)
    assert len(history["loss"]) == 2
    assert "spec" in bp.run.__doc__ and bp.fit.__doc__
