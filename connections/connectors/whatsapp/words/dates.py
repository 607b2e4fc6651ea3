"""The languages whose phones write a date's day before its month, wherever they are used.

A chat whose dates could be read either way (06/05/24) asks the owner which order the phone
writes, unless the words WhatsApp wrote into the chat are all of one of these languages: no
phone set to them writes the month first, so the dates are day first (``whatsapp.language``).
English, Spanish and Filipino are not here: phones write them month first in some countries
(the United States, Puerto Rico and Panama, the Philippines). Nor are the languages whose phones
write the year first at home (Japanese, Korean, Chinese, Hungarian, Persian, Lithuanian,
Afrikaans, Swedish): a chat in them with dates that could be read either way was written in no
order the language settles.

Source: CLDR, through Babel 2.19 (``babel.dates.get_date_format("short", locale)``): for each
language, its own short date writes the day before the month, and so does every one of its
regional locales that does not write the year first. A language tag -> its English name, as
the owner's notes say it.
"""

from __future__ import annotations

DAY_FIRST: dict[str, str] = {
    "pt-BR": "Portuguese (Brazil)",
    "pt-PT": "Portuguese (Portugal)",
    "de": "German",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "cs": "Czech",
    "tr": "Turkish",
    "id": "Indonesian",
    "ms": "Malay",
    "vi": "Vietnamese",
    "fi": "Finnish",
    "nb": "Norwegian Bokmål",
    "da": "Danish",
    "el": "Greek",
    "ro": "Romanian",
    "hr": "Croatian",
    "sk": "Slovak",
    "ca": "Catalan",
    "ru": "Russian",
    "uk": "Ukrainian",
    "ar": "Arabic",
    "he": "Hebrew",
    "hi": "Hindi",
    "bn": "Bangla",
    "ur": "Urdu",
    "th": "Thai",
    "mr": "Marathi",
    "ta": "Tamil",
    "te": "Telugu",
    "gu": "Gujarati",
    "kn": "Kannada",
    "ml": "Malayalam",
    "pa": "Punjabi",
    "sw": "Swahili",
    "az": "Azerbaijani",
    "kk": "Kazakh",
    "uz": "Uzbek",
    "bg": "Bulgarian",
    "sr": "Serbian",
    "sl": "Slovenian",
    "lv": "Latvian",
    "et": "Estonian",
    "sq": "Albanian",
    "mk": "Macedonian",
    "ga": "Irish",
}
