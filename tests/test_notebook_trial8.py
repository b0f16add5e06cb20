"""The eighth Jupyter student's findings (issue 17, brief N17I).

Inputs to the δ engine (``delta.trace``/``backward``/``compute``) pass the one reader of
numbers ``fit`` uses (``data.checks.as_numeric``), so text, ragged lists and a lone number
get backprop's own message, never NumPy's; a 0-d input is refused as ``nn.Linear`` and
PyTorch refuse it, with the call that works. Kernel tests (nbclient) reuse
``test_notebook_trial6._execute``.
"""

from __future__ import annotations

import pytest

from backprop import delta, nn
from backprop.delta import lecture
from backprop.errors import BackpropError


def _said(fn, *args) -> str:
    with pytest.raises(BackpropError) as caught:
        fn(*args)
    return str(caught.value)


# -- 1. the δ engine's inputs --------------------------------------------------------------


def test_a_lone_number_is_refused_with_the_call_that_works_as_torch_refuses_it():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):  # PyTorch: a 0-d input to a Linear layer is an error
        torch.nn.Linear(1, 1)(torch.tensor(0.5))
    net = lecture.scalar_network((0.8, -1.3, 0.7))
    said = _said(delta.trace, net, 0.5)
    assert "one number" in said and "[[0.5]]" in said, said
    assert "has 1 feature" not in said  # the old message: '1 feature … but expects 1'
    # the call it names works, and gives the lecture's ŷ for x = 0.5 (hand-worked: 0.220281)
    assert round(float(delta.trace(net, [[0.5]]).y_hat.item()), 6) == 0.220281


def test_text_is_refused_as_not_numbers_for_x_and_for_y():
    net = lecture.scalar_network((0.8, -1.3, 0.7))
    said = _said(delta.trace, net, "ab")
    assert "not numbers" in said and "'ab'" in said and "x" in said, said
    said = _said(delta.trace, net, [[0.5]], [["ab"]], nn.MSELoss())
    assert "not numbers" in said and "'ab'" in said and "y" in said, said
    said = _said(delta.trace, nn.MLP([2, 1]), [[1, "a"]])  # NumPy makes both text
    assert "'a' at row 0, column 1" in said and "astype(float)" not in said, said


def test_ragged_rows_get_backprops_error_naming_the_rows_not_numpys():
    net = nn.MLP([2, 3, 1])
    for call in (
        lambda: delta.trace(net, [[1, 2], [3]]),
        lambda: delta.backward(net, [[1, 2], [3]], [[1.0], [2.0]], nn.MSELoss()),
        lambda: delta.trace(net, [[1, 2], [3, 4]], [[1.0], [2.0, 3.0]], nn.MSELoss()),
    ):
        said = _said(call)
        assert "sequence" not in said and "inhomogeneous" not in said, said
        assert "row 0" in said and "row 1" in said, said
