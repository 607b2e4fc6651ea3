"""'This does not look like the same account': a preview's identity hint against the source's.

A parser may say whose account or chat a file is from (``BatchFacts.identity``, see
``connections.connectors.identity``). The preview keeps it in ``options["identity"]``. The
first committed import that carries a hint sets the source's identity. A later preview whose
hint is another account gets a warning of kind ``other_account`` at the top of its receipt and
cannot be committed until the owner confirms it (``options["other_account_confirmed"]``: the
web's checkbox, the API's ``confirm_other_account``, the CLI's ``--confirm-other-account``).
Hints are owner data: logs get ``log_token`` only.
"""

from __future__ import annotations

import logging

from connections.connectors.identity import log_token, people, same_account

from ..models import AcquisitionBatch

log = logging.getLogger(__name__)

Status = AcquisitionBatch.Status
KIND = "other_account"
OPTION = "other_account"  # the source's identity a preview's differs from
CONFIRMED = "other_account_confirmed"
REFUSED = (
    "This export looks like it is from another account than earlier imports. "
    "Confirm that it belongs to this source to import it."
)


def source_identity(connection_id: int, *, exclude: int | None = None) -> str | None:
    """The hint of the source's first committed import that carries one, or None."""
    batches = AcquisitionBatch.objects.filter(
        connection_id=connection_id, status=Status.COMMITTED, options__has_key="identity"
    )
    if exclude is not None:
        batches = batches.exclude(pk=exclude)
    for options in batches.order_by("committed_at", "pk").values_list("options", flat=True)[:20]:
        hint = (options or {}).get("identity")
        if hint:
            return hint
    return None


def sentence(hint: str, earlier: str, *, chat: bool = False) -> str:
    """'This export is of the chat “Family” with Anna and Ben; this source's earlier imports are of …'"""
    return f"This export is of {_whose(hint, chat)}; this source's earlier imports are of {_whose(earlier, chat)}."


def _whose(hint: str, chat: bool) -> str:
    if chat:
        named, _, _ = hint.rpartition(": ")
        who = people(hint)
        with_whom = ", ".join(who[:-1]) + f" and {who[-1]}" if len(who) > 1 else "".join(who)
        return f"the chat “{named}” with {with_whom}" if named else f"a chat with {with_whom}"
    if "@" in hint:
        return f"the account {hint}"
    return f"someone {hint}"  # who a health export is of: "born 1990-03-14, female"


def note_identity(batch: AcquisitionBatch, hint: str | None) -> None:
    """Keep the preview's hint on the batch; warn (first of its warnings) when it is another account.

    The caller saves the batch.
    """
    options = {k: v for k, v in (batch.options or {}).items() if k not in ("identity", "other_account")}
    warnings = [w for w in (batch.warnings or []) if w.get("kind") != KIND]
    if hint:
        options["identity"] = hint
        earlier = source_identity(batch.connection_id, exclude=batch.pk)
        if earlier and not same_account(hint, earlier):
            options["other_account"] = earlier
            chat = any(view.kind == "messages" for view in batch.connection.manifest.views.values())
            warnings.insert(0, {"kind": KIND, "detail": sentence(hint, earlier, chat=chat), "position": None})
            log.info("batch %s: another account (%s, source %s)", batch.pk, log_token(hint), log_token(earlier))
    batch.options, batch.warnings = options, warnings


def needs_confirmation(batch: AcquisitionBatch) -> bool:
    """Whether the batch is from another account and the owner has not confirmed it yet."""
    options = batch.options or {}
    return bool(options.get("other_account")) and not options.get(CONFIRMED)


# The owner's answers that the file is this source's chat (``other_phone``): read as the same people, or as it reads.
SAME_CHAT = ("authors", "clock", "other_phone_confirmed")


def noticed_since(batch: AcquisitionBatch) -> bool:
    """At commit: whether a preview made before the source had an identity (its first import landed since:
    two chats previewed side by side into a new source) is from another account now. Its note is saved."""
    options = batch.options or {}
    hint = options.get("identity")
    if not hint or options.get(OPTION) or options.get(CONFIRMED) or any(options.get(k) for k in SAME_CHAT):
        return False
    earlier = source_identity(batch.connection_id, exclude=batch.pk)
    if not earlier or same_account(hint, earlier):
        return False
    note_identity(batch, hint)
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options, warnings=batch.warnings)
    return True


def confirm_other_account(batch: AcquisitionBatch) -> None:
    """The owner says the file belongs here after all (saved at once)."""
    batch.options = {**(batch.options or {}), CONFIRMED: True}
    AcquisitionBatch.objects.filter(pk=batch.pk).update(options=batch.options)
