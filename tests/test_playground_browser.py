"""The playground in a real browser: Playwright (Python) driving Debian's Chromium.

The server runs as ``backprop playground --port 0`` in a subprocess; each test opens a
fresh page. Chromium comes from the distribution (``apt-get install -y chromium``), not
from Playwright's own download, so ``executable_path`` points at ``shutil.which``'s answer.
Set ``PLAYGROUND_SCREENSHOT=/path.png`` to keep the screenshot taken after training.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install -y chromium); CI installs it",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
pytest.importorskip("starlette", reason="the web extra (starlette, uvicorn) is not installed")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server():
    proc = subprocess.Popen(
        [sys.executable, "-m", "backprop", "playground", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if match is None:
            proc.kill()
            pytest.fail(f"the server did not start: {line!r} {proc.stderr.read()[:2000]}")
        yield match.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.errors = errors
    yield pg
    context.close()
    assert not errors, errors


def until(pg, expression: str, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression until it is true (Playwright's wait_for_function would
    evaluate it with eval, which the page's Content-Security-Policy rightly forbids)."""
    end = time.monotonic() + timeout
    # a page between two sessions has no snapshot yet: an expression that throws is "not yet"
    probe = f"(() => {{ try {{ return Boolean({expression}); }} catch (e) {{ return false; }} }})()"
    while not pg.evaluate(probe):
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
        time.sleep(0.03)


def open_page(pg, server, hash_: str = "") -> None:
    pg.goto(server + ("#" + hash_ if hash_ else ""))
    until(pg, "window.playground && window.playground.snap && window.playground.data")


def value(pg, element_id: str) -> float:
    text = pg.locator(f"#{element_id}").get_attribute("data-value")
    return float(text) if text else float("nan")


def epoch(pg) -> int:
    return int(pg.locator("#epoch").get_attribute("data-value"))


def heatmap(pg) -> str:
    return pg.evaluate("document.getElementById('heatmap').toDataURL()")


def wait_epoch(pg, at_least: int, timeout: float = 20.0) -> None:
    until(pg, f"Number(document.getElementById('epoch').dataset.value) >= {at_least}", timeout)


def test_spiral_trains_and_the_learning_rate_changes_mid_run(page, server, tmp_path):
    open_page(page, server, "hidden=8,8&speed=fast&seed=3")
    page.get_by_role("button", name="Dataset Spiral").click()
    until(page, "window.playground.state.dataset === 'spiral'")
    page.get_by_label("Learning rate").select_option("0.1")
    until(page, "window.playground.state.lr === 0.1")
    before_loss, before_map = value(page, "test-loss"), heatmap(page)
    page.get_by_role("button", name="Play").click()
    wait_epoch(page, 40)
    page.get_by_label("Learning rate").select_option("0.01")  # mid-run, no reset
    until(page, "window.playground.state.lr === 0.01")
    assert "lr=0.01" in page.url
    mid = epoch(page)
    assert mid >= 40
    wait_epoch(page, mid + 20)
    page.get_by_role("button", name="Pause").click()
    until(page, "!window.playground.snap.running")
    assert value(page, "test-loss") < before_loss
    assert heatmap(page) != before_map
    shot = Path(os.environ.get("PLAYGROUND_SCREENSHOT", tmp_path / "playground.png"))
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000


def test_the_url_reproduces_the_state_in_a_fresh_page(page, server, browser):
    open_page(page, server, "dataset=xor&noise=20&seed=11")
    page.get_by_role("button", name="Add hidden layer").click()
    until(page, "window.playground.state.hidden.length === 3")
    page.get_by_role("button", name="Feature X₁X₂").click()
    until(page, "window.playground.state.features.includes('x1x2')")
    page.get_by_label("Activation", exact=True).select_option("relu")
    until(page, "window.playground.state.activation[0] === 'relu'")
    page.get_by_label("Regularization", exact=True).select_option("l2")
    until(page, "window.playground.state.regularization === 'l2'")
    url = page.url
    first = page.evaluate("[window.playground.state, window.playground.snap.layers, "
                          "window.playground.data.train]")  # fmt: skip
    other = browser.new_page()
    try:
        open_page(other, server, url.split("#", 1)[1])
        second = other.evaluate("[window.playground.state, window.playground.snap.layers, "
                                "window.playground.data.train]")  # fmt: skip
        assert other.url == url
    finally:
        other.close()
    assert second[0] == first[0]  # every setting, seed included
    assert second[2] == first[2]  # the same data points
    w1 = [np.array(layer["w"]) for layer in first[1]]
    w2 = [np.array(layer["w"]) for layer in second[1]]
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))  # the same initial weights


def test_csv_upload_and_a_clear_error_for_a_bad_file(page, server, tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-3, 3, (150, 2))
    good = tmp_path / "rings.csv"
    rows = [f"{a:.4f},{b:.4f},{int(a * a + b * b < 4)}" for a, b in pts]
    good.write_text("u,v,inside\n" + "\n".join(rows) + "\n")
    bad = tmp_path / "broken.csv"
    bad.write_text("u,v,inside\n1,2,0\n3,oops,1\n4,5,0\n")
    open_page(page, server)
    page.get_by_label("Upload CSV").set_input_files(str(bad))
    error = page.locator("#data-error")
    error.wait_for(state="visible")
    assert "broken.csv" in error.inner_text() and "oops" in error.inner_text()
    page.get_by_label("Upload CSV").set_input_files(str(good))
    until(page, "window.playground.state.dataset === 'csv'")
    until(page, "document.getElementById('data-info').textContent.includes('rings')")
    assert error.inner_text() == ""
    page.get_by_role("button", name="Step", exact=True).click()
    wait_epoch(page, 1)


def test_export_model_and_spec_load_with_the_library(page, server, tmp_path):
    import backprop
    from backprop import io
    from backprop.spec import run

    open_page(page, server, "dataset=gauss&seed=4&lr=0.1")
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
    wait_epoch(page, 3)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export model").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.suffix == ".safetensors"
    model = io.load(path)
    with backprop.no_grad():
        out = model(backprop.tensor([[2.0, 2.0], [-2.0, -2.0]])).numpy()
    assert out[0, 0] > out[1, 0]
    with page.expect_download() as info:
        page.get_by_role("button", name="Export spec").click()
    spec_path = tmp_path / info.value.suggested_filename
    info.value.save_as(spec_path)
    spec = json.loads(spec_path.read_text())
    assert spec["epochs"] == epoch(page) and spec["seed"] == 4
    trained = run(spec).model  # the spec alone retrains the same network
    for a, b in zip(trained.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    cli = subprocess.run(
        [sys.executable, "-m", "backprop", "predict", str(path), "--x", "2,2"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 0, cli.stderr


def test_controls_have_names_weights_can_be_typed_and_neurons_enlarge(page, server):
    open_page(page, server, "seed=1")
    unnamed = page.evaluate(
        """[...document.querySelectorAll('button, select, input')].filter(el => {
            if (el.closest('[hidden]')) return false;
            const label = el.getAttribute('aria-label') || (el.labels && el.labels.length &&
              el.labels[0].textContent.trim()) || el.textContent.trim();
            return !label;
        }).map(el => el.outerHTML.slice(0, 80))"""
    )
    assert unnamed == []
    for name in ("Play", "Step", "Reset", "Step one minibatch", "Regenerate"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    page.locator('path.hit[data-layer="1"][data-row="0"][data-col="1"]').dispatch_event("click")
    page.locator("#editor-input").fill("1.5")
    page.keyboard.press("Enter")
    until(page, "window.playground.snap.layers[0].w[0][1] === 1.5")
    page.get_by_label("Bias of neuron 2 in layer 1").click()
    page.locator("#editor-input").fill("-0.25")
    page.get_by_role("button", name="Set value").click()
    until(page, "window.playground.snap.layers[0].b[1] === -0.25")
    page.get_by_label("Neuron 1 of layer 1").hover()
    assert page.locator("#hover").is_visible()


def test_divergence_is_stopped_and_explained(page, server):
    open_page(page, server, "dataset=square&hidden=8&activation=relu&lr=10&batch_size=2000")
    assert page.locator(".dataset.selected").get_attribute("aria-label").startswith("Dataset y")
    page.get_by_role("button", name="Play").click()
    until(page, "window.playground.snap.diverged")
    status = page.locator("#status").inner_text()
    assert "diverged" in status and "Lower the learning rate" in status
    assert page.get_by_role("button", name="Play").count() == 1  # stopped, not greyed out
    page.get_by_role("button", name="Reset").click()
    until(page, "!window.playground.snap.diverged")
    time.sleep(0.1)


CURVES = """JSON.stringify([window.playground.snap.history, window.playground.snap.grad_history]
    .map((c) => ({epochs: c.epochs, a: c.train || c.norms, b: c.test || null})))"""


def test_curves_from_parts_equal_the_whole_and_a_hidden_tab_gets_no_snapshots(page, server):
    """The page appends the loss and ‖∂E/∂W‖ points of each snapshot to its curves; paused,
    they equal the whole curves the server sends on request. Hidden (Page Visibility), the
    tab keeps training without snapshots; shown again, it gets a whole one."""
    open_page(page, server, "dataset=spiral&speed=fast&seed=5")
    page.get_by_role("button", name="Play").click()
    wait_epoch(page, 60)
    hide = "(h) => { Object.defineProperty(document, 'hidden', {value: h, configurable: true});"
    hide += " document.dispatchEvent(new Event('visibilitychange')); }"
    page.evaluate(hide, True)
    time.sleep(0.3)  # the snapshots already on their way
    seq, at = page.evaluate("window.playground.snap.seq"), epoch(page)
    time.sleep(1.0)
    assert page.evaluate("window.playground.snap.seq") == seq  # nothing while hidden
    page.evaluate(hide, False)
    until(page, f"window.playground.snap.seq > {seq}")
    assert epoch(page) > at + 20  # it trained meanwhile
    page.get_by_role("button", name="Pause").click()
    until(page, "!window.playground.snap.running")
    time.sleep(0.3)
    parts = json.loads(page.evaluate(CURVES))
    seq = page.evaluate("window.playground.snap.seq")
    page.evaluate("send('resync')")
    until(page, f"window.playground.snap.seq > {seq}")
    whole = json.loads(page.evaluate(CURVES))
    assert parts == whole
    assert len(whole[0]["epochs"]) > 50 and len(whole[1]["epochs"]) > 50
    assert whole[1]["epochs"] == whole[0]["epochs"]  # per epoch: a point each, like the losses
