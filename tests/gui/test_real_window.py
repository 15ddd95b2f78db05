"""The app in a real X window (Xvfb), driven by real key presses (xdotool), photographed
from the X server (ImageMagick's ``import``): the library panel shown and a question
asked with the built-in model, in light and dark.

Skipped with the reason where Xvfb, xdotool or ImageMagick are missing (on Debian:
``apt-get install xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 xdotool
imagemagick``). Screenshots go where ``test_screenshot`` puts them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.conftest import shared_file
from tests.gui.test_screenshot import screenshot_folder

REPO = Path(__file__).resolve().parents[2]
BUILT_IN = REPO / "models" / "desktop-qa-minilm-squad"
TOOLS = ("Xvfb", "xdotool", "import")
# Xvfb has no desktop to say it is dark: for "dark" the app's theme is told so, as a dark
# system would, and the pages are set dark in the settings.
START_APP = """
import sys
from pathlib import Path
import desktop_qa.gui.app as gui_app
if sys.argv[1] == "dark":
    follow = gui_app.apply_theme
    gui_app.apply_theme = lambda app, dark=None: follow(app, True)
sys.exit(gui_app.run(Path(sys.argv[2])))
"""

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in TOOLS),
    reason="needs Xvfb, xdotool and ImageMagick's import for a real window",
)


@pytest.fixture
def display(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A fresh X server of its own; the environment that points at it."""
    number = 90 + os.getpid() % 100
    server = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    env = {**os.environ, "DISPLAY": f":{number}", "QT_QPA_PLATFORM": "xcb"}
    deadline = time.monotonic() + 20
    while subprocess.run(["xdotool", "getmouselocation"], env=env,
                         capture_output=True).returncode:  # fmt: skip
        assert server.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.2)
    yield env
    server.terminate()
    server.wait(10)


def xdotool(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True,
                          timeout=30)  # fmt: skip
    return done.stdout.strip()


def shoot(env: dict[str, str], target: Path) -> QImage:
    subprocess.run(["import", "-window", "root", str(target)], env=env, check=True, timeout=30)
    image = QImage(str(target))
    assert not image.isNull()
    return image


def differs(before: QImage, after: QImage, x0: int, x1: int, y0: int, y1: int) -> bool:
    """Whether any pixel in the box changed between the two pictures."""
    return any(
        before.pixel(x, y) != after.pixel(x, y) for x in range(x0, x1, 4) for y in range(y0, y1, 4)
    )


@pytest.mark.timeout(240)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_real_window_shows_the_library_and_answers_by_keyboard(
    display: dict[str, str], tmp_path: Path, scheme: str
) -> None:
    if not (BUILT_IN / "model_quantized.onnx").is_file():
        pytest.skip("the built-in model is not in models/")
    library_folder = shared_file("corpus", "library")
    env = {**display, "DESKTOP_QA_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "desktop_qa", "library", "add", str(library_folder),
               "--library", "papers"]  # fmt: skip
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=180)
    if scheme == "dark":
        (tmp_path / "data" / "gui.ini").write_text("[General]\npage_colours=dark\n")
    log = tmp_path / "app.log"
    with log.open("wb") as output:
        app = subprocess.Popen(
            [sys.executable, "-c", START_APP, scheme, str(shared_file("corpus", "alexnet.pdf"))],
            env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (window := xdotool(env, "search", "--name", "ImageNet Classification")):
            assert app.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the window did not open"
            time.sleep(0.3)
        window = window.splitlines()[0]
        time.sleep(3)  # the model loads and the first pages render
        folder = screenshot_folder(tmp_path)
        before = shoot(env, folder / f"real-window-{scheme}-document.png")
        xdotool(env, "windowfocus", "--sync", window)
        xdotool(env, "key", "ctrl+shift+b")
        time.sleep(1)
        with_library = shoot(env, folder / f"real-window-{scheme}-library.png")
        assert differs(before, with_library, 10, 300, 120, 600), "the library did not show"
        xdotool(env, "key", "ctrl+l")
        xdotool(env, "type", "--delay", "10", "How many parameters does the network have?")
        xdotool(env, "key", "Return")
        time.sleep(8)
        answered = shoot(env, folder / f"real-window-{scheme}-answered.png")
        assert differs(with_library, answered, 930, 1260, 190, 500), "no answers appeared"
        corner = answered.pixelColor(700, 60).lightness()  # the tab bar's background
        assert (corner < 100) == (scheme == "dark")
    finally:
        app.terminate()
        app.wait(20)
