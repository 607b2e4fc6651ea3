"""A refused file is told what it is and what to do, in one sentence that fits it.

Found by owners: a Timeline file given to a chat source was told both that it is no chat and to
export "the chat" again; random bytes named .zip were called text that is not UTF-8; a Persian
Android chat in the Solar Hijri calendar was sent to the iPhone's settings.
"""

from __future__ import annotations

import pytest

from connections.connectors.base import ArtifactRejected

from .helpers import read

CASES = [
    # file name, bytes, reason, words the detail holds, words it must not hold
    ("location-history.json", b'{"locations": [{"latitudeE7": 525200000, "timestampMs": "1"}]}\n',
     "wrong_source", "a data file (JSON or XML), not a WhatsApp chat export", "export the chat again"),
    ("Zeitachse.json", b'\xef\xbb\xbf[{"startTime": "2024-01-01T10:00:00.000+01:00"}]\n',
     "wrong_source", "a data file (JSON or XML)", "edited"),
    ("export.xml", b'<?xml version="1.0"?>\n<HealthData locale="de_DE">\n',
     "wrong_source", "a data file (JSON or XML)", "edited"),
    ("WhatsApp Chat - Ana.zip", bytes(range(256)) * 8,
     "malformed", "named .zip but is not a zip archive", "UTF-8"),
    ("fa-android.txt", "۱۴۰۲/۱۰/۱۰, ۲۱:۴۰ - Ana: سلام\n".encode(),
     "unsupported", "Settings, System, Languages, Regional preferences, Calendar", "Language & Region"),
    ("_chat.txt", "[۱۴۰۲/۱۰/۱۰, ۲۱:۴۰:۰۰] Ana: سلام\n".encode(),
     "unsupported", "Settings, General, Language & Region, Calendar", "Regional preferences"),
    # A chat whose dates were taken out looks edited: it is told so.
    ("chat.txt", b"Ana: hi\nBen: hello\n", "wrong_source", "no dated messages. If it was unzipped", "data file"),
]


@pytest.mark.parametrize(("name", "body", "reason", "says", "not_says"), CASES)
def test_a_refused_file_is_told_what_fits_it(tmp_path, name, body, reason, says, not_says):
    path = tmp_path / name
    path.write_bytes(body)
    with pytest.raises(ArtifactRejected) as caught:
        read(path)
    assert caught.value.reason == reason
    assert says in caught.value.detail
    assert not_says not in caught.value.detail
