"""Owner API: the whole account as one zip."""

from ninja import Router

router = Router(tags=["exports"])
