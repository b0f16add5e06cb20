"""Floor 6: the browser playground — TensorFlow Playground's idea, trained by backprop.

``backprop playground`` starts a local web server (``server``); each browser tab owns a
``Session`` that trains with the δ engine and streams snapshots (``views``) over a
WebSocket in the messages of ``protocol``; the page in ``static/`` only draws. The server
needs the ``web`` extra (starlette, uvicorn, websockets); ``session``, ``views``,
``protocol`` and ``features`` do not. ``widget()`` shows the same page in a notebook
cell, trained by the kernel (``nbwidget``; the ``notebook`` extra: anywidget).
"""

from ..errors import BackpropError


class WidgetDependencyError(BackpropError, ImportError):
    """The notebook widget's packages (the ``notebook`` extra: anywidget) are missing."""


def widget(spec_or_model=None, **settings):
    """The playground inline in a notebook cell, trained by the kernel's δ engine.

    ``spec_or_model``: None (the page's defaults), the name of one of the page's exercises
    (``"square"``, ``"abs"``, ``"step"``, ``"sigmoid6"``, ``"relu6"``) or of a built-in spec
    (``"xor"``, ``"spiral"``), an experiment spec (a dict, as ``backprop.run`` takes), or
    an ``nn.MLP`` of 1 or 2 inputs and 1 output (its sizes, activations and weights);
    ``settings`` are the page's own (``dataset="spiral"``, ``hidden=[8, 8]``, ``lr=0.1``,
    ``seed=4``) on top. ``w.model`` is the live network, ``w.spec`` the current spec.
    Needs the ``notebook`` extra (anywidget). See ``nbwidget.PlaygroundWidget``.

    >>> from backprop.playground import widget
    >>> w = widget("abs")
    >>> w.settings["hidden"], w.settings["optimizer"]
    ([2], 'adam')
    >>> _ = w.train(epochs=10)
    >>> w.epoch
    10
    """
    from .._extras import install_hint

    try:
        from .nbwidget import widget as make
    except ModuleNotFoundError as err:  # anywidget, traitlets or starlette missing
        raise WidgetDependencyError(
            f"backprop.playground.widget needs the notebook extra ({err.name} is not "
            f"installed); install it ({install_hint('notebook', notebook=True)}), then restart "
            "the kernel."
        ) from err
    return make(spec_or_model, **settings)
