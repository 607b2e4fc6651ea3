"""The upload limit (``OWNERHUB_MAX_UPLOAD_BYTES``), enforced while a request body streams in.

``UploadCapHandler`` is first in ``FILE_UPLOAD_HANDLERS``. It counts each uploaded file's bytes
as Django reads them and passes them on to the handlers after it (memory, then a temporary
file) only up to the limit: past it, nothing more of that file is written anywhere, whatever
the body's declared length (a chunked body declares none). The rest of the body is read and
dropped, so the other form fields still arrive and the client gets an answer, not a reset.

A file over the limit reaches the view as an ``OverLimitUpload``: no content, and ``size`` the
bytes counted. The pipeline refuses a source whose declared size is over the limit before it
stores anything, so the owner gets the usual rejected receipt ("The file is larger than the
50 MB limit.") from the upload page and the API alike (the API answers it with 413).
"""

from __future__ import annotations

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


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
