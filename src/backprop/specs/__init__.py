"""Experiment specs shipped with backprop (JSON files; read them with ``backprop.spec.builtin``)."""
