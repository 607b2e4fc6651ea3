"""The chat text inside the artifact: a bare ``.txt``, or the chosen member of a zip."""

from __future__ import annotations

import re
import zipfile
from typing import IO

from ..base import (
    Artifact,
    ArtifactRejected,
    BatchFacts,
    is_zip,
    open_zip,
    safe_member_names,
    sniff,
)
from ..identity import chat_name_from_filename
from .lines import _ReadError
from .scan import _scan

_MAX_CANDIDATES = 20  # .txt members of a zip inspected when there is no _chat.txt
_IOS_ZIP_NAME = re.compile(r"WhatsApp Chat - .+\.zip$", re.IGNORECASE)


def _text(path) -> bool:
    """Whether the file opens as UTF-8 text (a chat renamed .zip is read as the text it is)."""
    head = sniff(path, 1024)
    for cut in range(4):  # a character may be cut at the end of the sniffed bytes
        try:
            head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return b"\x00" not in head
    return False


class _Source:
    """The chat text inside the artifact (a bare .txt or a zip member), reopenable per pass."""

    def __init__(self, artifact: Artifact, facts: BatchFacts):
        self.path = artifact.path
        self.zf: zipfile.ZipFile | None = None
        self.member: str | None = None
        self.media: frozenset[str] = frozenset()
        # iOS names the zip after the chat; the reader trusts the first notice it knows more.
        named = _IOS_ZIP_NAME.search(artifact.filename or "") is not None
        self.chat_name_hint = chat_name_from_filename(artifact.filename) if named else None
        try:
            head = sniff(self.path, 8)
        except OSError as exc:
            raise ArtifactRejected("malformed", "The file could not be read.") from exc
        if not head:
            raise ArtifactRejected("empty", "The file is empty.")
        if not is_zip(head) and (artifact.filename or "").lower().endswith(".zip") and not _text(self.path):
            raise ArtifactRejected(
                "malformed",
                "This file is named .zip but is not a zip archive: it may be damaged, or it did not finish "
                "downloading. Export the chat again and upload the new .zip.",
            )
        if is_zip(head):
            self.zf = open_zip(self.path)
            try:
                self._choose_member(facts)
            except BaseException:
                self.zf.close()
                raise

    @property
    def zipped(self) -> bool:
        return self.zf is not None

    def open(self) -> IO[bytes]:
        try:
            if self.zf is not None:
                return self.zf.open(self.member)
            return open(self.path, "rb")
        except Exception as exc:  # unsupported compression, bad local header, I/O error
            raise _ReadError(str(exc)) from exc

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()

    def _choose_member(self, facts: BatchFacts) -> None:
        assert self.zf is not None
        names = safe_member_names(self.zf)
        chats = [n for n in names if n.rsplit("/", 1)[-1] == "_chat.txt"]
        if chats:
            chosen = min(chats, key=lambda n: (n.count("/"), n))
        else:
            texts = [n for n in names if n.lower().endswith(".txt")]
            if not texts:
                raise ArtifactRejected(
                    "wrong_source", "The zip holds no WhatsApp chat text (.txt)."
                )
            if len(texts) == 1:
                chosen = texts[0]
            else:
                looks = [n for n in texts[:_MAX_CANDIDATES] if self._looks_like_chat(n)]
                if not looks:
                    raise ArtifactRejected("wrong_source", "The zip holds no WhatsApp chat text.")
                sizes = {i.filename: i.file_size for i in self.zf.infolist()}
                chosen = min(looks, key=lambda n: (n.count("/"), -sizes.get(n, 0), n))
                if len(looks) > 1:
                    facts.warn(
                        "several_chats",
                        f"The zip holds {len(looks)} chat texts; only {chosen} was read.",
                        f"entry {chosen}",
                    )
        self.member = chosen
        self.media = frozenset(n.rsplit("/", 1)[-1] for n in names if n != chosen)

    def _looks_like_chat(self, name: str) -> bool:
        self.member = name
        try:
            fh = self.open()
            try:
                return _scan(fh, full=False).platform is not None
            finally:
                fh.close()
        except (ArtifactRejected, _ReadError):
            return False
