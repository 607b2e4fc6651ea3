"""The words of WhatsApp exports in more languages: Swahili, Filipino, Azerbaijani, Kazakh, Uzbek,
Bulgarian, Serbian, Slovenian, Lithuanian, Latvian, Estonian, Albanian, Macedonian, Afrikaans
and Irish.

Data, not code: one dict per language (see ``words/__init__`` for what each key means).
Sources are named as in ``words/india``: [WJ] WhatsApp's own iOS and Android strings as
collected in starkdmi/whats_json (lib/src/patterns.dart), each string told from the others
by its script, its wording and its place in the source's language order; [CM] dezi/ChatMatter
(LanguageTags.java): Android's "(file attached)" forms and group encryption notices keyed by
language (an encryption phrase marked [WJ] [CM] is in both that notice and [WJ]'s Android
settings sentence on encryption; today's notice may word it otherwise; Irish's is from the iOS
notice itself); [AO] mlomb/chat-analytics
(pipeline/parse/parsers/WhatsApp.ts), a list of Android "<Media omitted>" forms.

WhatsApp's iOS strings hold Irish only: the other languages have Android words alone (media
omitted, deleted, calls, file attached), and their iOS per-type placeholders read as text
until an export shows them. Irish has no Android words (no "<Media omitted>", no
"(file attached)"); Albanian no deleted messages. Serbian is in Cyrillic, as WhatsApp's
strings give it.
"""

from __future__ import annotations

SW = {
    "media_omitted": ("<Media imerukwa>", "<media hazijajumuishwa>"),  # [WJ] [AO]
    "deleted": ("Ujumbe huu ulifutwa", "Umefuta ujumbe huu"),  # [WJ]
    "calls": ("Simu ya sauti uliyoikosa", "Simu ya video uliyoikosa"),  # [WJ]
    "file_attached": ("faili limeambatanishwa",),  # [WJ] [CM]
    "notices": ("ufumbaji wa mwisho-kwa-mwisho",),  # [WJ] [CM]
}

FIL = {
    # [WJ] [AO] (the second with a dotless ı, as the source spells it)
    "media_omitted": ("<Walang kalakip na media>", "<ınalis ang media>"),
    "deleted": ("Itong mensahe ay binura na", "Binura mo itong mensahe"),  # [WJ]
    "calls": ("Nakaligtaang voice call", "Nakaligtaang video call"),  # [WJ]
    "file_attached": ("nakalakip na file",),  # [WJ] [CM]
    "notices": ("gamit ang end-to-end encryption",),  # [WJ] [CM]
}

AZ = {
    "media_omitted": ("<Media çıxarılmışdır>", "<media buraxıldı>"),  # [WJ] [AO]
    "deleted": ("Bu ismarıc silindi", "Siz bu ismarıcı sildiniz"),  # [WJ]
    "calls": ("Buraxılmış zəng", "Buraxılmış video zəng"),  # [WJ]
    "file_attached": ("fayl əlavə olunub",),  # [WJ] [CM]
    "notices": ("digərinə qədər şifrələnir",),  # [WJ] [CM] (after "bir başdan", "bir tərəfdən")
}

KK = {
    "media_omitted": ("<Файл қосылған жоқ>", "<файлдар қосылмаған>"),  # [WJ] [AO]
    "deleted": ("Бұл хат жойылды", "Сіз бұл хатты жойдыңыз"),  # [WJ]
    "calls": ("Жауапсыз қоңырау", "Жауапсыз видео қоңырау"),  # [WJ]
    "file_attached": ("қосымша файл",),  # [WJ] [CM]
    "notices": ("толығымен шифрлау",),  # [WJ] [CM]
}

UZ = {
    "media_omitted": ("<Fayl o‘tkazib yuborildi>",),  # [WJ] [AO]
    "deleted": ("Ushbu xabar o‘chirildi", "Siz ushbu xabarni o‘chirdingiz"),  # [WJ]
    "calls": ("O‘tkazib yub. ovozli qo‘ng‘iroq", "O‘tkazib yub. videoqo‘ng‘iroq"),  # [WJ]
    "file_attached": ("fayl biriktirildi",),  # [WJ] [CM]
    "notices": ("boshidan oxirigacha shifrlash",),  # [WJ] [CM]
}

BG = {
    "media_omitted": ("<Без файл>",),  # [WJ] [AO]
    "deleted": ("Съобщението беше изтрито", "Изтрихте това съобщение"),  # [WJ]
    "calls": ("Пропуснато гласово обаждане", "Пропуснато видео обаждане"),  # [WJ]
    "file_attached": ("прикачен файл",),  # [WJ] [CM]
    "notices": ("криптиране от край до край",),  # [WJ] [CM]
}

SR = {
    "media_omitted": ("<медији су изостављени>",),  # [WJ] [AO]
    "deleted": ("Ова порука је обрисана", "Обрисао/ла си ову поруку"),  # [WJ]
    "calls": ("Пропуштен гласовни позив", "Пропуштен видео позив"),  # [WJ]
    "file_attached": ("прикачена датотека",),  # [WJ] [CM]
    "notices": ("шифровањем од почетка-до-краја",),  # [WJ] [CM]
}

SL = {
    "media_omitted": ("<Medij izpuščen>", "<datoteke izpuščene>"),  # [WJ] [AO]
    "deleted": ("To sporočilo je bilo izbrisano", "To sporočilo ste izbrisali"),  # [WJ]
    "calls": ("Zgrešen klic", "Neodgovorjen video klic"),  # [WJ]
    "file_attached": ("priložena datoteka",),  # [WJ] [CM]
    "notices": ("šifriranjem od konca do konca",),  # [WJ] [CM]
}

LT = {
    "media_omitted": ("<Praleistas medijos turinys>", "<medija praleista>"),  # [WJ] [AO]
    "deleted": ("Ši žinutė buvo ištrinta", "Jūs ištrynėte šią žinutę"),  # [WJ]
    "calls": ("Praleistas balso skambutis", "Praleistas video skambutis"),  # [WJ]
    "file_attached": ("byla prisegta",),  # [WJ] [CM]
    "notices": ("ištisiniu šifravimu",),  # [WJ] [CM]
}

LV = {
    "media_omitted": ("<Bez multivides>", "<nav iekļauta multivide>"),  # [WJ] [AO]
    "deleted": ("Šī ziņa tika izdzēsta", "Jūs izdzēsāt šo ziņu"),  # [WJ]
    "calls": ("Neatbildēts balss zvans", "Neatbildēts video zvans"),  # [WJ]
    "file_attached": ("pievienots fails",),  # [WJ] [CM]
    "notices": ("pilnīgu šifrēšanu",),  # [WJ] [CM]
}

ET = {
    "media_omitted": ("<Meedia ära jäetud>", "<meedia välja jäetud>"),  # [WJ] [AO]
    "deleted": ("See sõnum on kustutatud", "Kustutasid selle sõnumi"),  # [WJ]
    "calls": ("Vastamata häälkõne", "Vastamata videokõne"),  # [WJ]
    "file_attached": ("fail lisatud",),  # [WJ] [CM]
    "notices": ("otsast otsani krüpteerimisega",),  # [WJ] [CM]
}

SQ = {
    "media_omitted": ("<Pa media>", "<media u hoq>", "<Media hequr>"),  # [WJ] [AO]
    "calls": ("Thirrje e shmangur", "Videothirrje e shmangur"),  # [WJ]
    "file_attached": ("skedë e ngjitur",),  # [WJ] [CM]
    "notices": ("të koduara fund-e-krye",),  # [WJ] [CM]
}

MK = {
    "media_omitted": ("<Без фајл>", "<без фајлови>"),  # [WJ] [AO]
    "deleted": ("Оваа порака беше избришана", "Ја избриша оваа порака"),  # [WJ]
    "calls": ("Пропуштен гласовен повик", "Пропуштен видео повик"),  # [WJ]
    "file_attached": ("прикачен фајл",),  # [WJ] [CM]
    "notices": ("шифрирање крај-до-крај",),  # [WJ] [CM]
}

AF = {
    "media_omitted": ("<Media weggelaat>",),  # [WJ] [AO]
    "deleted": ("Hierdie boodskap was uitgevee", "Jy het boodskap uitgevee"),  # [WJ]
    "calls": ("Stemoproep gemis", "Video-oproep gemis"),  # [WJ]
    "file_attached": ("lêer aangeheg",),  # [WJ] [CM]
    "notices": ("end-tot-end enkripsie",),  # [WJ] [CM]
}

GA = {
    "image": ("íomhá ligthe ar lár",),  # [WJ]
    "video": ("físeán ligthe ar lár",),  # [WJ]
    "audio": ("comhad fuaime ar lár",),  # [WJ]
    "sticker": ("fágadh an greamán ar lár",),  # [WJ]
    "gif": ("GIF ligthe ar lár",),  # [WJ]
    "contact": ("Cárta teagmhála ar lár",),  # [WJ]
    "document": ("cáipéis ligthe ar lár",),  # [WJ]
    "deleted": ("Scriosadh an teachtaireacht seo", "Scrios tú an teachtaireacht seo"),  # [WJ]
    "calls": ("Guthghlao caillte", "Glao Gutha Caillte", "Físghlao caillte"),  # [WJ]
    "attached": ("ceangailte",),  # [WJ]
    "notices": ("criptiúchán ó cheann go ceann", "cód slándála"),  # [WJ]
}
