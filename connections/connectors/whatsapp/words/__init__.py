"""The words WhatsApp writes into an export in place of media, calls, deletions and notices.

Data, not branches: the reader looks a message's first line up in tables built here from
one dict per language, 59 languages in all (``europe``, ``more_europe``, ``nordic``, ``world``,
``india`` and ``more_world``, each entry with its source). A language's dict may hold:

  media_omitted   Android, without media: one placeholder for every type ("<Media omitted>")
  image, video, audio, voice, sticker, gif, contact, view_once
                  iOS, without media: one placeholder per type ("image omitted"); 2015 iOS
                  wrote them in angle brackets ("<‎audio omitted>"), which every entry also
                  matches
  document        iOS: the end of "Report.pdf • 3 pages document omitted"
  deleted         a deleted message (also matched with a trailing period)
  calls           a call, as a whole first line, or followed by ", Tap to call back"
  file_attached   Android, with media: "IMG-20230101-WA0001.jpg (file attached)"
  attached        iOS, with media: "<attached: 00000012-PHOTO-2023-01-01-10-00-00.jpg>"
  notices         words of iOS system notices (author: the chat's name), anywhere in the first
                  line; the encryption notice's words first
  encryption      more wordings of the encryption notice (WhatsApp has reworded it), each also
                  a notice word
  edited          the marker after an edited message's text: "<This message was edited>" (also
                  matched with a period inside the brackets)
  poll            the first word of a poll

A word seen in a new export is added to its language's dict, and nowhere else.

The media KIND of a placeholder is the key it is listed under; an attached file's kind comes
from its name (Android IMG-/VID-/AUD-/PTT-/STK-/DOC- prefixes, iOS -PHOTO-/-VIDEO-/... words,
else its extension). Android's "<Media omitted>" does not say: its kind is "unknown".
"""

from __future__ import annotations

import re

from . import europe, india, more_europe, more_world, nordic, world

# Language tag -> its words. The tags are BCP 47; the 25 most spoken languages WhatsApp ships in,
# the Nordic ones, more of Europe's, India's and more of the world's.
LOCALES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": europe.EN,
    "es": europe.ES,
    "pt-BR": europe.PT_BR,
    "pt-PT": europe.PT_PT,
    "de": europe.DE,
    "fr": europe.FR,
    "it": europe.IT,
    "nl": europe.NL,
    "pl": europe.PL,
    "cs": europe.CS,
    "tr": europe.TR,
    "id": europe.ID,
    "ms": europe.MS,
    "vi": europe.VI,
    "fi": nordic.FI,
    "sv": nordic.SV,
    "nb": nordic.NB,
    "da": nordic.DA,
    "el": more_europe.EL,
    "ro": more_europe.RO,
    "hu": more_europe.HU,
    "hr": more_europe.HR,
    "sk": more_europe.SK,
    "ca": more_europe.CA,
    "ru": world.RU,
    "uk": world.UK,
    "ar": world.AR,
    "he": world.HE,
    "fa": world.FA,
    "hi": world.HI,
    "bn": world.BN,
    "ur": world.UR,
    "th": world.TH,
    "ja": world.JA,
    "ko": world.KO,
    "zh-Hans": world.ZH_HANS,
    "zh-Hant": world.ZH_HANT,
    "mr": india.MR,
    "ta": india.TA,
    "te": india.TE,
    "gu": india.GU,
    "kn": india.KN,
    "ml": india.ML,
    "pa": india.PA,
    "sw": more_world.SW,
    "fil": more_world.FIL,
    "az": more_world.AZ,
    "kk": more_world.KK,
    "uz": more_world.UZ,
    "bg": more_world.BG,
    "sr": more_world.SR,
    "sl": more_world.SL,
    "lt": more_world.LT,
    "lv": more_world.LV,
    "et": more_world.ET,
    "sq": more_world.SQ,
    "mk": more_world.MK,
    "af": more_world.AF,
    "ga": more_world.GA,
}

MEDIA_KINDS = ("image", "video", "audio", "voice", "sticker", "gif", "contact", "view_once")
UNKNOWN = "unknown"  # Android's one placeholder for every type


def _all(key: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for words in LOCALES.values():
        for word in words.get(key, ()):
            seen[word] = None
    return tuple(seen)


def _variants(word: str, brackets: bool = False) -> list[str]:
    """The spellings one entry matches: as listed, in lower case, capitalised, with a trailing
    period, and (iOS per-type placeholders) in angle brackets."""
    forms = {word, word.lower(), word[:1].upper() + word[1:]}
    forms |= {form + "." for form in list(forms)}
    if brackets:
        forms |= {f"<{form}>" for form in list(forms)}
    return sorted(forms)


def _exact_forms(key: str, word: str) -> list[str]:
    """The first lines a word of an exact key matches (calls, deletions, placeholders)."""
    if key == "media_omitted":
        inner = word[1:-1].strip()
        return [*_variants(word), *(f"<{f}>" for f in _variants(inner)), f"< {inner} >"]
    return _variants(word, brackets=key in MEDIA_KINDS and not word.startswith("<"))


_EXACT_KEYS = ("calls", "deleted", "media_omitted", *MEDIA_KINDS)


def _exact() -> dict[str, tuple[str, str | None, str | None]]:
    table: dict[str, tuple[str, str | None, str | None]] = {}
    for key in _EXACT_KEYS:
        entry = {"calls": ("call", None, None), "deleted": ("deleted", None, None)}.get(
            key, ("media", UNKNOWN if key == "media_omitted" else key, "omitted")
        )
        for word in _all(key):
            for form in _exact_forms(key, word):
                if key == "media_omitted":
                    table.setdefault(form, entry)
                else:
                    table[form] = entry
    return table


def _languages_of_forms() -> dict[str, frozenset[str]]:
    """Exact first lines -> the languages whose words they are."""
    table: dict[str, set[str]] = {}
    for tag, words in LOCALES.items():
        for key in _EXACT_KEYS:
            for word in words.get(key, ()):
                for form in _exact_forms(key, word):
                    table.setdefault(form, set()).add(tag)
    return {form: frozenset(tags) for form, tags in table.items()}


# Exact first lines -> (kind, media kind, media state).
EXACT = _exact()
# ... -> the languages whose words they are (the phone's language, ``whatsapp.language``).
EXACT_LANGUAGES = _languages_of_forms()
OMITTED = tuple(sorted(word for word, entry in EXACT.items() if entry[0] == "media"))
DELETED = _all("deleted")
CALLS = _all("calls")
DOCUMENT_OMITTED = tuple(
    dict.fromkeys(form for word in _all("document") for form in (word, word.lower()))
)
# The last three characters of every document suffix: a set lookup spares most messages the
# comparison with each suffix.
DOCUMENT_ENDS = frozenset(word[-3:] for word in DOCUMENT_OMITTED)
FILE_ATTACHED = _all("file_attached")
IOS_ATTACHED = _all("attached")
POLL_PREFIXES = _all("poll")
EDITED = _all("edited")
SYSTEM_PHRASES = tuple(dict.fromkeys((*_all("notices"), *_all("encryption"))))
ENCRYPTION_PHRASES = tuple(
    dict.fromkeys(
        (
            *(words["notices"][0] for words in LOCALES.values() if words.get("notices")),
            *_all("encryption"),
        )
    )
)
# ... and these short English words only as whole words ("left" only at the end).
SYSTEM_PATTERNS = (r"\badded\b", r"\bleft$", r"\bremoved\b")
# A shared location: "location: https://maps.google.com/?q=…" (the label is localised).
MAP_HOSTS = (r"maps\.google\.[a-z.]+", r"maps\.apple\.com", r"goo\.gl/maps")


def _any(words: tuple[str, ...]) -> str:
    # Longest first, so that a word is never cut short by a shorter one it starts with.
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


# Last characters of first lines that may be media: "… (file attached)", "<attached: …>".
SPECIAL_TAILS = frozenset(")>")
FILE_ATTACHED_RE = re.compile(rf"(?P<name>.+?) \((?:{_any(FILE_ATTACHED)})\)$", re.IGNORECASE)
IOS_ATTACHED_RE = re.compile(rf"<(?:{_any(IOS_ATTACHED)}): (?P<name>[^<>]+)>", re.IGNORECASE)
DOCUMENT_RE = re.compile(rf"(?P<name>.*?)\s*(?:{_any(DOCUMENT_OMITTED)})$", re.DOTALL)
# Attached media in a language whose words the reader does not know, told by the names WhatsApp
# gives the files: iOS "<any word: 00000012-PHOTO-2024-01-02-10-15-30.jpg>" (a full-width colon in
# Chinese and Japanese), Android "IMG-20240102-WA0003.jpg (any words)".
IOS_FILE_RE = re.compile(r"<[^<>:\uff1a\n]{1,40}[:\uff1a] ?(?P<name>\d{8}-[^<>\n]+)>$")
ANDROID_FILE_RE = re.compile(r"(?P<name>(?:IMG|VID|PTT|AUD|STK|DOC)-\d{8}-WA\d{4,}(?:\.\w{1,5})?) \([^()\n]{1,40}\)$")
LOCATION_RE = re.compile(rf"[^:\n]{{1,40}}: https?://(?:{'|'.join(MAP_HOSTS)})/")
# Calls with more words after them ("Missed voice call, Tap to call back").
CALL_RE = re.compile(rf"(?:{_any(CALLS)})(?:[,.،，、] .*)?$", re.IGNORECASE)
# The marker ends the message's last line; German exports write it with a period inside ([ED]).
EDITED_RE = re.compile(rf"\s*<(?:{_any(EDITED)})\.?>$")
SYSTEM_RE = re.compile("|".join((_any(SYSTEM_PHRASES), *SYSTEM_PATTERNS)))
ENCRYPTION_RE = re.compile(_any(ENCRYPTION_PHRASES))


def _languages_of(*keys: str) -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for tag, words in LOCALES.items():
        for key in keys:
            for word in words.get(key, ()):
                table.setdefault(word, set()).add(tag)
    return {word: frozenset(tags) for word, tags in table.items()}


# The phone's language (``whatsapp.language``): a notice's words and an edited marker's words ->
# the languages whose words they are.
NOTICE_LANGUAGES = _languages_of("notices", "encryption")
NOTICE_WORDS_RE = re.compile(_any(tuple(NOTICE_LANGUAGES)))
EDITED_LANGUAGES = _languages_of("edited")

# The media kind of an attached file, from its name.
_ANDROID_PREFIX = {
    "IMG": "image",
    "VID": "video",
    "AUD": "audio",
    "PTT": "voice",
    "STK": "sticker",
    "DOC": "document",
}
_IOS_WORD = {
    "PHOTO": "image",
    "VIDEO": "video",
    "AUDIO": "audio",
    "STICKER": "sticker",
    "GIF": "gif",
}
_EXTENSION = {
    **dict.fromkeys(("jpg", "jpeg", "png", "heic", "heif", "bmp"), "image"),
    **dict.fromkeys(("mp4", "mov", "3gp", "mkv", "avi", "webm"), "video"),
    **dict.fromkeys(("opus", "ogg", "oga", "m4a", "mp3", "aac", "amr", "wav"), "audio"),
    "webp": "sticker",
    "gif": "gif",
    "vcf": "contact",
}
_ANDROID_NAME = re.compile(r"([A-Z]{3})-\d{8}-WA\d+")
_IOS_NAME = re.compile(r"\d{8}-([A-Z]+)-\d{4}-\d{2}-\d{2}-")


def media_kind_of(name: str | None) -> str:
    """The media kind of an attached file, from its name ("document" when nothing says)."""
    if not name:
        return UNKNOWN
    if (m := _ANDROID_NAME.match(name)) is not None and m.group(1) in _ANDROID_PREFIX:
        return _ANDROID_PREFIX[m.group(1)]
    if (m := _IOS_NAME.match(name)) is not None and m.group(1) in _IOS_WORD:
        if m.group(1) == "AUDIO" and name.endswith(".opus"):
            return "voice"  # iOS names a voice note AUDIO too; only voice notes are Opus
        return _IOS_WORD[m.group(1)]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return _EXTENSION.get(extension, "document")
