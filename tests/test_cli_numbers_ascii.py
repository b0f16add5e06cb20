"""Numbers on the command line follow the files' rule (issue 15, brief C15E): ASCII decimal
forms only. Python's ``int``/``float`` read ``1_000`` as 1000, full-width ``５`` as 5 and
Arabic-Indic ``١٢`` as 12, so ``backprop predict --x 1_000`` was accepted while a CSV cell
``1_000`` is refused (``data.csvtable.to_float``). Every flag that takes a number refuses
them in one error naming the flag, the rule, the value and the ASCII spelling.
"""

import argparse

import pytest

from backprop.data.csvtable import to_float
from cli_helpers import one_line

# (spelling, what Python's float() reads it as): the forms the files' rule refuses
FORMS = [("1_000", "1000"), ("５", "5"), ("١٢", "12"), ("1_0.5", "10.5")]


def _cli(*argv, cwd):
    """``cli``, with argparse's own refusals (SystemExit 2) as an exit code."""
    import contextlib
    import io
    import os

    from backprop.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:
                code = exc.code
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def _number_flags():
    """(command, flag, type) of every flag parsed by a type= function (names excluded)."""
    from backprop.cli.app import build_parser

    found = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                for a in sub._actions:
                    if a.type is not None and getattr(a.type, "__name__", "") != "name_list":
                        found.append((name, a.option_strings[0], a.type))
    return found


def test_no_flag_is_parsed_by_pythons_own_int_or_float():
    flags = _number_flags()
    assert len(flags) > 20  # the walk found the commands' flags
    bare = [(c, f) for c, f, t in flags if t in (int, float)]
    assert not bare, bare  # --seed of train and demo, export's --opset were type=int


@pytest.mark.parametrize(("form", "meant"), FORMS)
def test_every_number_flag_refuses_what_a_file_refuses(form, meant):
    assert to_float(form) is None and float(form) == float(meant)  # the files' rule, Python's
    for command, flag, parse in _number_flags():
        with pytest.raises(argparse.ArgumentTypeError) as exc:
            parse(form)
        said = str(exc.value)
        assert "ASCII digits 0-9" in said and repr(form) in said, (command, flag, said)
        if parse.__name__ not in ("whole", "int_list", "_workers", "_epochs") or "." not in meant:
            assert f"write {meant}" in said, (command, flag, said)
        try:  # the ASCII spelling passes the rule (a flag's range may still refuse it)
            parse(meant)
        except argparse.ArgumentTypeError as other:
            assert "ASCII" not in str(other), (command, flag, str(other))


@pytest.mark.parametrize(
    "argv",
    [
        ["predict", "m.safetensors", "--x", "1_000"],
        ["train", "--data", "square", "--lr", "０.1"],
        ["train", "--data", "square", "--seed", "١"],
        ["demo", "--seed", "1_0"],
        ["explain", "--x", "0.5,1_0"],
        ["export", "m.safetensors", "--to", "onnx", "--opset", "１３"],
    ],
)
def test_the_refusal_names_flag_rule_value_and_fix(tmp_path, argv):
    code, _, err = _cli(*argv, cwd=tmp_path)
    bad = next(a for a in argv if not a.isascii() or "_" in a)
    flag = argv[argv.index(bad) - 1]
    one_line(code, err, f"argument {flag}", "ASCII digits 0-9", "no '_' between digits",
             "write ")  # fmt: skip


def test_validation_and_explains_y_follow_it_too(tmp_path):
    code, _, err = _cli("train", "--data", "square", "--validation", "0_2", "--epochs", "1",
                         "--out", "o", cwd=tmp_path)  # fmt: skip
    one_line(code, err, "--validation", "'0_2'", "ASCII digits 0-9", "reads as 2")
    code, _, err = _cli("explain", "--x", "0.5", "--y", "١", cwd=tmp_path)
    one_line(code, err, "--y", "ASCII digits 0-9", "write 1")
