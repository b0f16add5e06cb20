"""backprop.interop.as_torch: a script's ``import torch`` runs on backprop, unchanged.

The scripts are written here and run in a child process (as a user runs them), so the import
hook never touches this test process's own modules.
"""

import subprocess
import sys
import textwrap

import pytest

import backprop


def _run(tmp_path, source, *args):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "backprop.interop.as_torch", str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_a_small_training_script_runs_on_backprop(tmp_path):
    done = _run(
        tmp_path,
        """
        import sys
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim

        assert torch.__name__ == "torch" and torch.Tensor.__module__.startswith("backprop")
        torch.manual_seed(0)
        x = torch.linspace(-1, 1, 64).unsqueeze(1)
        y = x.pow(2)
        model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 1))
        opt = optim.SGD(model.parameters(), lr=0.1)
        first = None
        for step in range(200):
            loss = F.mse_loss(model(x), y)
            first = loss.item() if first is None else first
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(sys.argv[1:], first, loss.item())
        assert loss.item() < first / 2
        """,
        "--flag",
        "7",
    )
    assert done.returncode == 0, done.stderr
    assert "['--flag', '7']" in done.stdout


def test_names_resolve_to_the_backprop_objects(tmp_path):
    done = _run(
        tmp_path,
        """
        import torch, torch.nn as nn, backprop
        from torch.nn import Linear
        assert Linear is backprop.nn.Linear and nn.Module is backprop.nn.Module
        assert torch.tensor is backprop.tensor and torch.Tensor is backprop.Tensor
        assert isinstance(torch.zeros(2), backprop.Tensor)
        print("same objects")
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "same objects" in done.stdout


def test_a_missing_submodule_says_backprop_does_not_provide_it(tmp_path):
    done = _run(tmp_path, "import torch.no_such_module_here\n")
    assert done.returncode != 0
    assert "backprop does not provide torch.no_such_module_here yet" in done.stderr
    assert "ModuleNotFoundError" in done.stderr or "MissingTorchModule" in done.stderr


def test_a_missing_attribute_says_backprop_does_not_provide_it(tmp_path):
    done = _run(tmp_path, "import torch\ntorch.no_such_function_here(1)\n")
    assert done.returncode != 0
    assert "backprop does not provide torch.no_such_function_here yet" in done.stderr


def test_a_missing_tensor_method_is_named_in_a_note(tmp_path):
    done = _run(tmp_path, "import torch\ntorch.zeros(2).no_such_method_here()\n")
    assert done.returncode != 0
    assert "backprop does not provide torch.Tensor.no_such_method_here yet" in done.stderr


def test_an_out_of_scope_module_names_the_scope_and_to_torch(tmp_path):
    done = _run(
        tmp_path,
        """
        try:
            import torch.distributed
        except ImportError as exc:
            print(exc)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "outside backprop's scope" in done.stdout
    assert "backprop.interop.to_torch" in done.stdout


def test_the_script_exit_status_is_passed_on(tmp_path):
    done = _run(tmp_path, "import sys, torch\nsys.exit(3)\n")
    assert done.returncode == 3


def test_install_and_uninstall_in_process():
    torch = pytest.importorskip("torch")
    from backprop.interop import as_torch

    as_torch.install()
    try:
        import torch as swapped

        assert swapped.Tensor is backprop.Tensor
        with pytest.raises(AttributeError, match=r"backprop does not provide torch\.nope_x yet"):
            swapped.nope_x  # noqa: B018
    finally:
        as_torch.uninstall()
    import torch as real

    assert real is torch and not as_torch.installed()
