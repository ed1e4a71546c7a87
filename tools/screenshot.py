"""Screenshots of pages for docs/screenshots/, taken in headless Chromium (Debian's, through
Playwright) from a running server with the demo loaded (`make run`):

    .venv/bin/python -m tools.screenshot USER PATH OUT.png [--width 1360] [--height 900]
        [--base http://127.0.0.1:8000] [--wait SELECTOR]

It logs in as the demo user (password from var/demo_password), opens PATH, waits until no
element matches `--wait` (default: a chart or map not yet drawn), and saves a full-page PNG.
Script errors on the page are printed and make it exit 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DIBIAO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
NOT_DRAWN = "[data-chart]:not([data-rendered])"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("user")
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--wait", default=NOT_DRAWN)
    args = parser.parse_args()
    password = (ROOT / "var/demo_password").read_text().strip()
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": args.width, "height": args.height})
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{args.base}/accounts/login/")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{args.base}{args.path}")
        page.wait_for_selector(args.wait, state="detached", timeout=30_000)
        page.screenshot(path=args.out, full_page=True)
        browser.close()
    for error in errors:
        print(f"page error: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
