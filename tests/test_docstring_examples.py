"""How many public names lack a docstring example (issue 17: "every public name has a
docstring with an example"). Counted, listed, not yet enforced: the test prints the count and
the names and fails only if the counting itself breaks. Run it alone to see the list:

    python tests/test_docstring_examples.py

Public names: ``dir(backprop)`` (PyTorch's surface: tensors, factories, function forms, …) and
the ``__all__`` of ``backprop.nn``, ``optim``, ``delta``, ``train``, ``spec``, ``data``,
``sklearn``, ``plots``, ``io``. An example is a doctest (``>>>``) or an ``Example(s):``
section; an inherited or missing docstring counts as none. Constants and modules are left out.
"""

import importlib
import inspect

PACKAGES = ("nn", "optim", "delta", "train", "spec", "data", "sklearn", "plots", "io")


def public_names() -> dict[str, object]:
    import backprop

    names = {}
    for name in dir(backprop):
        if not name.startswith("_"):
            names[f"backprop.{name}"] = getattr(backprop, name)
    for package in PACKAGES:
        module = importlib.import_module(f"backprop.{package}")
        for name in getattr(module, "__all__", ()):
            names[f"backprop.{package}.{name}"] = getattr(module, name)
    return {
        name: obj
        for name, obj in names.items()
        if (inspect.isclass(obj) or callable(obj)) and not inspect.ismodule(obj)
    }


def has_example(obj) -> bool:
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    return bool(doc) and (">>>" in doc or "Example:" in doc or "Examples:" in doc)


def missing_examples() -> list[str]:
    return sorted(name for name, obj in public_names().items() if not has_example(obj))


def test_count_public_names_without_an_example(capsys):
    names = public_names()
    missing = missing_examples()
    with capsys.disabled():
        print(f"\n{len(missing)} of {len(names)} public names have no docstring example")
    assert names and len(missing) <= len(names)
    assert "backprop.train.fit" in names and has_example(names["backprop.train.fit"])


def test_the_examples_added_run():
    import doctest

    def defined(module, name):  # the defining module (backprop.delta.trace is also a function)
        return getattr(importlib.import_module(f"backprop.{module}"), name)

    objects = (
        defined("delta.engine", "backward"),
        defined("delta.trace", "trace"),
        defined("nn.layers", "MLP"),
        defined("nn.loss_modules", "HalfMSELoss"),
        defined("spec.runner", "run"),
        defined("autograd.factories", "tensor"),
        defined("nn.layers", "Linear"),
        defined("nn.loss_modules", "MSELoss"),
        defined("optim.adam", "Adam"),
    )
    runner_ = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for obj in objects:
        for test in doctest.DocTestFinder(recurse=False).find(obj):
            assert test.examples, obj
            runner_.run(test)
    assert runner_.summarize(verbose=False).failed == 0


if __name__ == "__main__":
    missing = missing_examples()
    print(f"{len(missing)} of {len(public_names())} public names have no docstring example:")
    for name in missing:
        print(" ", name)
