"""The words of WhatsApp exports in the Nordic languages: Finnish, Swedish, Norwegian Bokmål, Danish.

Data, not code: one dict per language (see ``words/__init__`` for what each key means).
Sources are named as in ``words/europe``: [WJ] WhatsApp's own iOS Localizable.strings and
Android strings.xml as collected in starkdmi/whats_json (lib/src/patterns.dart); [AO] public
parsers' lists of Android "<Media omitted>" forms by language, and a Finnish owner's own script
that drops "<Media jätetty pois>" lines from an export. The iOS security-code notice is matched
by a word of it ("Turvanumerosi", "säkerhetskod"), as WhatsApp's sentence varies by version.
"""

from __future__ import annotations

FI = {
    "media_omitted": ("<Media jätetty pois>", "<media jätettiin pois>"),  # [WJ] [AO]
    "image": ("ei kuvaa",),  # [WJ]
    "video": ("videota ei sisällytetä",),  # [WJ]
    "audio": ("äänitiedostoa ei sisällytetä",),  # [WJ]
    "sticker": ("tarraa ei sisällytetty",),  # [WJ]
    "gif": ("GIF-animaatio jätetty pois",),  # [WJ]
    "contact": ("Yhteystietokortti jätettiin pois",),  # [WJ]
    "document": ("dokumenttia ei sisällytetä",),  # [WJ]
    "deleted": ("Tämä viesti poistettiin", "Poistit tämän viestin"),  # [WJ]
    "calls": ("Vastaamaton äänipuhelu", "Vastaamaton videopuhelu"),  # [WJ]
    "file_attached": ("liitetiedosto",),  # [WJ]
    "attached": ("liite",),  # [WJ]
    "notices": ("salataan täysin", "Turvanumerosi"),  # [WJ]
}

SV = {
    "media_omitted": ("<Media har utelämnats>", "<media utelämnat>"),  # [WJ] [AO]
    "image": ("bild utesluten",),  # [WJ]
    "video": ("video utesluten",),  # [WJ]
    "audio": ("ljud utelslutet", "ljud uteslutet"),  # [WJ] (as WhatsApp spells it, and corrected)
    "sticker": ("sticker utesluten",),  # [WJ]
    "gif": ("GIF utesluten",),  # [WJ]
    "contact": ("Kontaktkort uteslutet",),  # [WJ]
    "document": ("dokument uteslutet",),  # [WJ]
    "deleted": (  # [WJ]
        "Det här meddelandet raderades",
        "Detta meddelande raderades",
        "Du raderade det här meddelandet",
        "Du raderade detta meddelande",
        "Du har tagit bort meddelandet",
    ),
    "calls": ("Missat röstsamtal", "Missat videosamtal", "Missat samtal"),  # [WJ]
    "file_attached": ("bifogad fil",),  # [WJ]
    "attached": ("bifogat",),  # [WJ]
    "notices": ("komplett krypterade", "säkerhetskod"),  # [WJ]
}

NB = {
    "media_omitted": ("<Uten vedlegg>", "<media utelatt>"),  # [WJ] [AO]
    "image": ("bilde ikke inkludert",),  # [WJ]
    "video": ("video utelatt",),  # [WJ]
    "audio": ("lyd utelatt",),  # [WJ]
    "sticker": ("klistremerke utelatt",),  # [WJ]
    "gif": ("GIF utelatt",),  # [WJ]
    "contact": ("Kontaktkort sløyfet",),  # [WJ]
    "document": ("utelatt dokument",),  # [WJ]
    "deleted": ("Denne meldingen ble slettet", "Du slettet denne meldingen"),  # [WJ]
    "calls": ("Tapt taleanrop", "Tapt videoanrop", "Tapt videosamtale"),  # [WJ]
    "file_attached": ("vedlagt fil",),  # [WJ]
    "attached": ("vedlagt",),  # [WJ]
    "notices": ("ende-til-ende-krypterte", "Sikkerhetskoden"),  # [WJ]
}

DA = {
    "media_omitted": ("<Mediefil udeladt>", "<medier udeladt>"),  # [WJ] [AO]
    "image": ("billede udeladt",),  # [WJ]
    "video": ("video udeladt",),  # [WJ]
    "audio": ("lyd udeladt",),  # [WJ]
    "sticker": ("klistermærke udeladt",),  # [WJ]
    "gif": ("GIF udeladt",),  # [WJ]
    "contact": ("Kontaktkort udeladt",),  # [WJ]
    "document": ("dokument udeladt",),  # [WJ]
    "deleted": (  # [WJ]
        "Denne besked er blevet slettet",
        "Denne besked blev slettet",
        "Du har slettet denne besked",
        "Du slettede denne besked",
    ),
    "calls": ("Ubesvaret taleopkald", "Ubesvaret videoopkald", "Mistet opkald", "Mistede video opkald"),  # [WJ]
    "file_attached": ("fil vedhæftet",),  # [WJ]
    "attached": ("vedhæftet",),  # [WJ]
    "notices": ("end-to-end-krypterede", "sikkerhedskode"),  # [WJ]
}
