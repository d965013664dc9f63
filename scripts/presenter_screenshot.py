"""Take the screenshot of the presenter's room panel in the facilitators' guide
(docs/facilitators.md): docs/img/presenter.png.

Starts the server as ``make serve`` does (a throw-away state folder), opens the matrix page
in presentation mode in headless Chromium, starts a room, lets twelve simulated phones answer
the first two questions over plain HTTP, moves to the mechanisms question, reveals it and
photographs the panel. The PNG is reduced to a small palette so it stays well under 200 KB.

    .venv/bin/python scripts/presenter_screenshot.py [--out docs/img/presenter.png]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]

from browser_kit import CHROMIUM_ARGS, chromium_path, start_voila  # noqa: E402
from PIL import Image  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402
from room_kit import Phone  # noqa: E402

import explorer  # noqa: E402
from explorer.rooms import deck  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img" / "presenter.png"))
    args = parser.parse_args()
    questions = deck(explorer.load())
    chance = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="ctg-shot-") as tmp:
        server = start_voila(Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(),
                                                     args=CHROMIUM_ARGS)
                # Voila scrolls inside a panel: a tall window keeps the whole panel on screen.
                page = browser.new_page(viewport={"width": 1280, "height": 2600})
                page.goto(server.url("matrix", "present=1"))
                page.get_by_role("button", name="Start a room").click()
                code = page.locator(".ctg-room-code")
                expect(code).to_have_text(re.compile(r"^[2-9A-Z]{7}$"), timeout=60_000)
                room = code.inner_text()
                for _ in range(12):
                    phone = Phone(server.base)
                    relationship, mechanisms = questions[0], questions[1]
                    phone.answer(room, "relationship",
                                 [("choice", chance.choice(relationship.choices).id)])
                    phone.answer(room, "mechanisms", [
                        (f"level.{item.id}", chance.choice(
                            ["clearly", "partly", "partly", "not_yet", "dont_know"]))
                        for item in mechanisms.items])
                page.get_by_role("button", name="Next question →").click()
                expect(page.locator(".ctg-room-counts")).to_contain_text(
                    "12 joined · 12 answered", timeout=30_000)
                page.get_by_role("button", name="Reveal").click()
                expect(page.locator(".ctg-room .ctg-figure[data-draws]")).to_have_count(
                    1, timeout=30_000)  # the chart module marks a finished drawing
                out = Path(args.out)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.locator(".ctg-room").screenshot(path=str(out))
                browser.close()
        finally:
            server.stop()
    image = Image.open(out).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
