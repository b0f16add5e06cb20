"""The playground's messages without a server: input features, message checks, links.

``protocol.parse`` refuses every malformed message with a reason the page shows; a link
(the URL hash) round-trips every setting and a hand-edited one still opens. The sessions
are in ``test_playground_server_sessions.py``, the web server in
``test_playground_server.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop.playground import fields, protocol
from backprop.playground.features import FEATURES, transform
from backprop.playground.protocol import ProtocolError
from playground_helpers import msg


def test_features_match_their_formulas():
    x = np.array([[0.5, -2.0], [3.0, 1.5]])
    out = transform(x, list(FEATURES))
    a, b = x[:, 0], x[:, 1]
    expected = np.stack([a, b, a * a, b * b, a * b, np.sin(a), np.sin(b)], axis=1)
    np.testing.assert_allclose(out, expected)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"type": "play"}', "protocol version"),
        ('{"v": 2, "type": "play"}', "protocol version"),
        ('{"v": 1, "type": "fly"}', "unknown message type"),
        ('{"v": 1, "type": "play", "x": 1}', "takes no fields"),
        ('{"v": 1, "type": "set", "changes": {}}', "non-empty"),
        ('{"v": 1, "type": "set", "changes": {"lr": -1}}', "between"),
        ('{"v": 1, "type": "set", "changes": {"lr": "fast"}}', "finite number"),
        ('{"v": 1, "type": "set", "changes": {"noise": 51}}', "between 0 and 50"),
        ('{"v": 1, "type": "set", "changes": {"hidden": [1, 2, 3, 4, 5, 6, 7, 8, 9]}}', "at most"),
        ('{"v": 1, "type": "set", "changes": {"hidden": [0]}}', "between 1"),
        ('{"v": 1, "type": "set", "changes": {"features": ["x1", "x1"]}}', "twice"),
        ('{"v": 1, "type": "set", "changes": {"dataset": "moons"}}', "one of"),
        ('{"v": 1, "type": "set", "changes": {"nope": 1}}', "unknown"),
        ('{"v": 1, "type": "set", "changes": {"discretize": 1}}', "true or false"),
        ('{"v": 1, "type": "step", "unit": "year"}', "epoch"),
        ('{"v": 1, "type": "edit", "kind": "weight", "layer": 1, "row": 0, "value": 1}', "col"),
        ('{"v": 1, "type": "edit", "kind": "bias", "layer": 1, "row": 0, "value": 1e9}', "between"),
        ('{"v": 1, "type": "upload", "name": "a.csv", "text": ""}', "empty"),
        ('{"v": 1, "type": "export", "what": "weights"}', "model"),
        ('{"v": 1, "type": "ack", "seq": -1}', "seq"),
        ('{"v": 1, "type": "set", "changes": {"lr": NaN}}', "not valid JSON"),
    ],
)
def test_parse_refuses_with_a_reason(text, fragment):
    with pytest.raises(ProtocolError, match=fragment):
        protocol.parse(text)


def test_parse_accepts_and_normalises():
    m = protocol.parse(msg("set", changes={"lr": 0.3, "activation": ["ReLU"], "hidden": [3]}))
    assert m == {"type": "set", "changes": {"lr": 0.3, "activation": ["relu"], "hidden": [3]}}
    assert protocol.parse(msg("step"))["unit"] == "epoch"


def test_url_round_trip_and_bad_links_still_open():
    state = fields.defaults()
    state.update(dataset="spiral", hidden=[8, 3, 2], lr=0.003, features=["x1", "x1x2"], seed=42)
    params = dict(p.split("=", 1) for p in fields.to_url(state).split("&"))
    back, notes = fields.from_url(params)
    assert notes == []
    assert {k: back[k] for k in state} == state
    settings, notes = fields.from_url({"lr": "lots", "bogus": "1", "noise": "20"})
    assert settings == {"noise": 20}
    assert len(notes) == 2


def test_oversized_message_is_refused_by_parse():
    with pytest.raises(ProtocolError, match="too large"):
        protocol.parse("x" * (protocol.MAX_MESSAGE + 1))


@pytest.mark.parametrize("text", ["maybe", "", "yes", "2", "[]"])
def test_a_link_with_a_bad_yes_no_value_still_opens(text):
    """``#discretize=maybe`` was a KeyError ('internal error') and the tab never started."""
    bools = [key for key, f in fields.FIELDS.items() if f.kind == "bool"]
    assert bools
    for key in bools:
        settings, notes = fields.from_url({key: text, "noise": "20"})
        assert settings == {"noise": 20}, key
        assert len(notes) == 1 and key in notes[0]


@pytest.mark.parametrize(
    "body, field",
    [
        ('"type": "upload", "name": "a.csv", "text": "a,b\\n1,\\ud800"', "upload.text"),
        ('"type": "upload", "name": "\\ud800.csv", "text": "a,b\\n1,2"', "upload.name"),
        ('"type": "hello", "url": {"task": "go \\udc00"}', "hello.url.task"),
        ('"type": "set", "changes": {"dataset": "\\udfff"}', "set.changes.dataset"),
    ],
)
def test_lone_surrogates_are_refused_at_parse_naming_the_field(body, field):
    # trial 2, attacker #3: JSON's \ud800 escape is no character; it reached the upload's
    # file write (UnicodeEncodeError) and the model file's metadata
    text = f'{{"v": {fields.VERSION}, {body}}}'
    with pytest.raises(ProtocolError, match="lone UTF-16 surrogate") as err:
        protocol.parse(text)
    assert str(err.value).startswith(field + ":")
    str(err.value).encode("utf-8")  # the refusal itself can be sent
