"""The whole processes of the "user paths" section: the ``backprop`` console script's argv,
and the same job as a plain PyTorch or scikit-learn script, or as ``user_jobs.<runner>`` in a
fresh interpreter (the INTERNAL kernel, or ``fit`` as a user's script). Each returns an argv
list for ``subprocess``; the scripts make their own data the way such a script would.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def backprop_command() -> list[str]:
    """The console script next to this interpreter (what `backprop` runs), not a pyenv shim."""
    script = Path(sys.executable).parent / "backprop"
    if script.exists():
        return [str(script)]
    found = shutil.which("backprop")
    return [found] if found else [sys.executable, "-m", "backprop"]


def cli_argv(template: list[str], epochs: int, spec_path: str) -> list[str]:
    """`backprop ARGS` with {epochs} and {spec} filled in."""
    return [*backprop_command(), *(a.format(epochs=epochs, spec=spec_path) for a in template)]


_TORCH_SCRIPT = """
import numpy as np, torch
torch.set_num_threads(1)
{data}
layers = []
for a, b in zip({sizes}[:-1], {sizes}[1:]):
    layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
model = torch.nn.Sequential(*layers[:-1])
opt = torch.optim.Adam(model.parameters(), lr={lr})
loss_fn = torch.nn.{loss}()
rng = np.random.default_rng(0)
for epoch in range({epochs}):
    order = torch.from_numpy(rng.permutation(len(x))) if {batch} else slice(None)
    for lo in range(0, len(x), {batch} or len(x)):
        rows = order[lo:lo + {batch}] if {batch} else order
        opt.zero_grad()
        loss = loss_fn(model(x[rows]), y[rows])
        loss.backward()
        opt.step()
print(loss.item())
"""

_DATA = {
    "lecture": "torch.manual_seed(0)\nx = 5 * torch.randn(100, 1)\ny = x**2 + torch.randn(100, 1)",
    "digits": (
        "from sklearn.datasets import load_digits\n"
        "from sklearn.model_selection import train_test_split\n"
        "d = load_digits()\n"
        "xa, xt, ya, yt = train_test_split(d.data, d.target, test_size=0.2, random_state=0)\n"
        "xa = (xa - xa.mean(0)) / np.where(xa.std(0) > 0, xa.std(0), 1)\n"
        "x = torch.tensor(xa, dtype=torch.float32); y = torch.tensor(ya)"
    ),
    "wide": (
        "rng = np.random.default_rng(0)\n"
        "x = torch.from_numpy(rng.standard_normal(({rows}, 784)).astype(np.float32))\n"
        "y = torch.from_numpy(rng.integers(0, 10, {rows}).astype(np.int64))"
    ),
}


def torch_script(job, epochs: int) -> list[str] | None:
    """The same job as a plain PyTorch script, one process (its own data, same sizes)."""
    if job.name not in _DATA:
        return None
    code = _TORCH_SCRIPT.format(
        data=_DATA[job.name].format(rows=len(job.x)),
        sizes=job.sizes,
        lr=job.lr,
        epochs=epochs,
        batch=job.batch or 0,
        loss="MSELoss" if job.loss == "mse" else "CrossEntropyLoss",
    )
    return [sys.executable, "-c", code]


_SCRIPT = """
import sys
sys.path[:0] = {paths!r}
from benchmarks import user_jobs
job = user_jobs.{maker}
print(user_jobs.{call}(job, {epochs})[0])
"""


def job_script(job, epochs: int, call: str = "internal_kernel") -> list[str]:
    """``user_jobs.<call>`` on the job in a fresh process (imports and data included):
    INTERNAL ``fused.train`` by default, or ``'fit_path("auto")'`` as a user's script."""
    root = Path(__file__).resolve().parent.parent
    maker = {
        "lecture": f"lecture_job({epochs})",
        "digits": f"digits_job({epochs})",
        "wide": f"wide_job({epochs}, {len(job.x)})",
    }[job.name]
    code = _SCRIPT.format(
        paths=[str(root), str(root / "src")], maker=maker, epochs=epochs, call=call
    )
    return [sys.executable, "-c", code]


_SKLEARN_SCRIPT = """
import warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
d = load_digits()
xa, xt, ya, yt = train_test_split(d.data, d.target, test_size=0.2, random_state=0)
mu, sd = xa.mean(0), np.where(xa.std(0) > 0, xa.std(0), 1)
clf = MLPClassifier(hidden_layer_sizes={hidden}, batch_size={batch}, learning_rate_init={lr},
                    max_iter={epochs}, tol=0.0, n_iter_no_change={epochs} + 1, alpha=0.0,
                    random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit((xa - mu) / sd, ya)
print(clf.score((xt - mu) / sd, yt))
"""


def sklearn_script(job, epochs: int) -> list[str] | None:
    """The digits job as a plain scikit-learn script, one process (None for other jobs)."""
    if job.name != "digits":
        return None
    code = _SKLEARN_SCRIPT.format(
        hidden=tuple(job.sizes[1:-1]), batch=job.batch, lr=job.lr, epochs=epochs
    )
    return [sys.executable, "-c", code]
