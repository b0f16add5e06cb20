"""Issue 8, item 7: hostile and mutated model files never run code, crash, hang or blow up.

A pickle named ``model.safetensors`` must be refused without unpickling (a canary file
proves nothing ran), by ``backprop.io.load`` and by ``backprop predict``. Then mutated copies
of a valid file (truncated, bit flips, lying header fields, oversized header length, NaN
weights, wrong metadata) must each raise ``ModelFileError`` -- or, if the mutation left the
file valid, load the same tensors that safetensors itself reads.
"""

import json
import pickle
import resource
import signal
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pytest

import backprop
import backprop.io as bio
import backprop.nn as nn
from backprop.errors import ModelFileError

safetensors_numpy = pytest.importorskip("safetensors.numpy")
PER_FILE_SECONDS = 2.0
MAX_RSS_GROWTH_MB = 200


class Canary:
    """Unpickling this creates the file at ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_payload_works_when_unpickled(tmp_path):
    # Guard against a payload that would do nothing even if it were unpickled.
    canary = tmp_path / "canary"
    pickle.loads(pickle.dumps(Canary(canary))).close()
    assert canary.exists()


def test_pickle_model_file_never_runs(tmp_path):
    canary = tmp_path / "canary"
    path = tmp_path / "that.safetensors"
    path.write_bytes(pickle.dumps(Canary(canary)))
    with pytest.raises(ModelFileError) as info:
        bio.load(path)
    cli = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--x", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = cli.stderr.strip().splitlines()
    print(f"hostile pickle: load -> {type(info.value).__name__}; CLI exit {cli.returncode}, "
          f"{len(lines)} stderr line(s); canary created: {canary.exists()}")  # fmt: skip
    assert not canary.exists()
    assert cli.returncode == 2
    assert len(lines) == 1, cli.stderr
    assert "Traceback" not in cli.stderr


# -- mutations -------------------------------------------------------------------------------
def split(data: bytes):
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8 : 8 + n]), data[8 + n :]


def join(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + body


def tensor_names(header):
    return sorted(k for k in header if k != "__metadata__")


def truncated(data, rng):
    return data[: int(rng.integers(0, len(data)))]


def bitflip_header(data, rng):
    n = int.from_bytes(data[:8], "little")
    i = int(rng.integers(0, 8 + n))
    out = bytearray(data)
    out[i] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def bitflip_anywhere(data, rng):
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        out[int(rng.integers(0, len(out)))] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def lying_offsets(data, rng):
    header, body = split(data)
    name = rng.choice(tensor_names(header))
    choices = [[0, 0], [-4, 8], [8, 4], [0, 10**12], [0, len(body) + 4], [2, 18], [0, "16"]]
    header[name]["data_offsets"] = choices[int(rng.integers(len(choices)))]
    return join(header, body)


def lying_shape(data, rng):
    header, body = split(data)
    name = rng.choice(tensor_names(header))
    choices = [[], [0], [-1, 4], [4, 2, 1], [10**5, 10**5], [2**40, 2**40], ["4"], [1.5], None]
    header[name]["shape"] = choices[int(rng.integers(len(choices)))]
    return join(header, body)


def lying_dtype(data, rng):
    header, body = split(data)
    name = rng.choice(tensor_names(header))
    choices = ["F64", "F16", "BF16", "I64", "U8", "BOOL", "I32", "X9", "", 7, None]
    header[name]["dtype"] = choices[int(rng.integers(len(choices)))]
    return join(header, body)


def oversized_header(data, rng):
    claims = [len(data) - 7, len(data) + 1, 2**31, 2**63, 2**64 - 1, 100_000_001]
    return int(claims[int(rng.integers(len(claims)))]).to_bytes(8, "little") + data[8:]


def huge_tensor(data, rng):
    # A header that claims a 10 GB tensor; it must be refused before allocating it.
    header, body = split(data)
    name = rng.choice(tensor_names(header))
    header[name] = {"dtype": "F32", "shape": [50_000, 50_000], "data_offsets": [0, 10**10]}
    return join(header, body)


def nan_weights(data, rng):
    header, body = split(data)
    name = rng.choice(tensor_names(header))
    start, end = header[name]["data_offsets"]
    values = np.frombuffer(body[start:end], dtype=np.float32).copy()
    values[int(rng.integers(values.size))] = rng.choice([np.nan, np.inf, -np.inf])
    return join(header, body[:start] + values.tobytes() + body[end:])


def wrong_metadata(data, rng):
    header, body = split(data)
    meta = header["__metadata__"]
    model = json.loads(meta["model"])
    edits = [
        lambda: meta.pop("format"),
        lambda: meta.update(format="pytorch"),
        lambda: meta.pop("model"),
        lambda: meta.update(model="{not json"),
        lambda: meta.update(model="[1, 2]"),
        lambda: meta.update(model=json.dumps({**model, "sizes": [2, 4, 3, 2]})),
        lambda: meta.update(model=json.dumps({**model, "sizes": "2-4-3-1"})),
        lambda: meta.update(model=json.dumps({**model, "activation": ["nope", "tanh"]})),
        lambda: meta.update(model=json.dumps({**model, "dtype": "float128"})),
        lambda: meta.update(model=json.dumps({**model, "sizes": [2, 10**9, 3, 1]})),
        lambda: meta.update(spec="{broken"),
        lambda: header.update(__metadata__=["format", "backprop"]),
        lambda: header.update(__metadata__={"format": 1}),
    ]
    edits[int(rng.integers(len(edits)))]()
    return join(header, body)


MUTATIONS = [truncated, bitflip_header, bitflip_anywhere, lying_offsets, lying_shape,
             lying_dtype, oversized_header, huge_tensor, nan_weights, wrong_metadata]  # fmt: skip


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang


def outcome(path, data) -> str:
    """'refused', 'loaded' (and equal to safetensors' own reading) or a failure description."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, PER_FILE_SECONDS)
    try:
        model = bio.load(path)
    except ModelFileError:
        return "refused"
    except Hang:
        return "hang"
    except Exception as error:  # noqa: BLE001 - any other type is what we count
        return f"{type(error).__name__}: {str(error)[:120]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    theirs = safetensors_numpy.load(data)
    ours = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    if set(ours) != set(theirs) or any(not np.array_equal(ours[k], theirs[k]) for k in ours):
        return "loaded, differs from safetensors"
    return "loaded"


def test_mutated_files(tmp_path, count):
    backprop.manual_seed(7)
    good = tmp_path / "good.safetensors"
    bio.save(nn.MLP([2, 4, 3, 1], activation="tanh"), good)
    data = good.read_bytes()
    rng = np.random.default_rng(7)
    n = count(300, 10_000)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kinds, results, failures = Counter(), Counter(), []
    slowest = 0.0
    path = tmp_path / "mutant.safetensors"
    for i in range(n):
        mutate = MUTATIONS[i % len(MUTATIONS)]
        mutant = mutate(data, rng)
        path.write_bytes(mutant)
        t0 = time.perf_counter()
        what = outcome(path, mutant)
        slowest = max(slowest, time.perf_counter() - t0)
        kinds[mutate.__name__] += 1
        results[(mutate.__name__, what.split(":")[0])] += 1
        if what not in ("refused", "loaded"):
            failures.append(f"{mutate.__name__} #{i}: {what}")
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    print(f"\nhostile files: {n} mutants, slowest {slowest * 1000:.0f} ms, "
          f"max RSS growth {rss_growth:.0f} MB, {len(failures)} failures")  # fmt: skip
    for kind in kinds:
        got = {w: c for (k, w), c in results.items() if k == kind}
        print(f"  {kind:18s} {kinds[kind]:6d}  {got}")
    for line in failures[:20]:
        print("  FAIL", line)
    assert not failures
    assert rss_growth < MAX_RSS_GROWTH_MB
