"""QR code of a view's shareable address, drawn locally with segno (no network, no service)."""

from __future__ import annotations

import io

import segno

MAX_URL_LENGTH = 2000
DARK = "#161616"
LIGHT = "#ffffff"
QUIET_ZONE = 4  # modules of white around the code (ISO/IEC 18004)
ERROR_CORRECTION = "m"


def _code(url: str) -> segno.QRCode:
    if not url or not url.strip():
        raise ValueError("Adresse vide : pas de QR code.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(
            f"Adresse trop longue pour un QR code lisible : {len(url)} caractères (au plus {MAX_URL_LENGTH})."
        )
    return segno.make(url, error=ERROR_CORRECTION, boost_error=False, micro=False)


def qr_png(url: str, size_px: int = 400) -> bytes:
    """The QR code of `url` as a PNG about `size_px` pixels wide (whole pixels per module, never less than
    one: a long address can give a slightly larger image)."""
    code = _code(url)
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=max(1, size_px // modules), border=QUIET_ZONE, dark=DARK, light=LIGHT)
    return buffer.getvalue()


def qr_svg(url: str) -> str:
    """The QR code of `url` as an SVG document (scalable), with a French title."""
    code = _code(url)
    buffer = io.BytesIO()
    code.save(
        buffer,
        kind="svg",
        scale=10,
        border=QUIET_ZONE,
        dark=DARK,
        light=LIGHT,
        xmldecl=False,
        title="QR code de l'adresse de la vue",
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue().decode("utf-8")
