"""The two upload handlers of ``FILE_UPLOAD_HANDLERS``, and the cleanup of uploads a crash left.

The limit (``OWNERHUB_MAX_UPLOAD_BYTES``) is enforced while a request body streams in.
``UploadCapHandler`` is first in ``FILE_UPLOAD_HANDLERS``. It counts each uploaded file's bytes
as Django reads them and passes them on to the handlers after it (memory, then a temporary
file) only up to the limit: past it, nothing more of that file is written anywhere, whatever
the body's declared length (a chunked body declares none). The rest of the body is read and
dropped, so the other form fields still arrive and the client gets an answer, not a reset.

A file over the limit reaches the view as an ``OverLimitUpload``: no content, and ``size`` the
bytes counted. The pipeline refuses a source whose declared size is over the limit before it
stores anything, so the owner gets the usual rejected receipt ("The file is larger than the
50 MB limit.") from the upload page and the API alike (the API answers it with 413).

Uploads spooled to disk carry our name, so the worker can remove those a crash left behind.
Django writes an upload larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file
(in ``FILE_UPLOAD_TEMP_DIR``, else the system's temporary folder) and deletes it when the
request ends. A process killed meanwhile (a restart during the preview of a large export)
leaves it there for good: one measured crash left 227 MB. ``TemporaryFileUploadHandler``
(listed in ``FILE_UPLOAD_HANDLERS``) names each such file
``ownerhub-upload~<host>~<pid>~<start>~<random>.upload<ext>`` after the process writing it
(``connections.runtime.PROCESS``). ``remove_crashed_uploads`` deletes only files so named:
at once when that process has ended on this host, and after ``older_than`` when it ran
on another host sharing the folder. Nothing else in the folder is touched.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from datetime import timedelta
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core.files import uploadhandler
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from connections.runtime import PROCESS, process_gone

log = logging.getLogger(__name__)


class OverLimitUpload(UploadedFile):
    """A file that was over the limit: its name and the bytes counted (``size``), none kept."""

    over_limit = True

    def __init__(self, name: str, content_type: str | None, size: int, charset: str | None):
        super().__init__(BytesIO(), name, content_type, size, charset)


class UploadCapHandler(FileUploadHandler):
    """Stops writing an uploaded file once it passes ``OWNERHUB_MAX_UPLOAD_BYTES``."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.limit = settings.OWNERHUB_MAX_UPLOAD_BYTES
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            return None  # the handlers after this one never see (or write) bytes past the limit
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= self.limit:
            return None  # within the limit: the next handler's file is the upload
        self._discard_partial_copies()
        return OverLimitUpload(self.file_name, self.content_type, self.received, self.charset)

    def _discard_partial_copies(self) -> None:
        # What the later handlers held (at most the limit) goes now, not when the request ends.
        # Django's own parser frees handler files the same way (``MultiPartParser._close_files``).
        handlers = getattr(self.request, "upload_handlers", []) if self.request is not None else []
        for handler in handlers:
            if handler is not self and getattr(handler, "file", None) is not None:
                handler.file.close()


PREFIX = "ownerhub-upload~"
_EXT = re.compile(r"^\.[A-Za-z0-9]{1,16}$")


def _prefix() -> str:
    return PREFIX + PROCESS.replace("~", "-").replace(":", "~") + "~"


class OwnerhubTemporaryUploadedFile(TemporaryUploadedFile):
    """Django's ``TemporaryUploadedFile``, in a file named after this process."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        ext = os.path.splitext(name)[1]
        file = tempfile.NamedTemporaryFile(
            prefix=_prefix(),
            suffix=".upload" + (ext if _EXT.match(ext) else ""),
            dir=settings.FILE_UPLOAD_TEMP_DIR,
        )
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)


class TemporaryFileUploadHandler(uploadhandler.TemporaryFileUploadHandler):
    """Streams a large upload to a temporary file that names the process writing it."""

    def new_file(self, *args, **kwargs):
        uploadhandler.FileUploadHandler.new_file(self, *args, **kwargs)
        self.file = OwnerhubTemporaryUploadedFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )


def temp_folder() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())


def _writer(name: str) -> str | None:
    """The ``host:pid:start`` of the process that wrote an upload file named by this module."""
    parts = name[len(PREFIX):].split("~")
    return ":".join(parts[:3]) if len(parts) >= 4 else None


def remove_crashed_uploads(*, older_than: timedelta, folder: Path | None = None) -> list[Path]:
    """Delete our upload files whose process is gone (see the module text); returns them."""
    folder = folder or temp_folder()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(PREFIX) or not entry.is_file(follow_symlinks=False):
            continue
        writer = _writer(entry.name)
        if writer is None:
            continue
        gone = process_gone(writer)
        try:
            old = time.time() - entry.stat(follow_symlinks=False).st_mtime > older_than.total_seconds()
            if gone or (gone is None and old):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # its request ended meanwhile and deleted it
    if removed:
        log.warning("removed %d temporary upload file(s) left by crashed processes", len(removed))
    return removed
