"""What a state says on a card before the projection gives its actions addresses (``verdict``)."""

from __future__ import annotations

from typing import Literal, NamedTuple


class Ask(NamedTuple):
    """An action before it has an address; the first ask of a kind wins."""

    kind: str
    label: str
    part: str = ""
    urgency: Literal["now", "soon"] = "soon"
    blocking: bool = False
    audience: Literal["owner", "operator"] = "owner"
    confirm: str = ""


class Say(NamedTuple):
    headline: str
    forward: str
    asks: tuple[Ask, ...] = ()
