"""`backprop demo` opens as the slide sets up the run and counts epochs as the slide's loop
does (issue 15): 'Epoch 0 … 9000', each the loss before that epoch's update — checked
against the lecture's own loop run in PyTorch from the same weights and data."""

import re
import subprocess
import sys

import numpy as np
import pytest

from backprop.interop import to_torch
from backprop.spec import builtin, prepare

torch = pytest.importorskip("torch")


def test_demo_intro_and_slide_epochs_match_the_lectures_loop_in_torch(tmp_path):
    epochs = 50
    done = subprocess.run(
        [sys.executable, "-m", "backprop", "demo", "--epochs", str(epochs), "--no-plots",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        "Training a 1-8-8-1 ReLU network with Adam (lr 0.1) for 50 epochs on y = x² + noise: "
        "100 training points, full batch, MSE loss."
    )
    shown = {int(m[1]): float(m[2]) for m in re.finditer(r"^Epoch (\d+): training loss: (\S+)$",
                                                         done.stdout, re.M)}  # fmt: skip
    assert sorted(shown) == list(range(0, epochs, 5))

    # the slide's loop, in torch, from the run's initial weights and data
    r = prepare({**builtin("square"), "epochs": epochs})
    model = to_torch(r.model)
    x = torch.from_numpy(np.asarray(r.dataset.x, dtype=np.float32))
    y = torch.from_numpy(np.asarray(r.dataset.y, dtype=np.float32))
    adam = torch.optim.Adam(model.parameters(), lr=1e-1)
    loss_function = torch.nn.MSELoss()
    seen = {}
    for epoch in range(epochs):
        adam.zero_grad()
        loss = loss_function(model(x), y)
        if epoch % 5 == 0:
            seen[epoch] = loss.item()
        loss.backward()
        adam.step()
    assert seen.keys() == shown.keys()
    for epoch in seen:
        assert shown[epoch] == pytest.approx(seen[epoch], rel=1e-3), epoch
