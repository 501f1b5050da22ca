"""Screenshots taken by the browser tours, for the README.

A tour step logs ``relsell_screenshot:<name>``; the browser then captures the
page into the folder named by the ``RELSELL_SCREENSHOTS`` environment
variable (if set) and marks ``<body data-relsell-screenshot="<name>">``,
which the next step of the tour waits for, so the page does not change
under the capture.
"""

import base64
import os
import re
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import common

PREFIX = "relsell_screenshot:"


class ScreenshotBrowser(common.ChromeBrowser):
    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin
        value = args and args[0].get("value")
        if isinstance(value, str) and value.startswith(PREFIX):
            self._relsell_screenshot(value[len(PREFIX) :])
            return
        return super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)

    def _relsell_screenshot(self, name):
        assert re.fullmatch(r"\w+", name), name
        folder = os.environ.get("RELSELL_SCREENSHOTS")

        def mark(future=None):
            if future is not None:
                try:
                    data = future.result(timeout=0)["data"]
                    with open(os.path.join(folder, f"{name}.png"), "wb") as png:
                        png.write(base64.b64decode(data))
                    self._logger.info("screenshot %s saved in %s", name, folder)
                except Exception as exc:  # a missing picture fails no test
                    self._logger.info("screenshot %s not saved: %s", name, exc)
            self._websocket_send(
                "Runtime.evaluate",
                params={"expression": f"document.body.dataset.relsellScreenshot = {name!r}"},
            )

        if folder:
            os.makedirs(folder, exist_ok=True)
            self._websocket_send("Page.captureScreenshot", with_future=True).add_done_callback(mark)
        else:
            mark()


@contextmanager
def tour_screenshots():
    """Run the tours of the block in a browser that understands screenshot steps."""
    with patch.object(common, "ChromeBrowser", ScreenshotBrowser):
        yield
