"""How the command line reads numbers (issue 12, items 8 and 9), against Python's own readers.

A list field reads as ``float()``/``int()`` read it, a range as ``range()`` builds it; an empty
field is an error, never skipped; a word like ``-1,2``, ``-2e3`` or ``-.5`` is a value, not an
option, while real options (``-q``, ``-h``) keep working. A range is sized before it is built.
"""

import argparse
import random
import time

import numpy as np
import pytest

from backprop.cli.app import build_parser
from backprop.cli.common import float_list, int_list, ints, name_list


def _forms(rng: random.Random, value: float) -> str:
    """One of the ways a user writes a number."""
    return rng.choice(
        [repr(value), f"{value:.3e}", f"{value:.2E}", f"{value:+.4f}", f"{value:g}"]
    ).replace("0.", ".", 1 if rng.random() < 0.3 else 0)


def test_float_lists_read_each_field_as_python_reads_it_or_refuse_it():
    rng = random.Random(9)
    for _ in range(300):
        values = [rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-20, 20) for _ in range(4)]
        fields = [_forms(rng, v) for v in values[: rng.randint(1, 4)]]
        assert float_list(",".join(fields)) == [float(f) for f in fields]
        fields[rng.randrange(len(fields))] += " 1"  # a field float() cannot read ('1 2')
        with pytest.raises(argparse.ArgumentTypeError, match="is not a number"):
            float_list(",".join(fields))


@pytest.mark.parametrize("parse", [float_list, int_list, name_list])
def test_an_empty_field_is_an_error_never_skipped(parse):
    rng = random.Random(3)
    for _ in range(50):
        fields = [str(rng.randint(1, 9)) for _ in range(rng.randint(1, 4))]
        fields.insert(rng.randint(0, len(fields)), "" if rng.random() < 0.5 else "  ")
        with pytest.raises(argparse.ArgumentTypeError, match="empty"):
            parse(",".join(fields))


@pytest.mark.parametrize("text", ["nan", "-inf", "inf", "1e999", "-1e400", "0.5,NaN"])
def test_non_finite_numbers_are_refused_with_the_reason(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"NaN|infinit"):
        float_list(text)


def test_ranges_are_built_as_range_builds_them_and_sized_first():
    parse = ints(1, 10**15, "fix")
    rng = random.Random(5)
    for _ in range(200):
        lo = rng.randint(1, 500)
        hi, step = lo + rng.randint(0, 900), rng.randint(1, 7)
        text = f"{lo}..{hi}" + (f":{step}" if step > 1 else "")
        assert parse(text) == list(range(lo, hi + 1, step))
    start = time.perf_counter()
    with pytest.raises(argparse.ArgumentTypeError, match="more than 1000"):
        parse("1..1000000000000000")  # 10^15 values: refused from its size, never built
    assert time.perf_counter() - start < 0.1


def test_negative_numbers_and_exponents_are_values_not_options():
    parser = build_parser()
    args = parser.parse_args(["predict", "m.safetensors", "--x", "0.5,1.0", "-1,2", "-2e3", "-.5"])
    assert args.x == [[0.5, 1.0], [-1.0, 2.0], [-2000.0], [-0.5]]
    args = parser.parse_args(["explain", "vector", "--x", "-0.7,-1.2", "--y", "-1E-3"])
    assert (args.x, args.y) == ([-0.7, -1.2], "-1E-3")  # --y: a number or a class, read later
    args = parser.parse_args(["train", "--data", "square", "-q", "--lr", "1e-3"])
    assert args.quiet and args.lr == 1e-3  # real short options still are options


def test_decision_boundary_grid_is_bounded_before_any_evaluation(tmp_path):
    from backprop import nn, plots
    from backprop.errors import ConfigError

    model = nn.MLP([2, 3, 1])
    x, y = np.zeros((4, 2)), np.array([0, 1, 0, 1])
    start = time.perf_counter()
    with pytest.raises(ConfigError, match="grid must be a whole number from 2 to 2,000"):
        plots.decision_boundary(model, x, y, tmp_path / "b.png", grid=10**6)
    assert time.perf_counter() - start < 1
    assert not (tmp_path / "b.png").exists()


def test_whole_numbers_written_with_an_exponent_or_a_zero_fraction_are_whole():
    """``--epochs 1e4`` means 10,000 (a student trial was refused); 10000.5 is not whole."""
    parse = ints(1, 10**7, "fix", ranges=False)
    rng = random.Random(11)
    for _ in range(200):
        n = rng.randint(1, 10**7)
        text = rng.choice([f"{n:e}", f"{n}.0", f"{n:.6E}", str(float(n))])
        if float(text).is_integer():  # a short mantissa may round n
            assert parse(text) == [int(float(text))]
    for text in ("10000.5", "1e-3", "nan", "inf", "1e999", "0x10"):
        with pytest.raises(argparse.ArgumentTypeError, match="not a whole number"):
            parse(text)
    with pytest.raises(argparse.ArgumentTypeError, match=r"got 1e\+30 \(in '1e30'\)"):
        parse("1e30")


def test_vanishing_names_what_it_can_run_and_suggests_the_closest(capsys):
    from backprop.cli.app import main

    assert main(["vanishing", "--activations", "sigmod", "--depths", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did you mean 'sigmoid'" in err[0]
    assert "swish" not in err[0]  # not the registry's whole list
