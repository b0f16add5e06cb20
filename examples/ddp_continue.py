"""Beyond one machine: prototype in backprop, export to PyTorch, continue with DDP.

1. Prototype: a 2-16-16-1 tanh MLP (float64) fits z = sin(x)·cos(y) with backprop's own
   ``fit`` (full-batch SGD) for a few epochs.
2. Export: ``backprop.interop.to_torch`` gives a ``torch.nn.Sequential`` with the same
   weights and state-dict keys.
3. Continue in PyTorch, two ways from the same weights:
   - one process, full batch, ``torch.optim.SGD``;
   - ``torch.nn.parallel.DistributedDataParallel`` with the gloo backend and two processes
     on 127.0.0.1 (``torch.multiprocessing.spawn``), each holding one half of the rows. Each
     rank's loss is the mean over its half; DDP averages the two gradients, which for equal
     halves is exactly the full batch's mean gradient. So both runs take the same steps and
     print the same loss trajectory (to rounding of the all-reduce, ~1e-16).
   It also checks the hand-over: backprop's own next epochs give the same losses as PyTorch's.

The same script runs on many machines with ``torchrun`` (which sets rank, world size and the
rendezvous address) and on GPUs with the nccl backend; see docs/scaling.md.

    python examples/ddp_continue.py [--prototype-epochs 50] [--steps 20] [--lr 0.1]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
from pathlib import Path

import numpy as np


def make_data(n=64, seed=0):
    """x (n, 2) in [-2, 2]², z = sin(x₀)·cos(x₁) + noise, both float64."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, size=(n, 2))
    z = np.sin(x[:, :1]) * np.cos(x[:, 1:]) + 0.05 * rng.normal(size=(n, 1))
    return x, z


def prototype(x, z, epochs=50, lr=0.1, seed=0):
    """Step 1: build and train the MLP in backprop; returns (model, history)."""
    import backprop
    import backprop.nn as nn
    import backprop.optim as optim
    from backprop.train import fit

    backprop.manual_seed(seed)
    model = nn.MLP([2, 16, 16, 1], "tanh", dtype=backprop.float64)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    history = fit(model, (x, z), nn.MSELoss(), optimizer, epochs=epochs, seed=seed)
    return model, history


def continue_backprop(model, x, z, steps, lr):
    """backprop's own next ``steps`` full-batch SGD epochs: the loss before each one's step
    (fit's history reports the loss its engine computed in each epoch's forward pass)."""
    import copy

    import backprop.nn as nn
    import backprop.optim as optim
    from backprop.train import fit

    model = copy.deepcopy(model)
    optimizer = optim.SGD(model.parameters(), lr=lr)
    return fit(model, (x, z), nn.MSELoss(), optimizer, epochs=steps).history["loss"]


def continue_single(torch_model, x, z, steps, lr):
    """Full-batch SGD in one process: the loss before each step and after the last."""
    import copy

    import torch

    model = copy.deepcopy(torch_model)
    xt, zt = torch.from_numpy(x), torch.from_numpy(z)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(xt), zt)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        losses.append(torch.nn.functional.mse_loss(model(xt), zt).item())
    return losses


def _worker(rank, world_size, port, torch_model, x, z, steps, lr, out_path):
    """One DDP process: its shard of the rows, the mean loss on it, DDP-averaged gradients."""
    import copy

    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size
    )
    try:
        shard = np.array_split(np.arange(len(x)), world_size)[rank]
        xt, zt = torch.from_numpy(x[shard]), torch.from_numpy(z[shard])
        # spawn hands tensors over in shared memory: without a copy both ranks would update
        # the same weights, and every step would be taken twice
        model = DistributedDataParallel(copy.deepcopy(torch_model))
        optimizer = torch.optim.SGD(model.parameters(), lr=lr)

        def global_loss(value):
            total = value.detach().clone()
            dist.all_reduce(total)  # sum of the shards' means; equal shards: / world = mean
            return total.item() / world_size

        losses = []
        for _ in range(steps):
            optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xt), zt)
            loss.backward()  # DDP all-reduces and averages the gradients here
            optimizer.step()
            losses.append(global_loss(loss))
        with torch.no_grad():
            losses.append(global_loss(torch.nn.functional.mse_loss(model(xt), zt)))
        if rank == 0:
            np.save(out_path, np.array(losses))
        # tear down in order: every rank done communicating, DDP's hooks gone, then the
        # group (gloo threads still holding work at interpreter exit can abort the process)
        dist.barrier()
        del model, optimizer
    finally:
        dist.destroy_process_group()
    # Leave without the interpreter's teardown: gloo's C++ threads can still be running when
    # it destroys them ("terminate called without an active exception", SIGABRT, seen about
    # one run in twenty). Every result is on disk and the group is closed, so nothing is lost;
    # an exception above still propagates to spawn as usual.
    import os

    os._exit(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def continue_ddp(torch_model, x, z, steps, lr, world_size=2):
    """The same training with DDP over ``world_size`` processes (gloo, 127.0.0.1)."""
    import torch.multiprocessing as mp

    if len(x) % world_size:
        raise ValueError(
            f"{len(x)} rows do not split into {world_size} equal shards; with unequal shards "
            "the mean of the shards' means is not the full batch's mean."
        )
    with tempfile.TemporaryDirectory() as folder:
        out_path = Path(folder) / "losses.npy"
        mp.spawn(
            _worker,
            args=(world_size, _free_port(), torch_model, x, z, steps, lr, str(out_path)),
            nprocs=world_size,
            join=True,
        )
        return np.load(out_path).tolist()


def main(prototype_epochs=50, steps=20, lr=0.1):
    from backprop.interop import to_torch

    x, z = make_data()
    model, history = prototype(x, z, epochs=prototype_epochs, lr=lr)
    print(
        f"1. prototype in backprop: {prototype_epochs} epochs of full-batch SGD, "
        f"MSE {history.history['loss'][0]:.6f} -> {history.history['loss'][-1]:.6f}"
    )
    torch_model = to_torch(model)
    print(f"2. exported to PyTorch: {', '.join(torch_model.state_dict())}")
    single = continue_single(torch_model, x, z, steps, lr)
    ddp = continue_ddp(torch_model, x, z, steps, lr)
    ours = continue_backprop(model, x, z, steps, lr)
    print(f"3. {steps} more steps, loss before each step and after the last:")
    print("   step   one process        DDP (2 x gloo)     |difference|")
    for i, (a, b) in enumerate(zip(single, ddp)):
        print(f"   {i:>4}   {a:.15f}  {b:.15f}  {abs(a - b):.1e}")
    gap = max(abs(a - b) for a, b in zip(single, ddp))
    handover = max(abs(a - b) for a, b in zip(single[:-1], ours))
    print(f"largest difference one process vs DDP: {gap:.1e}")
    print(f"largest difference PyTorch vs continuing in backprop: {handover:.1e}")
    return single, ddp, ours


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prototype-epochs", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.1)
    a = parser.parse_args()
    main(a.prototype_epochs, a.steps, a.lr)
