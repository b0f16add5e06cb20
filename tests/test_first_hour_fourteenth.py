"""The eleventh CLI student's findings, items 4, 7, 8, 10, 11 and 12 (issue 15, brief C15L).

What the CLI says must match what it did: a constant CSV column is named at training time
and summary/predict never show it a fake std; the dead-unit warning counts the rows it
checked; a run whose stdout reader went away says its folder on stderr; vanishing takes the
step unit; small words (one plural rule, counted files, install hints, the ε sentence).
"""

import os
import subprocess
import sys


# -- item 10: `train … | head -2`: the run ends, keeps its files and says its folder ---------
def test_a_reader_that_closes_the_pipe_early_gets_the_run_folder_on_stderr(tmp_path):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    # --log-every 1: 3,000 lines overflow the pipe's buffer, so the run writes after the close
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop", "train", "--data", "square", "--epochs", "3000",
         "--log-every", "1", "--no-plots", "--out", "kept"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    first = [proc.stdout.readline() for _ in range(2)]
    proc.stdout.close()  # the reader goes away, as head -2 does
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=600)
    assert all(first), first
    assert code == 0, err
    assert (tmp_path / "kept" / "model.safetensors").is_file()
    said = [line for line in err.splitlines() if "run folder:" in line]
    assert len(said) == 1, err
    assert str(tmp_path / "kept") in said[0] and "printing stopped" in said[0], err
    assert "Traceback" not in err, err
