"""The coverage pipeline: everything that moves an owner's data in, a module per stage.

In the direction data flows:

- ``storage``: an upload streamed into storage, hashed and capped; local paths; deletion.
- ``uploads``: the upload handlers (the limit, spooled files named for crash cleanup).
- ``preview``: parse a stored artifact into staging and measure it; nothing reaches ``Record``.
- ``background``: the upload's entry: a large file's preview is read by the worker.
- ``staging``: the staging table, one writer per database vendor.
- ``landing``: measuring staged rows, landing them in ``Record`` with provenance.
- ``chunks``: an export's commit in chunks, each its own transaction, tallied on the batch.
- ``summaries``: the lane and coverage summaries every surface reads, moved with a landing.
- ``commit``: start, retry and land a commit (the body of ``coverage.tasks.commit_batch``).
- ``live``: device pushes and provider pulls, staged and committed in one go.
- ``reread``: a committed import read again from its file (today's reader, or the owner's new
  zone): the difference previewed, then applied in one transaction; ``recount`` counts the
  summaries again from the records it leaves; ``reread_which`` which imports may be read again.
- ``claims``: which process lands a commit; finding commits whose process is gone.
- ``removal``: abandoned previews, stray staged rows, a removed source's evidence.
- ``sweep``: the worker's per-round jobs over all of the above.

The public services are imported from here.
"""

from ..words import size as size_words  # the upload limit in owner words
from .background import start_preview
from .commit import MAX_COMMIT_ATTEMPTS, land_batch, requeue_stalled, retry_commit, start_commit
from .live import acquire_records
from .preview import (
    DATE_ORDERS,
    DEFAULT_GAP_AFTER,
    CommitRefused,
    NotAnArtifactSource,
    answer_preview,
    preview_artifact,
    read_as_same_people,
    waiting_preview,
)
from .removal import discard_preview, discard_staging, remove_connection
from .staging import Progress

__all__ = [
    "DATE_ORDERS",
    "DEFAULT_GAP_AFTER",
    "MAX_COMMIT_ATTEMPTS",
    "CommitRefused",
    "NotAnArtifactSource",
    "Progress",
    "acquire_records",
    "answer_preview",
    "read_as_same_people",
    "discard_preview",
    "discard_staging",
    "land_batch",
    "preview_artifact",
    "remove_connection",
    "requeue_stalled",
    "retry_commit",
    "size_words",
    "start_commit",
    "start_preview",
    "waiting_preview",
]
