"""The terminal's progress bar after Ctrl+C or a signal: ``stop_bars`` gives the cursor back
(a student's terminal was left without one), and the line fits 80 columns."""

import io

from backprop.cli.progress import _BARS, progress_callback, stop_bars
from backprop.train.callbacks import TrainState


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_an_interrupted_bar_shows_the_cursor_again():
    out = Tty()
    bar = progress_callback(300000, stream=out, tty=True)
    state = TrainState(None, None, None, 300000, 1, [], None, None, "delta", "regression",
                       None, None, False)  # fmt: skip
    bar.on_train_begin(state)
    state.epoch, state.batch_loss = 72000, 0.123456
    bar.on_progress(state)
    assert _BARS  # on the screen, as when Ctrl+C arrives in the middle of training
    stop_bars()
    text = out.getvalue()
    assert not _BARS and text.rfind("\x1b[?25h") > text.rfind("\x1b[?25l")
    assert "71999/300000" in text and "loss 1.2346e-01" in text  # epochs finished so far


def test_a_cold_compile_is_announced_before_it_starts():
    from backprop.train import History

    for tty in (False, True):
        out = Tty() if tty else io.StringIO()
        history = History("fused")
        history.engine_reason = (
            "fused (compiled): long run (≈ 9.0 s on NumPy) pays for a cold compile"
        )
        state = TrainState(None, None, history, 10, 1, [], None, None, "fused", "regression",
                           None, None, False)  # fmt: skip
        bar = progress_callback(10, stream=out, tty=tty)
        bar.on_train_begin(state)
        stop_bars()
        assert "compiling the training kernel once" in out.getvalue()
        history.engine_reason = (
            "fused (compiled): the compiled kernel for float32 is already loaded"
        )
        quiet = io.StringIO()
        progress_callback(10, stream=quiet, tty=False).on_train_begin(state)
        assert "compiling" not in quiet.getvalue()
