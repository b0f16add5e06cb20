"""Cold start: a fresh process imports only what it uses, and every public name still resolves.

``import backprop`` loads nothing but its own file (names resolve on first use, PEP 562);
``backprop --help`` builds stubs and loads no NumPy; a command builds only its own parser.
What a fresh process imported is read from ``sys.modules`` in a subprocess. No timings here:
the figures are in benchmarks/.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "scipy", "numba", "sklearn", "torch", "starlette", "uvicorn", "onnx")


def _modules_after(code: str) -> set[str]:
    """The top-level names and backprop modules in ``sys.modules`` after ``code`` ran."""
    probe = (
        f"{code}\nimport sys, json\n"
        "print(json.dumps(sorted(m for m in sys.modules if '.' not in m "
        "or m.startswith('backprop.'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_backprop_loads_only_its_own_file():
    loaded = _modules_after("import backprop")
    assert "backprop" in loaded
    assert not {m for m in loaded if m.startswith("backprop.")}, loaded
    assert not {"numpy", *HEAVY} & loaded


def test_first_tensor_loads_the_floor_and_nothing_above_it():
    loaded = _modules_after("import backprop\nbackprop.tensor([1.0, 2.0]).sum().item()")
    assert "numpy" in loaded and "backprop.autograd.tensor" in loaded
    above = {"backprop.nn", "backprop.optim", "backprop.train", "backprop.spec", "backprop.cli"}
    assert not above & loaded, above & loaded
    assert not set(HEAVY) & loaded


def test_cli_help_loads_no_numpy_and_no_command_code():
    loaded = _modules_after(
        "from backprop.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    assert "backprop.cli.app" in loaded
    assert not {"numpy", *HEAVY} & loaded
    assert not {"backprop.spec", "backprop.train", "backprop.nn", "backprop.diagnostics"} & loaded


def test_demo_without_plots_loads_no_plotting_or_foreign_library(tmp_path):
    code = (
        "from backprop.cli import main\n"
        f"main(['demo', 'square', '--no-plots', '--epochs', '3', '-q', '--out', "
        f"{str(tmp_path / 'run')!r}])"
    )
    loaded = _modules_after(code)
    assert "backprop.train" in loaded and "backprop.spec" in loaded
    unused = {"matplotlib", "scipy", "sklearn", "torch", "starlette", "onnx", "backprop.plots"}
    assert not unused & loaded, unused & loaded
    assert not {"backprop.data.csvfile", "backprop.optim.lr_scheduler"} & loaded


PACKAGES = [
    "backprop",
    "backprop.autograd",
    "backprop.nn",
    "backprop.optim",
    "backprop.data",
    "backprop.train",
    "backprop.io",
    "backprop.spec",
    "backprop.delta",
    "backprop.plots",
    "backprop.interop",
    "backprop.cli",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_is_reachable_listed_and_star_importable(name):
    package = importlib.import_module(name)
    for attribute in package.__all__:
        assert getattr(package, attribute) is not None or attribute == "float16", attribute
    assert set(package.__all__) <= set(dir(package))
    namespace: dict = {}
    exec(f"from {name} import *", namespace)
    assert set(package.__all__) <= set(namespace)


def test_sklearn_names_are_reachable():
    pytest.importorskip("sklearn")
    import backprop.sklearn as package

    for attribute in package.__all__:
        getattr(package, attribute)


def test_every_lazy_name_is_the_object_of_the_module_that_defines_it():
    import backprop

    for name, (module_name, attribute) in backprop._LAZY.items():
        module = importlib.import_module(module_name, "backprop")
        expected = module if attribute is None else getattr(module, attribute)
        assert getattr(backprop, name) is expected, name
    assert backprop.float is backprop.float32 and backprop.bool is backprop.bool_


def test_every_function_form_is_listed_and_old_star_imported_names_still_resolve():
    import backprop
    import backprop.autograd.functional as functional

    public = {n: v for n, v in vars(functional).items() if not n.startswith("_")}
    forms = {n for n, v in public.items() if getattr(v, "__module__", None) == functional.__name__}
    assert forms <= set(dir(backprop)), forms - set(dir(backprop))
    for name, value in public.items():  # once star-imported: ShapeError, Tensor, ...
        if name != "annotations":
            assert getattr(backprop, name) is value, name
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        backprop.no_such_name  # noqa: B018


def test_submodules_are_attributes_and_lazy_package_names_resolve():
    import backprop
    import backprop.data
    import backprop.optim

    assert backprop.nn.Linear.__name__ == "Linear"
    assert backprop.optim.lr_scheduler.StepLR.__name__ == "StepLR"
    assert "lr_scheduler" in dir(backprop.optim)
    assert backprop.data.from_csv.__module__ == "backprop.data.csvfile"
    assert backprop.gradcheck is backprop.checks.gradcheck
    assert backprop.fit is backprop.train.fit and backprop.run is backprop.spec.run


def test_one_command_parser_has_the_options_of_the_full_parser():
    from backprop.cli.app import build_parser
    from backprop.cli.commands import NAMES

    def sub_help(parser, command):
        action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        return action.choices[command].format_help()

    full = build_parser()
    assert build_parser(None).format_help() == full.format_help()  # backprop --help
    for command in NAMES:
        assert sub_help(build_parser(command), command) == sub_help(full, command), command


def test_history_and_callbacks_do_not_load_the_loop():
    loaded = _modules_after("from backprop.train import Callback, History")
    assert "backprop.train.history" in loaded and "backprop.train.callbacks" in loaded
    assert not {"backprop.train.fit", "backprop.train.backup", "backprop.delta"} & loaded


def test_predict_loads_no_training_loop_and_no_run_writer(tmp_path):
    from cli_helpers import cli

    code, _, err = cli("demo", "--epochs", "2", "--no-plots", "-q", "--out", "run", cwd=tmp_path)
    assert code == 0, err
    model = tmp_path / "run" / "model.safetensors"
    loaded = _modules_after(
        f"from backprop.cli import main\nmain(['predict', {str(model)!r}, '--x', '1.5'])"
    )
    assert "backprop.io.modelfile" in loaded and "backprop.train.engines" in loaded
    unused = {
        "backprop.train.fit",
        "backprop.spec.runner",
        "backprop.spec.runfolder",
        "backprop.data.csvfile",
        "backprop.delta.trace",
        *HEAVY,
    }
    assert not unused & loaded, unused & loaded


def test_a_function_named_like_its_module_stays_the_function():
    code = (
        "import importlib, backprop.train.fit, backprop.delta.trace\n"
        "import backprop.train as t, backprop.delta as d\n"
        "assert callable(t.fit) and t.fit.__module__ == 'backprop.train.fit', t.fit\n"
        "assert callable(d.trace) and d.trace.__module__ == 'backprop.delta.trace', d.trace\n"
        "assert importlib.import_module('backprop.train.fit').fit is t.fit\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
