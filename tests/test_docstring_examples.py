"""Every public name has a docstring example, every example runs, and the examples of names
PyTorch also has print what PyTorch prints (issue 17: "every public name has a docstring
with an example"; the README: the lecture's code runs with only the import changed).

Public names: ``dir(backprop)`` (PyTorch's surface: tensors, factories, function forms, …) and
the ``__all__`` of ``backprop.nn``, ``optim``, ``delta``, ``train``, ``spec``, ``data``,
``sklearn``, ``plots``, ``io``. An example is a doctest (``>>>``); an inherited or missing
docstring counts as none. Constants and modules are left out. Run it alone to list the names
still without one:

    python tests/test_docstring_examples.py

The PyTorch check runs each example's statements again with ``backprop`` replaced by
``torch`` in them (``import backprop as bp`` → ``import torch as bp``) and compares the
printed results with the example's: the same text once ``backprop.`` reads ``torch.``, or the
same text around numbers that agree to float32 printing (4 decimals). Names PyTorch lacks
(``backprop.delta``, ``spec``, ``plots``, ``sklearn``, …) are checked by the doctest alone,
against values their docstrings say how they were verified.
"""

import doctest
import importlib
import inspect
import re

import pytest

PACKAGES = ("nn", "optim", "delta", "train", "spec", "data", "sklearn", "plots", "io")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _fresh_dir() -> list[str]:
    """``dir(backprop)`` in a fresh interpreter: in this one, other tests may have looked up
    names through backprop's fallback to its function-form module (``backprop.apply_op``,
    grad_fn classes), which then sit in its globals and would count as public here only."""
    import subprocess
    import sys

    code = "import backprop; print(' '.join(dir(backprop)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def public_names() -> dict[str, object]:
    import backprop

    names = {}
    for name in _fresh_dir():
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


def own_doc(obj) -> str | None:
    return obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)


def has_example(obj) -> bool:
    doc = own_doc(obj)
    return bool(doc) and ">>>" in doc


def missing_examples() -> list[str]:
    return sorted(name for name, obj in public_names().items() if not has_example(obj))


def doctests() -> list[tuple[str, doctest.DocTest]]:
    """One doctest per public object (an object public under two names is run once)."""
    seen, tests = set(), []
    finder = doctest.DocTestFinder(recurse=False)
    for name, obj in sorted(public_names().items()):
        if id(obj) in seen or not has_example(obj):
            continue
        seen.add(id(obj))
        for test in finder.find(obj, name, module=False, globs={}):
            if test.examples:
                tests.append((name, test))
    return tests


def torch_counterpart(name: str):
    """PyTorch's object of the same name (``backprop.nn.Linear`` → ``torch.nn.Linear``), or
    None when PyTorch has no such name."""
    import torch

    parts = name.split(".")[1:]
    if len(parts) == 2 and parts[0] not in ("nn", "optim"):
        return None  # delta, train, spec, data, sklearn, plots, io: the lecture's own
    obj = torch
    for part in parts:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


# names PyTorch has whose example shows where backprop differs, on purpose
NOT_AS_IN_TORCH = {
    "backprop.compile": "refuses (out of scope) where torch.compile compiles",
    "backprop.set_num_interop_threads": "torch allows it once, before any parallel work",
    # same results in torch, but its first call imports torch's compiler: 829 modules, 1 s
    "backprop.use_deterministic_algorithms": "a trivial flag; 1 s of imports in torch",
    "backprop.are_deterministic_algorithms_enabled": "a trivial flag; 1 s of imports in torch",
}

_NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


class SameAsPrinted(doctest.OutputChecker):
    """The example's text once ``backprop`` reads ``torch``, numbers to float32 printing."""

    def check_output(self, want, got, optionflags):
        want = want.replace("backprop", "torch")
        if super().check_output(want, got, optionflags):
            return True
        w, g = " ".join(want.split()), " ".join(got.split())
        if _NUMBER.sub("#", w) != _NUMBER.sub("#", g):
            return False
        pairs = zip(_NUMBER.findall(w), _NUMBER.findall(g), strict=True)
        return all(abs(float(a) - float(b)) <= 1.01e-4 * max(1.0, abs(float(a))) for a, b in pairs)


def as_torch(test: doctest.DocTest) -> doctest.DocTest:
    examples = [
        doctest.Example(
            re.sub(r"\bbackprop\b", "torch", e.source), e.want, e.exc_msg, e.lineno, e.indent
        )
        for e in test.examples
    ]
    return doctest.DocTest(examples, {}, test.name + " [torch]", test.filename, test.lineno, "")


def test_every_public_name_has_an_example():
    names = public_names()
    missing = missing_examples()
    assert len(names) > 350, "the public surface shrank: public_names() no longer sees it"
    assert not missing, (
        f"{len(missing)} of {len(names)} public names have no docstring example (a '>>>' "
        f"doctest): {', '.join(missing)}. Add one where the name is defined (the function "
        "forms' examples are in backprop/autograd/examples_*.py)."
    )


def test_every_example_runs():
    import backprop

    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for name, test in doctests():
        skipped = [e.source for e in test.examples if e.options.get(doctest.SKIP)]
        assert not skipped, f"{name}: an example that is skipped is no example: {skipped}"
        backprop.manual_seed(0)
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 800 and result.failed == 0


def test_the_examples_print_what_pytorch_prints():
    torch = pytest.importorskip("torch")
    runner = doctest.DocTestRunner(checker=SameAsPrinted(), optionflags=FLAGS)
    checked, threads = [], torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: a second thread only waits (the y = x² loop 20x)
    try:
        for name, test in doctests():
            if name not in NOT_AS_IN_TORCH and torch_counterpart(name) is not None:
                torch.manual_seed(0)
                runner.run(as_torch(test))
                checked.append(name)
    finally:
        torch.set_num_threads(threads)
    assert len(checked) > 250 and "backprop.sin" in checked and "backprop.nn.Linear" in checked
    assert runner.summarize(verbose=False).failed == 0


if __name__ == "__main__":
    missing = missing_examples()
    print(f"{len(missing)} of {len(public_names())} public names have no docstring example:")
    for name in missing:
        print(" ", name)
