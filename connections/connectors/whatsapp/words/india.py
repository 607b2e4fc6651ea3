"""The words of WhatsApp exports in languages of India: Marathi, Tamil, Telugu, Gujarati,
Kannada, Malayalam and Punjabi (Hindi, Bengali and Urdu are in ``words/world``).

Data, not code: one dict per language (see ``words/__init__`` for what each key means).
Sources are named as in ``words/europe``:
  [WJ]  WhatsApp's own iOS Localizable.strings (v22.24.81) and Android strings.xml (2.8.4278)
        as collected in starkdmi/whats_json (lib/src/patterns.dart), which lists all languages
        in one alternation per key: each string is told from the others by its script and,
        Marathi against Hindi, by its wording and its place in the source's language order.
  [CM]  dezi/ChatMatter (app/src/main/java/de/kappa_mm/email/chatmatter/LanguageTags.java):
        WhatsApp Android's "(file attached)" forms and group encryption notices ("Messages to
        this group are secured with end-to-end encryption"), keyed by language. An
        encryption phrase marked [WJ] [CM] is in both this notice and [WJ]'s Android settings
        sentence on encryption (today's notice may word it otherwise); Marathi's and
        Gujarati's are from the iOS notice itself.
  [AO]  public parsers' lists of Android "<Media omitted>" forms by language, here
        mlomb/chat-analytics (pipeline/parse/parsers/WhatsApp.ts).

WhatsApp's iOS strings hold Marathi and Gujarati only: Tamil, Telugu, Kannada, Malayalam and
Punjabi have Android words alone (media omitted, deleted, calls, file attached), and their
iOS per-type placeholders read as text until an export shows them. Left out: Telugu deleted
messages (in no source); Tamil "(file attached)": [WJ] gives it cut short ("ணைக்கப்பட்டத")
and [CM] writes the word after the name without brackets ("IMG.jpg இணைக்கப்பட்டது"), a form
the reader's "name (word)" pattern does not take.
"""

from __future__ import annotations

MR = {
    "media_omitted": ("<मीडिया वगळले>", "<मीडिया वगळण्यात आला>"),  # [WJ] [AO]
    "image": ("इमेज वगळली",),  # [WJ]
    "video": ("व्हिडीओ वगळला",),  # [WJ]
    "audio": ("ऑडिओ वगळला",),  # [WJ]
    "sticker": ("स्टिकर वगळले",),  # [WJ]
    "gif": ("GIF वगळले",),  # [WJ]
    "contact": ("संपर्क कार्ड वगळले",),  # [WJ]
    "document": ("डॉक्युमेंट वगळले",),  # [WJ]
    "deleted": (  # [WJ] (iOS, then Android)
        "हा मेसेज हटवण्यात आला",
        "तुम्ही हा मेसेज हटवला",
        "हा संदेश हटविण्यात आला होता",
        "आपण हा संदेश हटविलात",
    ),
    "calls": ("मिस्ड व्हॉइस कॉल", "मिस्ड व्हिडिओ कॉल"),  # [WJ]
    "file_attached": ("फाइल संलग्न",),  # [WJ] [CM]
    "attached": ("संलग्न केले",),  # [WJ]
    "notices": ("एन्ड-टू-एन्ड एन्क्रिप्शन", "सुरक्षा कोड"),  # [WJ]
}

GU = {
    "media_omitted": (  # [WJ] [AO]
        "<મીડિયા અવગણાયું>",
        "<મિડિયા છોડી મૂકાયું>",
        "<મીડિયા અવગણવામાં આવ્યા>",
    ),
    "image": ("છબી પડતી મૂકાઈ",),  # [WJ]
    "video": ("વિડિયો પડતી મુકાઈ",),  # [WJ]
    "audio": ("ઓડિયો ફાઇલ શામેલ કરી નથી",),  # [WJ]
    "sticker": ("સ્ટીકર પડતું મુકાયું",),  # [WJ]
    "gif": ("GIF પડતી મૂકાઈ",),  # [WJ]
    "contact": ("સંપર્કનું કાર્ડ પડતું મૂકાયું",),  # [WJ]
    "document": ("ડોક્યુમેન્ટ સામેલ કર્યું નહિ",),  # [WJ]
    "deleted": (  # [WJ] (iOS, then Android)
        "આ મેસેજ ડિલીટ કરાયો",
        "તમે આ મેસેજ ડિલીટ કર્યો",
        "આ સંદેશ રદ્દ કરાયો",
        "તમે આ સંદેશને રદ્દ કર્યો",
    ),
    "calls": (  # [WJ] (iOS, then Android)
        "છૂટી ગયેલો વોઇસ કૉલ",
        "છૂટેલો વોઇસ કૉલ",
        "છૂટી ગયેલ વિડિયો કૉલ",
        "છૂટી ગયેલ ધ્વનિ કૉલ",
        "છૂટી ગયેલ વિડિઓ કૉલ",
    ),
    "file_attached": ("ફાઇલ જોડાયેલ",),  # [WJ] [CM]
    "attached": ("જોડાયેલ",),  # [WJ]
    "notices": ("શરૂથી અંત સુધી સુરક્ષિત", "સુરક્ષા કોડ"),  # [WJ]
}

TA = {
    "media_omitted": ("< ஊடகங்கள் நீக்கப்பட்டது >", "<கோப்புகள் விடப்பட்டன>"),  # [WJ] [AO]
    "deleted": ("இத்தகவல் திரும்பப்பெறப்பட்டது", "இத்தகவலை தாங்கள் அழித்தீர்கள்"),  # [WJ]
    "calls": ("தவறிய குரல் அழைப்பு", "தவறிய காணொலி அழைப்பு"),  # [WJ]
    "notices": ("முழு மறையாக்கத்துடன்",),  # [WJ] [CM]
}

TE = {
    "media_omitted": ("<మాధ్యమం విస్మరించబడింది>", "<మీడియా విస్మరించబడింది>"),  # [WJ] [AO]
    "calls": ("మిస్సేడ్ వాయిస్ కాల్", "తప్పిన వీడియోకాల్"),  # [WJ]
    "file_attached": ("ఫైల్ జోడించబడినది",),  # [WJ] [CM]
    "notices": ("ఎండ్ టు ఎండ్ ఎన్క్రిప్షన్",),  # [WJ] [CM]
}

KN = {
    "media_omitted": ("<ಮೀಡಿಯಾ ಕೈಬಿಡಲಾಗಿದೆ>", "<ಮಾಧ್ಯಮ ಕೈಬಿಡಲಾಗಿದೆ>"),  # [WJ] [AO]
    "deleted": ("ಈ ಸಂದೇಶವು ಅಳಿಸಲ್ಪಟ್ಟಿದೆ", "ನೀವು ಈ ಸಂದೇಶವನ್ನು ಅಳಿಸಿದ್ದೀರಿ"),  # [WJ]
    "calls": ("ತಪ್ಪಿದ ಧ್ವನಿ ಕರೆ", "ತಪ್ಪಿದ ದೃಶ್ಯ ಕರೆ"),  # [WJ]
    "file_attached": ("ಕಡತ ಸೇರಿಸಲಾಯಿತು",),  # [WJ] [CM]
    "notices": ("ಕೊನೆಯಿಂದ-ಕೊನೆವರೆಗೆ",),  # [WJ] [CM] (then ಎನ್ಕ್ರಿಪ್ಷನ್, ಏನ್ಕ್ರಿಪ್ಷನ್)
}

ML = {
    "media_omitted": ("<മീഡിയ ഒഴിവാക്കി>",),  # [WJ] [AO]
    "deleted": ("ഈ സന്ദേശം ഇല്ലാതാക്കിയതാണ്", "ഈ സന്ദേശം നിങ്ങൾ ഇല്ലാതാക്കി"),  # [WJ]
    "calls": ("വിളി നഷ്ടപ്പെട്ടു", "നഷ്ടമായ വീഡിയോ കാൾ"),  # [WJ]
    "file_attached": ("ഫയൽ ചേർത്തു",),  # [WJ] [CM]
    "notices": ("ആദ്യാവസാന എൻക്രിപ്ഷൻ",),  # [WJ] [CM]
}

PA = {
    "media_omitted": ("<ਮੀਡੀਆ ਛੱਡਿਆ ਗਿਆ>", "<ਮੀਡੀਆ ਛੱਡਿਆ>", "<ਮੀਡੀਆ ਛਡਿਆ ਗਿਆ>"),  # [WJ] [AO]
    "deleted": ("ਇਸ ਸੁਨੇਹੇ ਨੂੰ ਹਟਾਇਆ ਗਿਆ", "ਤੁਸੀਂ ਇਹ ਸੁਨੇਹਾ ਹਟਾਇਆ"),  # [WJ]
    "calls": ("ਮਿਸ ਹੋਈ ਆਵਾਜ਼ ਕਾਲ", "ਮਿਸ ਹੋਈ ਵੀਡੀਓ ਕਾਲ"),  # [WJ]
    "file_attached": ("ਅਟੈਚ ਕੀਤੀ ਫਾਇਲ", "ਫਾਈਲ ਅਟੈਚ ਕੀਤੀ"),  # [WJ] [CM]
    "notices": ("ਸਿਰੇ ਤੋਂ ਸਿਰੇ ਤੱਕ ਇੰਕ੍ਰਿਪਸ਼ਨ",),  # [WJ] [CM]
}
