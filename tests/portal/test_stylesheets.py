import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_no_stylesheet_sets_a_font_size_in_pixels_so_the_browser_font_setting_applies():
    pixel_sizes = [
        f"{sheet.name}: {match.group(0)}"
        for sheet in sorted(STATIC.glob("css/*.css"))
        for match in re.finditer(r"font-size\s*:\s*[\d.]+px", sheet.read_text())
    ]

    assert pixel_sizes == []


def test_the_favicon_is_a_static_svg():
    favicon = (STATIC / "favicon.svg").read_text()

    assert favicon.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
