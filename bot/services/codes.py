"""One-time codes in deep links (invites, contacts' links): the person gets the code once, in
the link; the database keeps only its SHA-256, so a copy of the database opens no door. The
codes are random (96 bits and more), so a plain hash is enough."""

from __future__ import annotations

import hashlib
import secrets


def new_code(prefix: str, random_bytes: int) -> str:
    """A fresh code: ``prefix`` (which keeps the kinds of link apart) and random URL-safe text."""
    return prefix + secrets.token_urlsafe(random_bytes)


def stored_form(code: str) -> str:
    """What the database keeps of ``code`` and looks it up by."""
    return hashlib.sha256(code.encode()).hexdigest()
