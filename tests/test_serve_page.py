"""``skmnist serve``'s page in headless Chromium (Debian's chromium and chromium-driver):
digits drawn with pointer actions (mouse, pen, touch), uploads, the novelty verdict, no
console errors, a phone-sized window.  Slow (a browser, a server process, a network trained
well enough to read drawn digits): CI runs it with ``-m slow``."""

import math
import os

import joblib
import numpy as np
import pytest
from _internals import frame_images
from _serving import Server, as_paper_digit, png
from sklearn.pipeline import make_pipeline

from skmnist import FCNClassifier, PixelScaler, load_mnist_sample

pytestmark = pytest.mark.slow


def _browser_paths():
    """Chromium and ChromeDriver, or skip (fail in CI, which installs them) saying why."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = ("headless Chromium and ChromeDriver are needed to test the page "
               "(Debian: apt-get install chromium chromium-driver)")
    if os.environ.get("SKMNIST_REQUIRE_BROWSER"):
        pytest.fail(f"SKMNIST_REQUIRE_BROWSER is set but {message}")
    pytest.skip(message)


@pytest.fixture(scope="module")
def model():
    # The default network, 5 epochs on the 5,000-image sample (about 90-94% on the test
    # images): good enough to read clear, thick strokes.
    X, y = load_mnist_sample(return_X_y=True)
    return make_pipeline(PixelScaler(), FCNClassifier(epochs=5, random_state=0)).fit(X, y)


@pytest.fixture(scope="module")
def server(model, tmp_path_factory):
    path = tmp_path_factory.mktemp("page") / "model.joblib"
    joblib.dump(model, path)
    server = Server(path)
    yield server
    status, output = server.stop()
    assert status == 0, output


@pytest.fixture(scope="module")
def browser(server, tmp_path_factory):
    chromium, chromedriver = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1000,1100",
                 f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.get(server.url)
    _wait(browser, "return document.getElementById('bars').children.length === 10")
    yield browser
    browser.quit()


def _wait(browser, script, timeout=20):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, timeout, poll_frequency=0.05).until(
        lambda b: b.execute_script(script)
    )


def _answered(browser):
    """Wait for the answer to the latest drawing or upload; return the page's reading."""
    _wait(browser, "return document.getElementById('pad').dataset.state === 'idle'")
    return browser.execute_script(
        """
        const seen = document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28);
        let ink = 0;
        for (let i = 0; i < seen.data.length; i += 4) ink += seen.data[i] > 0;
        return {
          digit: document.getElementById('digit').textContent,
          verdict: document.getElementById('verdict').textContent,
          status: document.getElementById('status').textContent,
          bars: Array.from(document.querySelectorAll('#bars .pct')).map(e => e.textContent),
          inked: ink,
        };
        """
    )


def _ellipse(cx, cy, rx, ry, n=28):
    return [(cx + rx * math.sin(2 * math.pi * k / n), cy - ry * math.cos(2 * math.pi * k / n))
            for k in range(n + 1)]


# Strokes as fractions of the canvas (x right, y down).
DIGITS = {
    "1": [[(0.52, 0.14), (0.48, 0.86)]],
    "7": [[(0.24, 0.18), (0.76, 0.18), (0.44, 0.86)]],
    "0": [_ellipse(0.5, 0.5, 0.22, 0.34)],
}


def _draw(browser, strokes, kind):
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    canvas = browser.find_element("id", "pad")
    width, height = canvas.size["width"], canvas.size["height"]
    builder = ActionBuilder(browser, mouse=PointerInput(kind, f"drawing-{kind}"))
    actions = builder.pointer_action

    def move(x, y):  # offsets from the canvas's centre, as WebDriver measures them
        actions.move_to(canvas, round((x - 0.5) * width), round((y - 0.5) * height))

    for stroke in strokes:
        move(*stroke[0])
        actions.pointer_down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for t in np.linspace(0, 1, 6)[1:]:  # a smooth stroke of many pointer moves
                move(x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        actions.pointer_up()
    builder.perform()


def test_drawn_digits_are_read(browser):
    from selenium.webdriver.common.actions import interaction

    kinds = {"1": interaction.POINTER_MOUSE, "7": interaction.POINTER_PEN,
             "0": interaction.POINTER_TOUCH}
    read = {}
    for digit, strokes in DIGITS.items():
        browser.find_element("id", "clear").click()
        _draw(browser, strokes, kinds[digit])
        reading = _answered(browser)
        read[digit] = reading["digit"]
        assert reading["status"] == ""
        assert reading["inked"] > 20  # the 28x28 image the model saw is shown
        assert sum(float(p.rstrip("%")) for p in reading["bars"]) == pytest.approx(100, abs=1)
        if os.environ.get("SKMNIST_SERVE_SCREENSHOT") and digit == "7":
            browser.save_screenshot(os.environ["SKMNIST_SERVE_SCREENSHOT"])
    assert read == {digit: digit for digit in DIGITS}
    # Loading the page and drawing logged no error (the uploads below log a 422 on purpose).
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def test_uploads_are_answered_and_a_photo_is_flagged(browser, model, tmp_path):
    X_test, _ = load_mnist_sample("test", return_X_y=True)
    image = as_paper_digit(X_test[3], scale=6)
    framed, _ = frame_images([image])
    expected = model.predict(np.rint(framed.reshape(1, -1) * 255).astype(np.uint8))[0]
    (tmp_path / "digit.png").write_bytes(png(image))
    browser.find_element("id", "clear").click()
    browser.find_element("id", "file").send_keys(str(tmp_path / "digit.png"))
    reading = _answered(browser)
    assert reading["digit"] == str(expected) and reading["inked"] > 20
    assert "Looks like a handwritten digit" in reading["verdict"]

    # A photo-like picture (a dark coin on a lit, grainy table) holds no digit: flagged.
    rng = np.random.default_rng(0)
    yy, xx = np.indices((240, 320))
    table = 170 + 60 * xx / 320 + rng.normal(0, 6, xx.shape)
    grey = np.where((yy - 120) ** 2 + (xx - 160) ** 2 < 80**2, 40 + 30 * yy / 240, table)
    photo = np.clip(np.stack([grey, grey * 0.95, grey * 0.85], axis=-1), 0, 255)
    (tmp_path / "photo.jpg").write_bytes(png(photo, "JPEG", quality=90))
    browser.find_element("id", "file").send_keys(str(tmp_path / "photo.jpg"))
    reading = _answered(browser)
    assert "does not look like a handwritten digit" in reading["verdict"]

    # A blank upload: the page says so instead of a digit.
    (tmp_path / "blank.png").write_bytes(png(np.full((50, 50), 255)))
    browser.find_element("id", "file").send_keys(str(tmp_path / "blank.png"))
    reading = _answered(browser)
    assert "blank" in reading["status"] and reading["digit"] == "?"


def test_a_phone_sized_window(browser):
    browser.set_window_size(390, 844)
    try:
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.getElementById('pad').getBoundingClientRect().width];"
        )
        assert widths[0] <= widths[1]  # no sideways scrolling
        assert widths[2] >= 250  # the drawing area stays usable
        labels = browser.execute_script(
            "return [...document.querySelectorAll('canvas, input, button')].map("
            "e => e.getAttribute('aria-label') || e.textContent.trim());"
        )
        assert all(labels)  # every control and picture has a name for screen readers
    finally:
        browser.set_window_size(1000, 1100)


def test_a_mixture_density_network_shows_its_density(browser, tmp_path):
    from skmnist import MDNClassifier

    X, y = load_mnist_sample(return_X_y=True)
    mdn = make_pipeline(PixelScaler(), MDNClassifier(hidden_layer_sizes=(32,), epochs=2,
                                                     random_state=0)).fit(X[:2000], y[:2000])
    joblib.dump(mdn, tmp_path / "mdn.joblib")
    server = Server(tmp_path / "mdn.joblib")
    try:
        browser.get(server.url)
        _wait(browser, "return document.getElementById('bars').children.length === 10")
        assert browser.execute_script(
            "return document.getElementById('density-figure').hidden")  # none before an answer
        _draw(browser, DIGITS["1"], "mouse")
        reading = _answered(browser)
        assert reading["status"] == "" and reading["digit"] != "?"
        drawn = browser.execute_script(
            """
            const figure = document.getElementById('density-figure');
            const c = document.getElementById('density');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) painted += data[i] > 0;
            return [figure.hidden, painted];
            """
        )
        assert drawn[0] is False and drawn[1] > 200  # the density curve and its axis labels
    finally:
        status, output = server.stop()
    assert status == 0, output
