"""The words of WhatsApp exports in European languages and those written in Latin script.

Data, not code: one dict per language (see ``words/__init__`` for what each key means).

Sources, for every entry unless its line says otherwise:
  [WJ]  starkdmi/whats_json, lib/src/patterns.dart: strings taken from WhatsApp's own
        iOS Localizable.strings (v22.24.81; keys n*sq0 image, I4|vp video, a86Wu audio, 2K_mB
        sticker, ~.KLq GIF, Sk+0p contact card, StaLC document, zQ+5d "<attached: …>",
        qBly] / GHe7G deleted, A),w/ and PnA`x calls, _i3PG encryption) and Android
        strings.xml (2.8.4278; keys export_media_omitted, email_file_attached,
        revoked_msg_incoming / revoked_msg_outgoing, missed_voice_call, video_missed_call).
  [V1]  words this connector knew before (whatsapp/1), from exported chats.
  [QC]  Qualichat/qualichat, models.py: per-type omitted tokens for pt-BR, es, de, it, fr.
  [PL]  public Polish parsers' fixtures ("<Pominięto multimedia>", "(plik załączony)").
  [TR]  public Turkish parsers ("<Medya dahil edilmedi>", "dosya ekli", per-type iOS forms).
  [ID]  public Indonesian parsers ("gambar tidak disertakan", "stiker tidak disertakan").
  [VO]  public parsers' tests of view-once placeholders ("<View once voice message omitted>").
  [2015] an iOS export of 2015: "<‎audio omitted>" (U+200E inside the brackets), see FORMATS.md.
  [ED]  the edited marker: Turkish from koftezz/whatsapp-chat-analyzer,
        src/whatsapp_analyzer/preprocessors/language_config.py ("edited"), which other public
        Turkish parsers strip as "<Bu mesaj düzenlendi>"; Brazilian Portuguese "<Mensagem
        editada>" from public scripts that clean Brazilian exports (an exact-text search of public
        code found it in at least six, one an iOS export's test line "texto corrigido
        ‎<Mensagem editada>"; that index names no repository). Public parsers of German exports
        strip it with a period inside the brackets ("<Diese Nachricht wurde bearbeitet.>"), which
        the reader matches for every language (``words.EDITED_RE``).
  [E2]  more edited markers, each found stripped by several public parsers of exported chats
        (an exact-text search of public code; that index names no repository): Indonesian
        "<Pesan ini diedit>" (ten) and "<Pesan ini telah diedit>" (five, one a Go parser's test
        line "Jadi jam 8 ya <Pesan ini telah diedit>"), Dutch "<Dit bericht is bewerkt>" (seven),
        European Portuguese "<Esta mensagem foi editada>" (two).
  [TG]  Turkish group notices ("Emre grubu oluşturdu", "Ali gruptan ayrıldı") from a public
        Turkish chat analyser's filter of WhatsApp's system lines (SYSTEM_FILTERS: "grubu
        oluşturdu", "gruptan ayrıldı").
"""

from __future__ import annotations

EN = {
    "media_omitted": ("<Media omitted>",),  # [WJ]
    "image": ("image omitted", "<image omitted>"),  # [WJ] [2015]
    "video": ("video omitted", "<video omitted>"),  # [WJ] [2015]
    "audio": ("audio omitted", "<audio omitted>"),  # [WJ] [2015]
    "sticker": ("sticker omitted",),  # [WJ]
    "gif": ("GIF omitted",),  # [WJ]
    "contact": ("Contact card omitted",),  # [WJ]
    "document": ("document omitted",),  # [WJ]
    "view_once": (  # [VO]
        "<View once voice message omitted>",
        "<View once photo omitted>",
        "<View once video omitted>",
        "view once photo omitted",
        "view once video omitted",
        "view once voice message omitted",
    ),
    "deleted": ("This message was deleted", "You deleted this message"),  # [WJ]
    "calls": (  # [WJ] [V1]
        "Missed voice call",
        "Missed video call",
        "Missed group voice call",
        "Missed group video call",
        "Voice call",
        "Video call",
        "Group voice call",
        "Group video call",
    ),
    "file_attached": ("file attached",),  # [WJ]
    "attached": ("attached",),  # [WJ]
    "notices": (  # [WJ] encryption and security code; [V1] group events
        "end-to-end encrypted",
        "security code",
        "created group",
        "created this group",
        "changed the subject",
        "changed this group",
        "changed the group",
        "changed their phone number",
        "disappearing messages",
        "joined using this group",
        "now an admin",
        "no longer an admin",
        "pinned a message",
        "business account",
    ),
    "edited": ("This message was edited",),  # [V1]
    "poll": ("POLL:",),  # [V1]
}

ES = {
    "media_omitted": (
        "<Multimedia omitido>",
        "<Multimedia omitidos>",
        "<Archivo omitido>",
    ),  # [V1] [WJ]
    "image": ("imagen omitida",),  # [WJ]
    "video": ("Video omitido", "video omitido"),  # [WJ]
    "audio": ("audio omitido",),  # [WJ]
    "sticker": ("sticker omitido", "pegatina omitida"),  # [WJ] [QC]
    "gif": ("GIF omitido", "GIF omitida"),  # [WJ] [QC]
    "contact": ("Tarjeta de contacto omitida",),  # [WJ]
    "document": ("documento omitido",),  # [WJ]
    "deleted": (  # [WJ]
        "Se eliminó este mensaje",
        "Este mensaje fue eliminado",
        "Mensaje eliminado",
        "Eliminaste este mensaje",
    ),
    "calls": ("Llamada perdida", "Llamada de voz perdida", "Videollamada perdida"),  # [WJ]
    "file_attached": ("archivo adjunto", "archivo adjuntado"),  # [V1] [WJ]
    "attached": ("adjunto",),  # [WJ]
    "notices": ("cifrados de extremo a extremo", "código de seguridad"),  # [WJ]
    "edited": ("Se editó este mensaje", "Se editó este mensaje."),  # [V1]
    "poll": ("ENCUESTA:",),  # [V1]
}

PT_BR = {
    "media_omitted": (
        "<Mídia oculta>",
        "<Arquivo de mídia oculto>",
        "<Mídia omitida>",
    ),  # [V1] [WJ]
    "image": ("imagem ocultada", "imagem oculta"),  # [V1] [QC]
    "video": ("vídeo omitido", "vídeo ocultado"),  # [WJ] [V1]
    "audio": ("áudio ocultado", "áudio oculto"),  # [V1] [QC]
    "sticker": ("figurinha omitida",),  # [WJ]
    "gif": ("GIF omitido",),  # [QC]
    "contact": ("Cartão do contato omitido",),  # [WJ]
    "document": ("documento omitido", "documento ocultado"),  # [WJ] [V1]
    "deleted": (  # [WJ] [V1]
        "Mensagem apagada",
        "Essa mensagem foi apagada",
        "Esta mensagem foi apagada",
        "Você apagou esta mensagem",
    ),
    "calls": ("Chamada de voz perdida", "Chamada de vídeo perdida", "Videochamada perdida"),  # [WJ]
    "file_attached": ("arquivo anexado",),  # [WJ]
    "attached": ("anexado", "anexo"),  # [WJ]
    "notices": ("criptografia de ponta a ponta", "código de segurança"),  # [WJ]
    "edited": ("Mensagem editada", "Essa mensagem foi editada"),  # [ED] [V1]
    "poll": ("ENQUETE:",),  # [V1]
}

PT_PT = {
    "media_omitted": ("<Ficheiro não revelado>",),  # [WJ]
    "image": ("imagem não revelada",),  # [WJ]
    "video": ("vídeo não revelado",),  # [WJ]
    "audio": ("ficheiro de áudio não revelado",),  # [WJ]
    "sticker": ("sticker não revelado",),  # [WJ]
    "gif": ("GIF não revelada",),  # [WJ]
    "contact": ("Contacto não revelado",),  # [WJ]
    "document": ("documento não revelado",),  # [WJ]
    "deleted": ("Esta mensagem foi apagada", "Apagou esta mensagem"),  # [WJ]
    "calls": ("Chamada de voz perdida", "Videochamada perdida"),  # [WJ]
    "file_attached": ("ficheiro anexado",),  # [WJ]
    "attached": ("anexo",),  # [WJ]
    "notices": ("encriptadas ponto a ponto", "código de segurança"),  # [WJ]
    "edited": ("Esta mensagem foi editada",),  # [E2]
}

DE = {
    "media_omitted": ("<Medien ausgeschlossen>", "<Medien weggelassen>"),  # [V1] [WJ]
    "image": ("Bild weggelassen",),  # [WJ]
    "video": ("Video weggelassen",),  # [WJ]
    "audio": ("Audio weggelassen",),  # [WJ]
    "sticker": ("Sticker weggelassen",),  # [WJ]
    "gif": ("GIF weggelassen", "GIF ausgeschlossen"),  # [WJ] [QC]
    "contact": ("Kontaktkarte weggelassen", "Kontaktkarte ausgelassen"),  # [V1] [WJ]
    "document": ("Dokument weggelassen",),  # [WJ]
    "deleted": ("Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht"),  # [WJ]
    "calls": (
        "Verpasster Sprachanruf",
        "Verpasster Videoanruf",
        "Sprachanruf",
        "Videoanruf",
    ),  # [WJ] [V1]
    "file_attached": ("Datei angehängt",),  # [WJ]
    "attached": ("angehängt", "Anhang"),  # [WJ]
    "notices": (  # [WJ] [V1]
        "Ende-zu-Ende-verschlüsselt",
        "Sicherheitsnummer",
        "hat die Gruppe",
        "hat den Betreff",
        "hinzugefügt",
    ),
    "edited": ("Diese Nachricht wurde bearbeitet",),  # [V1]
    "poll": ("UMFRAGE:",),  # [V1]
}

FR = {
    "media_omitted": ("<Médias omis>", "<Fichier omis>"),  # [V1] [WJ]
    "image": ("image absente", "image omise"),  # [WJ] [QC]
    "video": ("vidéo absente", "vidéo omise"),  # [WJ] [QC]
    "audio": ("audio omis",),  # [WJ]
    "sticker": ("sticker omis", "autocollant omis"),  # [WJ] [QC]
    "gif": ("GIF retiré", "GIF omis"),  # [WJ]
    "contact": ("Fiche contact manquante", "Carte de contact omise"),  # [WJ] [QC]
    "document": ("document manquant", "document omis"),  # [WJ]
    "deleted": ("Ce message a été supprimé", "Vous avez supprimé ce message"),  # [WJ]
    "calls": ("Appel vocal manqué", "Appel vidéo manqué"),  # [WJ]
    "file_attached": ("fichier joint",),  # [WJ]
    "attached": ("pièce jointe",),  # [WJ]
    "notices": ("chiffrés de bout en bout", "code de sécurité"),  # [WJ]
    "edited": ("Ce message a été modifié",),  # [V1]
    "poll": ("SONDAGE:",),  # [V1]
}

IT = {
    "media_omitted": ("<Media omessi>", "<Media omesso>"),  # [V1] [WJ]
    "image": ("immagine omessa",),  # [WJ]
    "video": ("video omesso",),  # [WJ]
    "audio": ("audio omesso",),  # [WJ]
    "sticker": ("sticker non incluso", "sticker omesso"),  # [WJ]
    "gif": ("GIF esclusa", "GIF omessa"),  # [WJ] [QC]
    "contact": ("Scheda contatto omessa",),  # [WJ]
    "document": ("documento omesso",),  # [WJ]
    "deleted": ("Questo messaggio è stato eliminato", "Hai eliminato questo messaggio"),  # [WJ]
    "calls": ("Chiamata vocale persa", "Videochiamata persa"),  # [WJ]
    "file_attached": ("file allegato",),  # [WJ]
    "attached": ("allegato",),  # [WJ]
    "notices": (
        "crittografati end-to-end",
        "crittografia end-to-end",
        "codice di sicurezza",
    ),  # [WJ] [V1]
    "edited": ("Questo messaggio è stato modificato",),  # [V1]
    "poll": ("SONDAGGIO:",),  # [V1]
}

NL = {
    "media_omitted": ("<Media weggelaten>",),  # [WJ]
    "image": ("afbeelding weggelaten",),  # [WJ]
    "video": ("video weggelaten",),  # [WJ]
    "audio": ("audio weggelaten",),  # [WJ]
    "sticker": ("sticker weggelaten",),  # [WJ]
    "gif": ("GIF weggelaten",),  # [WJ]
    "contact": ("Visitekaartje weggelaten",),  # [WJ]
    "document": ("document weggelaten",),  # [WJ]
    "deleted": (
        "Dit bericht is verwijderd",
        "U hebt dit bericht verwijderd",
        "Je hebt dit bericht verwijderd",
    ),  # [WJ]
    "calls": (
        "Gemist spraakgesprek",
        "Gemist videogesprek",
        "Gemiste spraakoproep",
        "Gemiste video-oproep",
    ),  # [WJ]
    "file_attached": ("bestand bijgevoegd",),  # [WJ]
    "attached": ("bijgevoegd", "bijlage"),  # [WJ] [V1]
    "notices": ("end-to-end versleuteld", "beveiligingscode"),  # [WJ]
    "edited": ("Dit bericht is bewerkt",),  # [E2]
}

PL = {
    "media_omitted": ("<Pominięto multimedia>", "<pliki pominięto>"),  # [PL] [WJ]
    "image": ("obraz pominięty",),  # [WJ]
    "video": ("wideo pominięte",),  # [WJ]
    "audio": ("audio pominięte",),  # [WJ]
    "sticker": ("pominięto naklejkę",),  # [WJ]
    "gif": ("Plik GIF pominięty",),  # [WJ]
    "contact": ("Pominięta wizytówka kontaktu",),  # [WJ]
    "document": ("dokument pominięty",),  # [WJ]
    "deleted": (  # [WJ] [PL]
        "Ta wiadomość została usunięta",
        "Usunąłeś(-ęłaś) tę wiadomość",
        "Usunąłeś(aś) tę wiadomość",
        "Usunięto tę wiadomość",
    ),
    "calls": (
        "Nieodebrane połączenie głosowe",
        "Nieodebrane poł. głosowe",
        "Nieodebrane poł. wideo",
    ),  # [WJ]
    "file_attached": ("załączony plik", "plik załączony"),  # [WJ] [PL]
    "attached": ("załączono",),  # [WJ]
    "notices": ("w pełni zaszyfrowane", "szyfrowane end-to-end", "kod zabezpieczeń"),  # [WJ] [PL]
    "edited": ("Ta wiadomość została zmieniona",),  # [PL]
}

CS = {
    # Android: both spellings, and the spaced form some versions write ("< Média vynechána >").
    "media_omitted": ("<Média vynechána>", "<Média vynechány>", "< Média vynechána >"),  # [WJ]
    "image": ("obrázek vynechán",),  # [WJ]
    "video": ("video vynecháno",),  # [WJ]
    "audio": ("zvukový soubor vynechán",),  # [WJ]
    "sticker": ("nálepka vynechána",),  # [WJ]
    "gif": ("GIF vynechán",),  # [WJ]
    "contact": ("Vizitka vynechána",),  # [WJ]
    "document": ("dokument vynechán",),  # [WJ]
    "deleted": (  # [WJ]
        "Tato zpráva byla smazána",
        "Tato zpráva byla odstraněna",
        "Tuto zprávu jste smazal/a",
        "Tuto zprávu jste odstranil/a",
    ),
    "calls": ("Zmeškaný hlasový hovor", "Zmeškaný hovor", "Zmeškaný videohovor"),  # [WJ]
    "file_attached": ("soubor byl přiložen",),  # [WJ]
    "attached": ("příloha",),  # [WJ]
    "notices": ("koncovým šifrováním", "Bezpečnostní kód"),  # [WJ]
}

TR = {
    "media_omitted": ("<Medya dahil edilmedi>", "<Medya atlanmış>"),  # [TR] [WJ]
    "image": ("görüntü dahil edilmedi",),  # [WJ]
    "video": ("video dahil edilmedi",),  # [WJ]
    "audio": ("ses dahil edilmedi",),  # [WJ]
    "sticker": ("Çıkartma dahil edilmedi",),  # [WJ]
    "gif": ("GIF dahil edilmedi",),  # [WJ]
    "contact": ("Kişi kartı dahil edilmedi",),  # [WJ]
    "document": ("belge dahil edilmedi",),  # [WJ]
    "deleted": ("Bu mesaj silindi", "Bu mesajı sildiniz"),  # [WJ]
    "calls": ("Cevapsız sesli arama", "Cevapsız görüntülü arama"),  # [WJ]
    "file_attached": ("dosya ekli",),  # [WJ] [TR]
    "attached": ("eklendi",),  # [WJ]
    # [WJ] [TG] (the security code's words last: the locale fixtures' maker takes them from there)
    "notices": ("uçtan uca şifreli", "grubu oluşturdu", "gruptan ayrıldı", "güvenlik kodu"),
    "edited": ("Bu mesaj düzenlendi",),  # [ED]
}

ID = {
    "media_omitted": ("<Media tidak disertakan>",),  # [WJ]
    "image": ("gambar tidak disertakan",),  # [WJ] [ID]
    "video": ("video tidak disertakan",),  # [WJ]
    "audio": ("audio tidak disertakan",),  # [WJ]
    "sticker": ("stiker tidak disertakan",),  # [WJ] [ID]
    "gif": ("GIF tidak disertakan",),  # [WJ]
    "contact": ("Kartu kontak tidak disertakan",),  # [WJ]
    "document": ("dokumen tidak disertakan",),  # [WJ]
    "deleted": (
        "Pesan ini dihapus",
        "Pesan ini telah dihapus",
        "Anda menghapus pesan ini",
        "Anda telah menghapus pesan ini",
    ),  # [WJ]
    "calls": ("Panggilan suara tak terjawab", "Panggilan video tak terjawab"),  # [WJ]
    "file_attached": ("file terlampir",),  # [WJ]
    "attached": ("terlampir",),  # [WJ]
    "notices": ("terenkripsi secara end-to-end", "Kode keamanan"),  # [WJ]
    "edited": ("Pesan ini telah diedit", "Pesan ini diedit"),  # [E2]
}

MS = {
    "media_omitted": ("<Media disingkirkan>",),  # [WJ]
    "image": ("imej tidak dimasukkan",),  # [WJ]
    "video": ("video tidak dimasukkan",),  # [WJ]
    "audio": ("audio tidak dimasukkan",),  # [WJ]
    "sticker": ("pelekat tidak disertakan",),  # [WJ]
    "gif": ("GIF tidak dimasukkan",),  # [WJ]
    "contact": ("Kad kenalan tidak dimasukkan",),  # [WJ]
    "document": ("dokumen tidak dimasukkan",),  # [WJ]
    "deleted": ("Mesej ini telah dipadam", "Anda telah memadamkan mesej ini"),  # [WJ]
    "calls": ("Panggilan suara terlepas", "Panggilan video terlepas"),  # [WJ]
    "file_attached": ("fail dilampirkan",),  # [WJ]
    "attached": ("dilampir",),  # [WJ]
    "notices": ("disulitkan hujung ke hujung", "Kod keselamatan"),  # [WJ]
}

VI = {
    "media_omitted": ("<Bỏ qua Media>", "<bỏ qua tệp phương tiện>"),  # [WJ]
    "image": ("đã bỏ qua hình ảnh",),  # [WJ]
    "video": ("đã bỏ video",),  # [WJ]
    "audio": ("bỏ qua tệp âm thanh",),  # [WJ]
    "sticker": ("đã bỏ sticker",),  # [WJ]
    "gif": ("Đã bỏ qua ảnh GIF",),  # [WJ]
    "contact": ("Bỏ qua thẻ liên lạc",),  # [WJ]
    "document": ("đã bỏ qua tài liệu",),  # [WJ]
    "deleted": (
        "Tin nhắn này đã bị xóa",
        "Tin nhắn này đã bị xoá",
        "Bạn đã xóa tin nhắn này",
        "Bạn đã xoá tin nhắn này",
    ),  # [WJ]
    "calls": ("Cuộc gọi nhỡ", "Cuộc gọi nhỡ video"),  # [WJ]
    "file_attached": ("tệp đính kèm",),  # [WJ]
    "attached": ("đính kèm",),  # [WJ]
    "notices": ("được mã hóa đầu cuối", "Mã bảo mật"),  # [WJ]
}
