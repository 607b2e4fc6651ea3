"""The ``device_backup`` acquisition path of the WhatsApp manifest."""

from __future__ import annotations

from ...manifest import AcquisitionPath
from . import parse

BACKUP_PATH = AcquisitionPath(
    method="device_backup",
    job="Import a chat from a phone backup",
    trigger="manual",
    accepted_formats=(".sqlite", ".db", ".zip"),
    instructions=(
        "iPhone: make an unencrypted backup in Finder or iTunes, then upload ChatStorage.sqlite "
        "from it, or the backup folder zipped.",
        "Android: upload a decrypted msgstore.db. Ownerhub does not decrypt WhatsApp's .crypt14 "
        "or .crypt15 backups; decrypt it with your own key first.",
        "The preview lists the chats in the backup; choose the one this source is. Your answer is "
        "remembered for later backups.",
    ),
    parser=parse,
)
