"""Errors a service raises for the person to read; each carries a template name for the reply."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal the person should be told about; ``template`` names the reply to render."""

    template = "errors/generic"

    def __init__(self, **details: Any) -> None:
        super().__init__(self.template, details)
        self.details = details


class NotAllowed(ServiceError):
    template = "errors/not_allowed"


class NotFound(ServiceError):
    """Also used for records that exist but the person may not see: it must not tell them apart."""

    template = "errors/not_found"
