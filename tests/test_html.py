"""Issue [18]: `--format html`, one self-contained page, checked as text and in a real browser.

The browser tests render the page with headless Chromium (Debian's `chromium`; `.ci/run` installs
it): no console message (a Content-Security-Policy of default-src 'none' turns any load from
elsewhere into one), the SVG elements in the DOM, and a screenshot of the size asked for whose
pixels show the shaded bands. They skip only where no Chromium can be found and CI is not set.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

HOSTILE = "<script>alert(1)</script>"
HISTORY = f"""id,date,b12,mma,hcy,folate
"{HOSTILE}",2024-01-10,162,0.62,18,3
"{HOSTILE}",2024-05-12,250,0.45,16,5
"{HOSTILE}",2024-09-10,410,0.30,11.8,7
other,2024-01-01,>2000,,,
other,2024-03-01,1800,,,
"""
NORMAL_BAND = (0xD4, 0xED, 0xD4)  # .band-normal
DEFICIENT_BAND = (0xF6, 0xC9, 0xC9)  # .band-deficient


class Page(HTMLParser):
    """Every start tag with its attributes, the text, and each <svg>'s first two children."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.svg_children: list[list[str]] = []
        self._depth = 0
        self._style = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))
        self._style = tag == "style"
        if tag == "svg":
            self.svg_children.append([])
            self._depth = 0
        elif self.svg_children and len(self.svg_children[-1]) < 2 and self._depth == 0:
            self.svg_children[-1].append(tag)
        if self.svg_children and tag in ("title", "desc", "text", "rect", "circle", "polygon", "polyline"):
            self._depth += tag not in ("rect", "circle", "polygon", "polyline", "line")

    def handle_endtag(self, tag: str) -> None:
        self._style = False
        if tag in ("title", "desc", "text") and self._depth:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._style:  # the words a reader sees, not the style sheet
            self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


@pytest.fixture
def history_page(b12, tmp_path) -> str:
    path = tmp_path / "results.csv"
    path.write_text(HISTORY, encoding="utf-8")
    run = b12("history", str(path), "--format", "html")
    assert run.exit_code == 0, run.stderr
    return run.stdout


def assert_self_contained(html: str) -> Page:
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    page = parse(html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert not any("src" in attrs or "srcset" in attrs for _, attrs in page.tags)
    assert not any(a.get("href", "https://").split(":")[0] not in ("https", "http") for t, a in page.tags if t == "a")
    assert "url(" not in html and "@import" not in html and "@font-face" not in html
    [csp] = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp["content"].startswith("default-src 'none';")
    svgs = tags.count("svg")
    assert svgs and page.svg_children == [["title", "desc"]] * svgs  # every chart has a text alternative
    for _, attrs in (x for x in page.tags if x[0] == "svg"):
        title, desc = attrs["aria-labelledby"].split()
        assert {title, desc} <= {a.get("id") for _, a in page.tags}
    return page


def test_the_history_page_is_one_self_contained_document(history_page):
    page = assert_self_contained(history_page)
    text = " ".join("".join(page.text).split())
    assert "For information only, not a diagnosis" in text  # the disclaimer
    assert "B12 rose from 162 to 410 pg/mL in 8 months, more than the 37% that chance allows: a real rise." in text
    assert "B12 went from >2000 to 1800 pg/mL in 2 months; a result given as a limit" in text
    tags = [t for t, _ in page.tags]
    assert tags.count("svg") == 5 and tags.count("polyline") == 5 and tags.count("circle") == 14
    assert tags.count("table") == 2 + 5  # each person's panels, and each chart's numbers again in a table
    assert "+54.3%" in text and "▲ real rise" in text and "≈ within variation" in text
    assert "Sources" in text and "Biological variation of plasma 25-Hydroxyvitamin D3" in text
    assert "https://doi.org/10.1080/00365513.2023.2278537" in text


def test_every_text_from_input_is_escaped(history_page, b12, tmp_path):
    assert HOSTILE not in history_page and "<script" not in history_page
    assert "Person: &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in history_page
    assert f"{HOSTILE} over time" not in history_page and "for &lt;script&gt;alert(1)&lt;/script&gt;</title>" in \
        history_page
    named = tmp_path / 'x"><b>.csv'  # a file name is input too
    named.write_text("id,date,b12\nq,2024-01-01,300\nq,2024-02-01,310\n", encoding="utf-8")
    page = b12("history", str(named), "--format", "html").stdout
    assert "<b>" not in page and "x&quot;&gt;&lt;b&gt;.csv" in page


def test_print_css_gives_each_person_a_page():
    from b12cli.output.html import CSS

    assert "@page { margin: 12mm; }" in CSS and ".person { break-after: page; }" in CSS
    assert "break-inside: avoid" in CSS and "print-color-adjust: exact" in CSS


def test_the_labs_page_has_the_gauges_verdict_steps_and_sources(b12):
    run = b12("labs", "--b12", "180", "--mma", "0.5", "--holotc", "30", "--format", "html")
    assert run.exit_code == 0 and run.stderr == ""
    page = assert_self_contained(run.stdout)
    tags = [t for t, _ in page.tags]
    assert tags.count("svg") == 3 and tags.count("polygon") == 3  # a gauge with its marker for each result
    text = " ".join("".join(page.text).split())
    assert "Deficiency likely" in text and "Why" in text and "Next steps" in text and "Sources" in text
    assert "180 pg/mL" in text and "deficiency_likely" not in text  # tokens are put in words
    assert "For information only, not a diagnosis" in text


def test_labs_html_keeps_the_exit_code_of_check_and_is_refused_for_a_batch(b12, tmp_path):
    assert b12("labs", "--b12", "120", "--check", "--format", "html").exit_code == 3
    path = tmp_path / "rows.csv"
    path.write_text("b12\n300\n", encoding="utf-8")
    run = b12("labs", "--input", str(path), "--format", "html")
    assert run.exit_code == 2 and "--format" in run.stderr


def test_history_format_names_html(b12, tmp_path):
    run = b12("history", str(tmp_path / "none.csv"), "--format", "pdf")
    assert run.exit_code == 2 and "expected one of table, json, csv, html" in run.stderr


# ----------------------------------------------------------------- in a real browser


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail("no Chromium found: CI must have it (.ci/run installs Debian's chromium)")
    pytest.skip("no Chromium found (apt-get install chromium); these tests run in CI")


def browse(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"  # one per run: runs never share a lock
    quiet = ("--no-first-run", "--disable-extensions", "--disable-sync", "--disable-background-networking",
             "--disable-component-update", "--disable-default-apps")  # a faster start, and nothing fetched
    command = [chromium(), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", *quiet,
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of an 8-bit RGB or RGBA PNG, with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", data[16:29])
    assert depth == 8 and kind in (2, 6) and interlace == 0
    at, idat = 8, b""
    while at < len(data):
        size, name = struct.unpack(">I4s", data[at:at + 8])
        idat += data[at + 8:at + 8 + size] if name == b"IDAT" else b""
        at += 12 + size
    raw, step = zlib.decompress(idat), 3 if kind == 2 else 4
    stride, rows, before = width * step, [], bytearray(width * step)
    for y in range(height):
        kind_of_row, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - step] if x >= step else 0
            b, c = before[x], before[x - step] if x >= step else 0
            p = a + b - c
            near = a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c
            line[x] = (line[x] + (0, a, b, (a + b) // 2, near)[kind_of_row]) & 0xFF
        rows.append(bytes(line if step == 3 else b"".join(line[i:i + 3] for i in range(0, stride, 4))))
        before = line
    return width, height, rows


def count_colour(rows: list[bytes], colour: tuple[int, int, int]) -> int:
    return sum(row.count(bytes(colour)) for row in rows)  # whole pixels: rows are RGB triples


def test_the_page_loads_in_chromium_with_no_console_message_and_draws_its_svg(history_page, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(history_page, encoding="utf-8")
    done = browse(tmp_path, page, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line or "Content Security Policy" in line]
    assert console == []
    dom = done.stdout
    assert dom.count("<svg") == 5 and dom.count("<polyline") == 5 and dom.count("<circle") == 14
    assert dom.count("<rect") >= 5 * 2 and "<title" in dom and "<desc" in dom
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom and "<script" not in dom  # never run, never a tag


def test_the_browser_reports_a_load_from_elsewhere_so_the_check_above_can_fail(tmp_path):
    """The console check catches what it guards: the same page with an image from the network."""
    from b12cli.output.html import CSP

    page = tmp_path / "leaky.html"
    page.write_text(f'<!doctype html><meta http-equiv="Content-Security-Policy" content="{CSP}">'
                    '<img src="https://example.invalid/x.png" alt="">', encoding="utf-8")
    done = browse(tmp_path, page, "--dump-dom")
    assert any(":CONSOLE" in line and "Content Security Policy" in line for line in done.stderr.splitlines())


def test_a_screenshot_has_the_size_asked_for_and_shows_the_bands(b12, history_page, tmp_path):
    page, shot = tmp_path / "page.html", tmp_path / "page.png"
    page.write_text(history_page, encoding="utf-8")
    done = browse(tmp_path, page, f"--screenshot={shot}", "--window-size=640,900")  # small: decoded in Python
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (640, 900)
    assert count_colour(rows, NORMAL_BAND) > 5_000 and count_colour(rows, DEFICIENT_BAND) > 2_000


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_a_missing_chromium_fails_in_ci_and_skips_elsewhere(monkeypatch, ci, outcome):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome):
        chromium()
