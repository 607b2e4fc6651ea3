"""The words of WhatsApp exports in more European languages: Greek, Romanian, Hungarian,
Croatian, Slovak and Catalan.

Data, not code: one dict per language (see ``words/__init__`` for what each key means).
Sources are named as in ``words/europe``: [WJ] WhatsApp's own iOS Localizable.strings and
Android strings.xml as collected in starkdmi/whats_json (lib/src/patterns.dart); [AO] public
parsers' lists of Android "<Media omitted>" forms by language. WhatsApp's iOS strings give no
Romanian word for an omitted sticker, so Romanian has none here: such a line reads as text
until an export shows the word.
"""

from __future__ import annotations

EL = {
    "media_omitted": ("<Εξαίρεση πολυμέσων>",),  # [WJ]
    "image": ("εικόνα παραλείφθηκε",),  # [WJ]
    "video": ("βίντεο παραλείφθηκε",),  # [WJ]
    "audio": ("ήχος παραλείφθηκε",),  # [WJ]
    "sticker": ("αυτοκόλλητο παραλήφθηκε",),  # [WJ]
    "gif": ("Παράληψη GIF",),  # [WJ]
    "contact": ("Η κάρτα επαφής παραλήφθηκε",),  # [WJ]
    "document": ("έγγραφο παραλείφθηκε",),  # [WJ]
    "deleted": ("Αυτό το μήνυμα διαγράφηκε", "Διαγράψατε αυτό το μήνυμα", "Διαγράψατε το μήνυμα"),  # [WJ]
    "calls": ("Αναπάντητη φωνητική κλήση", "Αναπάντητη βιντεοκλήση", "Αναπάντητη κλήση"),  # [WJ]
    "file_attached": ("συνημμένο αρχείο",),  # [WJ]
    "attached": ("επισυνάφθηκε",),  # [WJ]
    "notices": ("κρυπτογραφούνται πλήρως", "κωδικός ασφαλείας"),  # [WJ]
}

RO = {
    "media_omitted": ("<Conținut media omis>", "<conținut media omis>"),  # [WJ] [AO]
    "image": ("Imagine omisă",),  # [WJ]
    "video": ("clip video omis",),  # [WJ]
    "audio": ("fără audio",),  # [WJ]
    "gif": ("GIF omis",),  # [WJ]
    "contact": ("Carte de vizită contact omisă",),  # [WJ]
    "document": ("document omis",),  # [WJ]
    "deleted": ("Acest mesaj a fost șters", "Ați șters acest mesaj"),  # [WJ]
    "calls": ("Apel vocal ratat", "Apel video ratat", "Apel vocal nepreluat", "Apel video nepreluat"),  # [WJ]
    "file_attached": ("fișier atașat",),  # [WJ]
    "attached": ("atașare",),  # [WJ]
    "notices": ("criptate integral", "Codul dvs. de securitate"),  # [WJ]
}

HU = {
    "media_omitted": ("<Hiányzó médiafájl>", "<média elhagyva>"),  # [WJ] [AO]
    "image": ("kép küldése sikertelen",),  # [WJ]
    "video": ("Videó kihagyva",),  # [WJ]
    "audio": ("Hang kihagyása",),  # [WJ]
    "sticker": ("matrica kihagyva",),  # [WJ]
    "gif": ("GIF fájl kihagyása",),  # [WJ]
    "contact": ("Névjegykártya kihagyva",),  # [WJ]
    "document": ("dokumentum kihagyva",),  # [WJ]
    "deleted": ("Ez az üzenet törlésre került", "Ezt az üzenetet törölted", "Törölted ezt az üzenetet"),  # [WJ]
    "calls": ("Nem fogadott hanghívás", "Nem fogadott videohívás", "Nem fogadott videóhívás"),  # [WJ]
    "file_attached": ("fájl csatolva",),  # [WJ]
    "attached": ("csatolva",),  # [WJ]
    "notices": ("végpontok közötti titkosítással", "biztonsági kódja"),  # [WJ]
}

HR = {
    "media_omitted": ("<Medijski zapis izostavljen>", "<medijski zapis izostavljen>"),  # [WJ] [AO]
    "image": ("slika izostavljena",),  # [WJ]
    "video": ("video izostavljen",),  # [WJ]
    "audio": ("zvuk izostavljen",),  # [WJ]
    "sticker": ("naljepnica izostavljena",),  # [WJ]
    "gif": ("GIF izostavljen",),  # [WJ]
    "contact": ("Posjetnica izostavljena",),  # [WJ]
    "document": ("dokument izostavljen",),  # [WJ]
    "deleted": ("Ova je poruka izbrisana", "Ova poruka je izbrisana", "Izbrisali ste ovu poruku"),  # [WJ]
    "calls": (  # [WJ]
        "Propušteni glasovni poziv",
        "Propušteni videopoziv",
        "Propušten glasovni poziv",
        "Propušten video poziv",
    ),
    "file_attached": ("datoteka u privitku",),  # [WJ]
    "attached": ("priloženo",),  # [WJ]
    "notices": ("potpunom enkripcijom", "sigurnosni kôd"),  # [WJ]
}

SK = {
    "media_omitted": ("<Médiá vynechané>",),  # [WJ]
    "image": ("obrázok vynechaný",),  # [WJ]
    "video": ("video vynechané",),  # [WJ]
    "audio": ("zvuk vynechaný",),  # [WJ]
    "sticker": ("nálepka vynechaná",),  # [WJ]
    "gif": ("GIF vynechaný",),  # [WJ]
    "contact": ("Karta kontaktu vynechaná",),  # [WJ]
    "document": ("dokument vynechaný",),  # [WJ]
    "deleted": ("Táto správa bola odstránená", "Túto správu ste odstránili"),  # [WJ]
    "calls": ("Zmeškaný hovor", "Zmeškaný videohovor"),  # [WJ]
    "file_attached": ("súbor pripojený",),  # [WJ]
    "attached": ("príloha",),  # [WJ]
    "notices": ("šifrovaním počas celého spojenia", "Bezpečnostný kód"),  # [WJ]
}

CA = {
    "media_omitted": ("<Mitjans omesos>",),  # [WJ]
    "image": ("Imatge omesa",),  # [WJ]
    "video": ("vídeo omès",),  # [WJ]
    "audio": ("Àudio omès",),  # [WJ]
    "sticker": ("adhesiu omès",),  # [WJ]
    "gif": ("GIF omès",),  # [WJ]
    "contact": ("Targeta de contacte omesa",),  # [WJ]
    "document": ("Document omès",),  # [WJ]
    "deleted": (  # [WJ]
        "Aquest missatge s'ha suprimit",
        "Aquest missatge està esborrat",
        "Has suprimit aquest missatge",
        "Has esborrat aquest missatge",
    ),
    "calls": ("Trucada de veu perduda", "Videotrucada perduda", "Trucada de vídeo perduda"),  # [WJ]
    "file_attached": ("arxiu adjunt",),  # [WJ]
    "attached": ("adjunt",),  # [WJ]
    "notices": ("xifrats d'extrem a extrem", "codi de seguretat"),  # [WJ]
}
