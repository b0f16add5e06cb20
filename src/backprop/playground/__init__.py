"""Floor 6: the browser playground — TensorFlow Playground's idea, trained by backprop.

``backprop playground`` starts a local web server (``server``); each browser tab owns a
``Session`` that trains with the δ engine and streams snapshots (``views``) over a
WebSocket in the messages of ``protocol``; the page in ``static/`` only draws. The server
needs the ``web`` extra (starlette, uvicorn, websockets); ``session``, ``views``,
``protocol`` and ``features`` do not.
"""
