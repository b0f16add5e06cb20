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
    assert "71999/300000" in text and "loss 0.123456" in text  # epochs finished so far
