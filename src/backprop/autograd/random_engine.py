"""The 32-bit Mersenne twister behind ``manual_seed``, laid out as PyTorch's CPU generator.

PyTorch's CPU generator is MT19937 seeded from the low 32 bits of the seed (the classic
``init_genrand`` recursion ``s[j] = 1812433253 * (s[j-1] ^ (s[j-1] >> 30)) + j``), with two
extras: a 64-bit draw is two 32-bit draws, the first one the high half; and one cached
double-precision normal sample, left over from the last Box-Muller pair. NumPy's
``MT19937`` with its legacy seeding is the same twister with the same seeding, so its
``random_raw`` gives the raw stream vectorised; this module adds the cache, PyTorch's state
layout (the 5056 bytes ``torch.get_rng_state()`` returns, so states move between the two
libraries; backprop has no uint8 dtype, so its ``get_state()`` holds the same byte values in
an int64 tensor) and nothing else. The distributions live in ``random_draws``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

N = 624  # words of twister state
STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState) in PyTorch 2.13
_SEED, _LEFT, _SEEDED, _NEXT = 0, 8, 12, 16  # byte offsets of the legacy header
_WORDS = 24  # the state words follow, stored as 624 uint64
_NORMAL_Y, _NORMAL_VALID = _WORDS + 8 * N + 8, _WORDS + 8 * N + 24
_FLOAT_SAMPLE, _FLOAT_VALID = _NORMAL_VALID + 4, _NORMAL_VALID + 8


class Engine:
    """One twister stream: seed, raw 32/64-bit draws, the cached normal, the state bytes."""

    __slots__ = ("bits", "float_normal", "fresh", "normal", "seed")

    def __init__(self, seed: int = 67280421310721) -> None:
        self.bits = np.random.MT19937()
        self.reseed(seed)

    def reseed(self, seed: int) -> None:
        """PyTorch's ``manual_seed``: twister from the low 32 bits, caches cleared."""
        self.seed = seed
        self.bits._legacy_seeding(seed & 0xFFFFFFFF)
        self.fresh = True  # seeded, nothing drawn yet (PyTorch's next_ = 0, left_ = 1)
        self.normal = None  # the cached second sample of a double Box-Muller pair
        self.float_normal = None  # kept for the state layout; PyTorch's CPU kernels never set it

    def u32(self, n: int) -> np.ndarray:
        """``n`` raw 32-bit draws as uint64 (room for the arithmetic that follows)."""
        self.fresh = False
        return self.bits.random_raw(n)

    def u64(self, n: int) -> np.ndarray:
        """``n`` 64-bit draws, each two 32-bit draws with the first as the high half."""
        self.fresh = False
        pairs = self.bits.random_raw(2 * n).reshape(n, 2)
        return (pairs[:, 0] << np.uint64(32)) | pairs[:, 1]

    # -- state as PyTorch lays it out ------------------------------------------------------
    def state_bytes(self) -> np.ndarray:
        raw = self.bits.state["state"]
        pos = int(raw["pos"])
        buf = np.zeros(STATE_BYTES, dtype=np.uint8)
        buf[_SEED : _SEED + 8] = _le(np.uint64(self.seed & (2**64 - 1)))
        nxt, left = (0, 1) if self.fresh else (pos, N + 1 - pos)
        buf[_LEFT : _LEFT + 4] = _le(np.int32(left))
        buf[_SEEDED : _SEEDED + 4] = _le(np.int32(1))
        buf[_NEXT : _NEXT + 8] = _le(np.uint64(nxt))
        buf[_WORDS : _WORDS + 8 * N] = np.asarray(raw["key"], dtype="<u8").view(np.uint8)
        if self.normal is not None:
            buf[_NORMAL_Y : _NORMAL_Y + 8] = _le(np.float64(self.normal))
            buf[_NORMAL_VALID] = 1
        if self.float_normal is not None:
            buf[_FLOAT_SAMPLE : _FLOAT_SAMPLE + 4] = _le(np.float32(self.float_normal))
            buf[_FLOAT_VALID] = 1
        return buf

    def load_bytes(self, buf: np.ndarray) -> None:
        """Set the stream from PyTorch's state bytes (already checked by ``state_problem``)."""
        seed, left, nxt, words = _fields(buf)
        self.bits.state = {
            "bit_generator": "MT19937",
            "state": {"key": words.astype(np.uint32), "pos": N if left == 1 else nxt},
        }
        self.seed, self.fresh = seed, left == 1 and nxt == 0
        valid = buf[_NORMAL_VALID] != 0
        self.normal = float(buf[_NORMAL_Y : _NORMAL_Y + 8].view("<f8")[0]) if valid else None
        fvalid = buf[_FLOAT_VALID] != 0
        fsample = buf[_FLOAT_SAMPLE : _FLOAT_SAMPLE + 4].view("<f4")[0]
        self.float_normal = float(fsample) if fvalid else None


def _le(value) -> np.ndarray:
    """A NumPy scalar's bytes, little-endian (the layout PyTorch writes on x86)."""
    return np.frombuffer(
        np.asarray(value).astype(value.dtype.newbyteorder("<")).tobytes(), np.uint8
    )


def _fields(buf: np.ndarray):
    seed = int(buf[_SEED : _SEED + 8].view("<u8")[0])
    left = int(buf[_LEFT : _LEFT + 4].view("<i4")[0])
    nxt = int(buf[_NEXT : _NEXT + 8].view("<u8")[0])
    words = buf[_WORDS : _WORDS + 8 * N].view("<u8")
    return seed, left, nxt, words


def state_problem(value) -> str | None:
    """What is wrong with ``value`` as a generator state, or None if it is one.

    A state is PyTorch's layout: 5056 byte values (backprop's int64 tensor from
    ``get_state()``, PyTorch's uint8 tensor, or an integer array), with a twister position
    inside the state and 32-bit state words.
    """
    data = _array(value)
    if (
        not isinstance(data, np.ndarray)
        or data.dtype.kind not in "ui"
        or data.shape != (STATE_BYTES,)
    ):
        got = getattr(data, "dtype", type(data).__name__), getattr(data, "shape", "")
        return f"must be {STATE_BYTES} byte values (what get_state() returns), got {got}"
    if data.size and (int(data.min()) < 0 or int(data.max()) > 255):
        return "holds values outside 0..255, so it is not a state's bytes"
    _, left, nxt, words = _fields(data.astype(np.uint8))
    if not (0 < left <= N and nxt <= N) or (left != 1 and nxt != N + 1 - left):
        return f"holds an invalid twister position (left={left}, next={nxt})"
    if int(words.max()) >> 32:
        return "holds state words wider than 32 bits"
    return None


def _array(value):
    data = getattr(value, "_data", value)
    if hasattr(data, "detach") and not isinstance(data, np.ndarray):  # a torch tensor
        data = data.detach().cpu().numpy()
    return data


def as_state_bytes(value, who: str) -> np.ndarray:
    problem = state_problem(value)
    if problem is not None:
        raise ConfigError(f"{who}: new_state {problem}; pass what get_state() returned.")
    return _array(value).astype(np.uint8)
