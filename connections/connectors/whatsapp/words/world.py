"""The words of WhatsApp exports in languages written in Cyrillic, Arabic, Hebrew, Indic, Thai
and East Asian scripts.

Data, not code: one dict per language (see ``words/__init__`` for what each key means).
Sources are named as in ``words/europe``: [WJ] WhatsApp's own iOS Localizable.strings and
Android strings.xml as collected in starkdmi/whats_json (lib/src/patterns.dart); [V1] words
this connector knew before; [AO] public parsers' lists of Android "<Media omitted>" forms by
language (e.g. the "Without media" tables of chat-analysis tools). An entry marked
"unverified" is the form the same tables give for a sibling key, kept until an export shows
the exact words.

[E2] edited markers found stripped by public parsers of exported chats (an exact-text search of
public code; that index names no repository): Arabic "<تم تعديل هذه الرسالة>" in three, one of
them removing it with the U+200F before it. [N2] later wordings of the encryption notice, found
in public parsers' tests of system lines: Japanese "メッセージと通話はエンドツーエンドで暗号化
されています" (WhatsApp's v22 strings write "エンドツーエンド暗号化されています"); Arabic,
whose wordings differ after their first words ("الرسائل والمكالمات مشفرة تمامًا بين الطرفين",
"… مشفرة تماما بين الطرفين" without the tanween, "… مشفرة تشفيرًا تامًا من طرف إلى طرف"), by
those first words, "Messages and calls are encrypted".
"""

from __future__ import annotations

RU = {
    "media_omitted": ("<Без медиафайлов>", "<Файл пропущен>"),  # [V1] [WJ]
    "image": ("изображение отсутствует",),  # [WJ]
    "video": ("видео отсутствует",),  # [WJ]
    "audio": ("аудиофайл отсутствует",),  # [WJ]
    "sticker": ("стикер не добавлен", "стикер отсутствует"),  # [WJ] [V1]
    "gif": ("GIF отсутствует",),  # [WJ]
    "contact": ("Карточка контакта отсутствует",),  # [WJ]
    "document": ("документ отсутствует",),  # [WJ]
    "deleted": (  # [WJ] [V1]
        "Данное сообщение удалено",
        "Это сообщение удалено",
        "Вы удалили данное сообщение",
        "Вы удалили это сообщение",
    ),
    "calls": ("Пропущенный аудиозвонок", "Пропущенный видеозвонок"),  # [WJ]
    "file_attached": ("файл добавлен", "файл прикреплён"),  # [WJ] [V1]
    "attached": ("прикреплено", "вложение"),  # [WJ] [V1]
    "notices": ("сквозным шифрованием", "код безопасности"),  # [WJ]
    "edited": ("Сообщение изменено",),  # [V1]
    "poll": ("ОПРОС:",),  # [V1]
}

UK = {
    "media_omitted": ("<Медіа пропущено>",),  # [WJ]
    "image": ("зображення відсутнє",),  # [WJ]
    "video": ("відео відсутнє",),  # [WJ]
    "audio": ("аудіо відсутнє",),  # [WJ]
    "sticker": ("Наклейку не додано",),  # [WJ]
    "gif": ("GIF-анімацію пропущено",),  # [WJ]
    "contact": ("Картка контакту відсутня",),  # [WJ]
    "document": ("документ пропущено",),  # [WJ]
    "deleted": ("Це повідомлення було видалено", "Ви видалили це повідомлення"),  # [WJ]
    "calls": ("Пропущений аудіодзвінок", "Пропущений відеодзвінок"),  # [WJ]
    "file_attached": ("файл додано",),  # [WJ]
    "attached": ("додано",),  # [WJ]
    "notices": ("наскрізним шифруванням", "Код безпеки"),  # [WJ]
}

AR = {
    "media_omitted": ("<تم استبعاد الوسائط>",),  # [WJ] [AO]
    "image": ("لم يتم إدراج الصورة",),  # [WJ]
    "video": ("لم يتم إدراج الفيديوهات", "لم يتم إدراج الفيديو"),  # [WJ]; the singular unverified
    "audio": ("لم يتم إدراج المقاطع الصوتية",),  # [WJ]
    "sticker": ("تم حذف الملصقات",),  # [WJ]
    "gif": ("لم يتم إدراج صورة GIF",),  # [WJ]
    "contact": ("لم يتم إدراج بطاقة جهة اتصال",),  # [WJ]
    "document": ("لم يتم إدراج المستند",),  # [WJ]
    "deleted": (
        "تم حذف هذه الرسالة",
        "لقد حذَفت هذه الرسالة",
        "لقد حذفت هذه الرسالة",
        "أنت حذفت هذه الرسالة",
    ),  # [WJ]
    "calls": ("مكالمة صوتية فائتة", "مكالمة فيديو فائتة"),  # [WJ]
    "file_attached": ("الملف مرفق",),  # [WJ]
    "attached": ("المُرفق", "مرفق"),  # [WJ]
    "notices": ("مشفرة تمامًا بين الطرفين", "رمز أمانك"),  # [WJ]
    "encryption": ("الرسائل والمكالمات مشفرة",),  # [N2]
    "edited": ("تم تعديل هذه الرسالة",),  # [E2]
}

HE = {
    "media_omitted": ("<מדיה הושמטה>",),  # [WJ]
    "image": ("התמונה הושמטה",),  # [WJ]
    "video": ("סרטון הווידאו הושמט",),  # [WJ]
    "audio": ("קטע קול הושמט",),  # [WJ]
    "sticker": ("סטיקר הושמט",),  # [WJ]
    "gif": ("GIF הושמט",),  # [WJ]
    "contact": ("כרטיס איש קשר הושמט",),  # [WJ]
    "document": ("מסמך הושמט",),  # [WJ]
    "deleted": ("הודעה זו נמחקה", "מחקת את ההודעה הזו", "מחקת הודעה זו"),  # [WJ]
    "calls": ("שיחה קולית שלא נענתה", "שיחת וידאו שלא נענתה"),  # [WJ]
    "file_attached": ("קובץ מצורף",),  # [WJ]
    "attached": ("מצורף",),  # [WJ]
    "notices": ("מוצפנות מקצה-לקצה", "קוד האבטחה"),  # [WJ]
}

FA = {
    "media_omitted": (
        "<پیوست نما/آهنگ حذف شد>",
        "<پيوست نما/آهنگ حذف شد>",
    ),  # [WJ] (both yeh forms)
    "image": ("تصویر حذف شد",),  # [WJ]
    "video": ("ویدیو حذف شد",),  # [WJ]
    "audio": ("صدا حذف شد",),  # [WJ]
    "sticker": ("استیکر حذف شد",),  # [WJ]
    "gif": ("GIF حذف شد",),  # [WJ]
    "contact": ("برگ مخاطب حذف شد",),  # [WJ]
    "document": ("سند حذف شد",),  # [WJ]
    "deleted": ("این پیام حذف شد", "این پیام حذف شده است", "شما این پیام را حذف کردید"),  # [WJ]
    "calls": (
        "تماس صوتی پاسخ داده نشده",
        "تماس تصویری پاسخ داده نشده",
        "تماس تصویری بی‌پاسخ",
    ),  # [WJ]
    "file_attached": ("فایل پیوست شد",),  # unverified ([WJ] gives "پیوست شد" with a count)
    "attached": ("پیوست",),  # [WJ]
    "notices": ("سرتاسر رمزگذاری شده", "کد امنیتی"),  # [WJ]
}

HI = {
    "media_omitted": ("<मीडिया के बिना>",),  # [WJ]
    "image": ("फ़ोटो हटाई गई",),  # [WJ]
    "video": ("वीडियो छोड़ा गया",),  # [WJ]
    "audio": ("ऑडियो हटाई गयी",),  # [WJ]
    "sticker": ("स्टिकर छोड़ा गया",),  # [WJ]
    "gif": ("GIF छोड़ा गया",),  # [WJ]
    "contact": ("कॉन्टैक्ट कार्ड छोड़ा गया",),  # [WJ]
    "document": ("डॉक्यूमेंट छोड़ा गया",),  # [WJ]
    "deleted": (  # [WJ]
        "यह मैसेज डिलीट कर दिया गया है",
        "आपने यह मैसेज डिलीट किया",
        "यह संदेश मिटाया गया",
        "आपने यह संदेश मिटाया",
    ),
    "calls": ("मिस्ड वॉइस कॉल", "मिस्ड वीडियो कॉल", "वॉइस कॉल मिस हुई"),  # [WJ]
    "file_attached": ("फाइल अटैच कर दी गई है", "फाइल संलग्न"),  # [WJ]
    "attached": ("अटैच किया गया", "संलग्न"),  # [WJ]
    "notices": ("एंड-टू-एंड एन्क्रिप्टेड", "सुरक्षा कोड"),  # [WJ]
}

BN = {
    "media_omitted": ("<মিডিয়া বাদ দেওয়া হয়েছে>",),  # [WJ] [AO]
    "image": ("ইমেজ বাদ দেওয়া হয়েছে",),  # [WJ]
    "video": ("ভিডিও বাদ দেওয়া হয়েছে",),  # [WJ]
    "audio": ("অডিও বাদ দেওয়া হয়েছে",),  # [WJ]
    "sticker": ("স্টিকার বাদ দেওয়া হয়েছে",),  # [WJ]
    "gif": ("জিআইএফ বাদ দেওয়া হয়েছে",),  # [WJ]
    "contact": ("পরিচিতির কার্ড বাদ দেওয়া হয়েছে",),  # [WJ]
    "document": ("ডকুমেন্ট বাদ দেওয়া হয়েছে",),  # [WJ]
    "deleted": (
        "এই মেসেজটি বাদ দেওয়া হয়েছে।",
        "আপনি এই মেসেজটি বাদ দিয়েছেন",
        "এই বার্তাটি মুছে ফেলা হয়েছে",
    ),  # [WJ]
    "calls": ("ভয়েস কল মিস করেছেন", "ভিডিও কল মিস করেছেন", "মিসড ভয়েস কল"),  # [WJ]
    "file_attached": ("ফাইল সংযুক্ত হয়েছে",),  # [WJ]
    "attached": ("সংযুক্ত",),  # unverified (the Android word of the same string)
    "notices": ("এন্ড-টু-এন্ড এনক্রিপ্টেড", "নিরাপত্তা কোড"),  # [WJ]
}

UR = {
    "media_omitted": ("<میڈیا چھوڑ دیا گیا>",),  # [WJ]
    "image": ("تصویر نکال دی گئی ہے",),  # [WJ]
    "video": ("ویڈیو نظرانداز",),  # [WJ]
    "audio": ("آڈیو نظرانداز",),  # [WJ]
    "sticker": ("اسٹیکر نظرانداز",),  # [WJ]
    "gif": ("GIF نظرانداز", "GIF  نظرانداز"),  # [WJ] (two spaces in one app version)
    "contact": ("رابطہ کارڈ نظر انداز",),  # [WJ]
    "document": ("دستاویز نظرانداز",),  # [WJ]
    "deleted": (
        "یہ میسج حذف کر دیا گیا ہے۔",
        "آپ نے یہ میسج حذف کر دیا ہے",
        "یہ پیغام حذف کیا گیا",
    ),  # [WJ]
    "calls": ("مسڈ وائس کال", "مسڈ ویڈیو کال", "چھوٹی ہوئی صوتی کال"),  # [WJ]
    "file_attached": ("پیوستہ فائل",),  # [WJ]
    "attached": ("پیوستہ",),  # [WJ]
    "notices": ("اینڈ ٹو اینڈ اینکرپشن", "سیکیورٹی کوڈ"),  # [WJ]
}

TH = {
    "media_omitted": ("<สื่อถูกลบ>", "<ไฟล์สื่อถูกลบ>"),  # [WJ] [AO]
    "image": ("ไม่มีรูปภาพ",),  # [WJ]
    "video": ("วิดีโอถูกลบ",),  # [WJ]
    "audio": ("ไม่มีไฟล์เสียง",),  # [WJ]
    "sticker": ("ไม่มีสติกเกอร์",),  # [WJ]
    "gif": ("ละเว้น GIF",),  # [WJ]
    "contact": ("บัตรรายชื่อที่ละเว้น",),  # [WJ]
    "document": ("ละเว้นเอกสาร",),  # [WJ]
    "deleted": ("ข้อความนี้ถูกลบแล้ว", "คุณได้ลบข้อความนี้", "คุณลบข้อความนี้"),  # [WJ]
    "calls": ("สายที่ไม่ได้รับ", "วิดีโอคอลที่ไม่ได้รับ"),  # [WJ]
    "file_attached": ("ไฟล์ที่แนบ",),  # [WJ]
    "attached": ("แนบ",),  # [WJ]
    "notices": ("การเข้ารหัสจากต้นทางถึงปลายทาง", "รหัสความปลอดภัย"),  # [WJ]
}

JA = {
    "media_omitted": ("<メディアは含まれていません>", "<メディアなし>"),  # [WJ] [AO]
    "image": ("画像は含まれていません",),  # [WJ]
    "video": ("ビデオは含まれていません",),  # [WJ]
    "audio": ("音声は含まれていません",),  # [WJ]
    "sticker": ("スタンプは含まれていません",),  # [WJ]
    "gif": ("GIFは含まれていません",),  # [WJ]
    "contact": ("連絡先カードを省略",),  # [WJ]
    "document": ("ドキュメントは含まれていません",),  # [WJ]
    "deleted": ("このメッセージは削除されました", "このメッセージを削除しました"),  # [WJ]
    "calls": ("音声通話不在着信", "ビデオ通話不在着信", "不在着信"),  # [WJ]
    "file_attached": ("添付ファイル有り",),  # [WJ]
    "attached": ("添付ファイル",),  # [WJ]
    "notices": ("エンドツーエンド暗号化", "セキュリティコード"),  # [WJ]
    "encryption": ("エンドツーエンドで暗号化",),  # [N2]
    # unverified: the deleted marker's words with 編集 (edited) for 削除 (deleted)
    "edited": ("このメッセージは編集されました",),
}

KO = {
    "media_omitted": ("<미디어 파일을 생략한 대화내용>", "<미디어 파일 제외됨>"),  # [WJ] [AO]
    "image": ("이미지 생략됨",),  # [WJ]
    "video": ("비디오 생략됨",),  # [WJ]
    "audio": ("오디오 생략됨",),  # [WJ]
    "sticker": ("스티커 제외됨",),  # [WJ]
    "gif": ("GIF 생략됨",),  # [WJ]
    "contact": ("연락처 카드 생략됨",),  # [WJ]
    "document": ("문서 생략됨",),  # [WJ]
    "deleted": (
        "이 메시지는 삭제되었습니다",
        "삭제한 메시지입니다",
        "이 메시지를 삭제했습니다",
    ),  # [WJ]
    "calls": ("부재중 전화", "부재중 영상통화"),  # [WJ]
    "file_attached": ("파일 첨부됨",),  # [WJ]
    "attached": ("첨부됨",),  # [WJ]
    "notices": ("종단간 암호화", "보안 코드"),  # [WJ]
}

ZH_HANS = {
    "media_omitted": ("<省略多媒体文件>",),  # [WJ]
    "image": ("照片已忽略",),  # [WJ]
    "video": ("视频已忽略",),  # [WJ]
    "audio": ("音频已忽略",),  # [WJ]
    "sticker": ("贴图已省略",),  # [WJ]
    "gif": ("GIF 动态图已被忽略",),  # [WJ]
    "contact": ("联系人卡片已忽略",),  # [WJ]
    "document": ("文档已省略",),  # [WJ]
    "deleted": ("这条消息已被删除。", "此消息已删除", "信息已删除", "您已删除这条消息"),  # [WJ]
    "calls": ("未接语音通话", "未接视频通话"),  # [WJ]
    "file_attached": ("文件附件",),  # [WJ]
    "attached": ("附件",),  # [WJ]
    "notices": ("端到端加密", "安全代码"),  # [WJ]
}

ZH_HANT = {
    "media_omitted": ("<忽略多媒體檔>",),  # [WJ]
    "image": ("圖片已略去", "圖像已省略"),  # [WJ] (Taiwan, Hong Kong)
    "video": ("影片已略去", "影片已省略"),  # [WJ]
    "audio": ("音訊已略去", "音訊已省略"),  # [WJ]
    "sticker": ("貼圖已略去", "貼圖已忽略"),  # [WJ]
    "gif": ("GIF 已略去", "GIF 圖片已被省略"),  # [WJ]
    "contact": ("聯絡人卡片已略去", "聯絡人卡片已省略"),  # [WJ]
    "document": ("文件已略去", "文件已忽略"),  # [WJ]
    "deleted": ("此訊息已刪除。", "您已刪除此訊息"),  # [WJ]
    "calls": ("未接語音通話", "未接視像通話"),  # [WJ]
    "file_attached": ("附件檔案",),  # [WJ]
    "attached": ("附件",),  # [WJ]
    "notices": ("端對端加密", "安全碼", "安全代碼"),  # [WJ]
}
