"""The words WhatsApp writes into an export in place of media, calls, deletions and notices.

Data, not branches: the reader looks a message's first line up in these tables. Each
entry is the text the WhatsApp apps (Android and iOS) write into "Export chat" files in
the app's language; the languages are English, German, Spanish, French, Italian,
Portuguese, Russian and Dutch (not each table has each one). Source: exported chats,
as collected when this connector was written (the English forms are in
``tests/fixtures/whatsapp``); WhatsApp publishes no list. A word seen in a new export
is added here, and nowhere else.
"""

from __future__ import annotations

import re

# A media file left out of the export. Android writes one placeholder for every type
# of media, iOS one per type.
OMITTED = (
    # Android
    "<Media omitted>",
    "<Medien ausgeschlossen>",
    "<Multimedia omitido>",
    "<Multimedia omitidos>",
    "<Médias omis>",
    "<Media omessi>",
    "<Mídia oculta>",
    "<Arquivo de mídia oculto>",
    "<Без медиафайлов>",
    "<Media weggelaten>",
    # iOS
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "GIF omitted",
    "Contact card omitted",
    "Bild weggelassen",
    "Video weggelassen",
    "Audio weggelassen",
    "Sticker weggelassen",
    "GIF weggelassen",
    "Kontaktkarte weggelassen",
    "изображение отсутствует",
    "видео отсутствует",
    "аудиофайл отсутствует",
    "стикер отсутствует",
    "GIF отсутствует",
    "карточка контакта отсутствует",
    "imagen omitida",
    "video omitido",
    "audio omitido",
    "sticker omitido",
    "imagem ocultada",
    "vídeo ocultado",
    "áudio ocultado",
    "figurinha omitida",
)
# A deleted message (also written with a trailing period by some app versions).
DELETED = (
    "This message was deleted",
    "You deleted this message",
    "Diese Nachricht wurde gelöscht",
    "Du hast diese Nachricht gelöscht",
    "Se eliminó este mensaje",
    "Eliminaste este mensaje",
    "Ce message a été supprimé",
    "Vous avez supprimé ce message",
    "Questo messaggio è stato eliminato",
    "Hai eliminato questo messaggio",
    "Mensagem apagada",
    "Essa mensagem foi apagada",
    "Você apagou esta mensagem",
    "Данное сообщение удалено",
    "Вы удалили данное сообщение",
    "Это сообщение удалено",
)
# A call, as a whole first line.
CALLS = (
    "Missed voice call",
    "Missed video call",
    "Missed group voice call",
    "Missed group video call",
    "Voice call",
    "Video call",
    "Group voice call",
    "Group video call",
    "Verpasster Sprachanruf",
    "Verpasster Videoanruf",
    "Sprachanruf",
    "Videoanruf",
    "Llamada perdida",
    "Videollamada perdida",
    "Пропущенный аудиозвонок",
    "Пропущенный видеозвонок",
)
# iOS: a document left out, at the end of "Report.pdf • 3 pages document omitted".
DOCUMENT_OMITTED = (
    "document omitted",
    "Dokument weggelassen",
    "документ отсутствует",
    "documento omitido",
    "documento ocultado",
)
# Android, with media: "IMG-20230101-WA0001.jpg (file attached)".
FILE_ATTACHED = (
    "file attached",
    "Datei angehängt",
    "archivo adjunto",
    "fichier joint",
    "arquivo anexado",
    "file allegato",
    "файл добавлен",
    "файл прикреплён",
    "bestand bijgevoegd",
)
# iOS, with media: "<attached: 00000012-PHOTO-2023-01-01-10-00-00.jpg>".
IOS_ATTACHED = (
    "attached",
    "Anhang",
    "adjunto",
    "anexo",
    "anexado",
    "pièce jointe",
    "allegato",
    "вложение",
    "bijlage",
)
POLL_PREFIXES = ("POLL:", "UMFRAGE:", "ENCUESTA:", "SONDAGE:", "ENQUETE:", "SONDAGGIO:", "ОПРОС:")
# The marker after an edited message's text: "<This message was edited>".
EDITED = (
    "This message was edited",
    "Diese Nachricht wurde bearbeitet",
    "Se editó este mensaje",
    "Se editó este mensaje.",
    "Ce message a été modifié",
    "Questo messaggio è stato modificato",
    "Essa mensagem foi editada",
    "Сообщение изменено",
)
# iOS system notices carry an author (the chat's name) and a U+200E-led body; these
# phrases identify them, anywhere in the first line.
SYSTEM_PHRASES = (
    "end-to-end encrypted",
    "Ende-zu-Ende-verschlüsselt",
    "cifrados de extremo a extremo",
    "chiffrés de bout en bout",
    "crittografia end-to-end",
    "criptografia de ponta a ponta",
    "сквозным шифрованием",
    "created group",
    "created this group",
    "changed the subject",
    "changed this group",
    "changed the group",
    "changed their phone number",
    "security code",
    "disappearing messages",
    "joined using this group",
    "now an admin",
    "no longer an admin",
    "pinned a message",
    "business account",
    "hat die Gruppe",
    "hat den Betreff",
    "Sicherheitsnummer",
    "hinzugefügt",
    "hat die Gruppe verlassen",
)
# ... and these short words only as whole words ("left" only at the end).
SYSTEM_PATTERNS = (r"\badded\b", r"\bleft$", r"\bremoved\b")
# A shared location: "location: https://maps.google.com/?q=…".
MAP_HOSTS = (r"maps\.google\.[a-z.]+", r"maps\.apple\.com", r"goo\.gl/maps")


def _any(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in words)


# Exact first lines -> kind.
EXACT: dict[str, str] = {
    **dict.fromkeys(OMITTED, "omitted"),
    **dict.fromkeys(DELETED, "deleted"),
    **dict.fromkeys((text + "." for text in DELETED), "deleted"),
    **dict.fromkeys(CALLS, "call"),
}
# Last characters of first lines that may be media: "… (file attached)", "<attached: …>".
SPECIAL_TAILS = frozenset(")>")
FILE_ATTACHED_RE = re.compile(rf"(?P<name>.+?) \((?:{_any(FILE_ATTACHED)})\)$")
IOS_ATTACHED_RE = re.compile(rf"<(?:{_any(IOS_ATTACHED)}): (?P<name>[^<>]+)>")
LOCATION_RE = re.compile(rf"\w+: https?://(?:{'|'.join(MAP_HOSTS)})/")
# Calls with more words after them ("Missed voice call, tap to call back").
CALL_RE = re.compile(
    r"(?:Missed |Verpasster )?(?:group |Gruppen)?(?:voice|video|Sprach|Video)"
    r" ?(?:call|anruf)(?:[,.] .*)?$",
    re.IGNORECASE,
)
EDITED_RE = re.compile(rf"\s*<(?:{_any(EDITED)})>$")
SYSTEM_RE = re.compile("|".join((_any(SYSTEM_PHRASES), *SYSTEM_PATTERNS)))
