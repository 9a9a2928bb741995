"""Fonts for the printed forms (referral slips, reports): a CJK TrueType font from a Debian
package, embedded in every PDF so that it prints the same everywhere.

``settings.LIANXIN_PDF_FONT`` (or the environment variable) names one path or several separated
by ``:``; otherwise the usual Debian locations are tried.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings

# Fonts fpdf2 embeds correctly (TrueType outlines), in the Debian packages that ship them:
# fonts-wqy-microhei, fonts-wqy-zenhei, fonts-arphic-uming.
DEFAULT_FONT_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    # Fedora / openSUSE package paths of the same fonts, and macOS's TrueType font with CJK.
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/System/Library/Fonts/Supplemental/Arial Unicode.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
)
FONT_PACKAGE = "fonts-wqy-microhei"


class FontUnavailable(Exception):
    """No CJK font to embed: the form cannot be printed until one is installed."""

    def __init__(self, tried: Sequence[str]) -> None:
        self.tried = list(tried)
        super().__init__(
            f"No CJK font for printed forms (tried {', '.join(self.tried) or 'nothing'}); "
            f"install the Debian package {FONT_PACKAGE} or set LIANXIN_PDF_FONT."
        )


def font_candidates() -> list[str]:
    """The font paths to try, in order: the configured ones, else Debian's usual paths."""
    configured = getattr(settings, "LIANXIN_PDF_FONT", None) or os.environ.get(
        "LIANXIN_PDF_FONT", ""
    )
    if configured:
        # A configured font replaces the defaults: an administrator who names a font wants to
        # hear that it is missing, not to get another one silently.
        return [p for p in str(configured).split(os.pathsep) if p.strip()]
    return list(DEFAULT_FONT_PATHS)


def find_font() -> Path:
    """The first readable candidate font; ``FontUnavailable`` if there is none."""
    tried = font_candidates()
    for candidate in tried:
        path = Path(candidate.strip())
        if path.is_file() and os.access(path, os.R_OK):
            return path
    raise FontUnavailable(tried)
