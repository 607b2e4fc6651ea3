"""Benchmark a WhatsApp chat-export import, and whatstk's parser on the same file.

    uv run bench/import_whatsapp.py                          # 1,000,000 messages, fresh SQLite
    uv run bench/import_whatsapp.py --messages 100000        # smaller, to check the script
    uv run bench/import_whatsapp.py --database-url postgres://USER:PASS@127.0.0.1:5432/postgres

Generates an Android chat export (``WhatsApp Chat with Ana Souza.txt``: day-first dates,
24-hour clock, three senders, about 6 % multi-line messages, 2 % "<Media omitted>", a few
system notices, several messages in the same minute), creates a fresh database with an owner
and a ``whatsapp`` connection, and times the whole import through the real code path in a
child process (``preview_artifact``, ``start_commit(enqueue=False)``, ``land_batch``).
Prints messages/s for the import and for our parse alone, and the peak RSS of the import
child. Then it times whatstk's parse of the same file (``df_from_whatsapp`` with the header
format given, so it skips auto-detection: its fastest path; its 50 MB input cap lifted) in its own virtual environment
and prints the ratio. Prints figures; asserts nothing.

Goal (issue 3): our whole import faster than whatstk's parse alone.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from _common import Run, arguments, machine, mb, report_floor, report_ours, report_reimport

SENDERS = ("Ana Souza", "Ben Carter", "Chloé Martin")
WORDS = (
    "ok sure see you at the station tomorrow morning did you get the tickets yes I booked "
    "them last night what time is dinner around eight sounds good bring the charger please "
    "the train is late again sorry running ten minutes behind"
).split()

WHATSTK_PARSE = r"""
import json, sys, time
from pathlib import Path
from whatstk.whatsapp.parser import df_from_whatsapp
began = time.perf_counter()
df = df_from_whatsapp(sys.argv[1], hformat="%d/%m/%Y, %H:%M - %name:", max_size=None)  # no 50 MB cap
seconds = time.perf_counter() - began
Path(sys.argv[2]).write_text(json.dumps({"count": len(df), "seconds": seconds}))
"""


def generate(path: Path, messages: int) -> int:
    at = datetime(2021, 1, 4, 8, 0)
    n_words = len(WORDS)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        lines = [
            f"{at:%d/%m/%Y, %H:%M} - Messages and calls are end-to-end encrypted. No one outside of this chat, "
            "not even WhatsApp, can read or listen to them. Tap to learn more."
        ]
        for i in range(messages - 1):
            if i % 3:
                at += timedelta(seconds=30 + (i * 7919) % 120)  # several messages a minute
            else:
                at += timedelta(minutes=(i * 104729) % 240)
            stamp = f"{at:%d/%m/%Y, %H:%M}"
            if i % 5000 == 4999:
                lines.append(
                    f"{stamp} - Your security code with Ben Carter changed. Tap to learn more."
                )
                continue
            sender = SENDERS[(i * 31) % 3]
            if i % 50 == 7:
                text = "<Media omitted>"
            else:
                k = 3 + (i * 13) % 12
                start = (i * 17) % n_words
                text = " ".join(WORDS[(start + j) % n_words] for j in range(k))
                if i % 16 == 5:
                    text += "\n- passport\n- charger"
            lines.append(f"{stamp} - {sender}: {text}")
            if len(lines) >= 20_000:
                fh.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            fh.write("\n".join(lines) + "\n")
    return path.stat().st_size


def main() -> None:
    p = arguments(__doc__.split("\n\n")[0])
    p.add_argument(
        "--messages", type=int, default=1_000_000, help="messages in the chat (default 1,000,000)"
    )
    p.add_argument(
        "--reimport",
        type=int,
        default=0,
        metavar="PCT",
        help="then import a longer export (the same messages and PCT %% more) into the same source",
    )
    args = p.parse_args()
    run = Run(args, "whatsapp")
    try:
        path = run.dir / "WhatsApp Chat with Ana Souza.txt"
        t = time.perf_counter()
        size = generate(path, args.messages)
        print(
            f"generated {path.name} ({mb(size)}, {args.messages:,} messages) in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        run.setup("whatsapp")
        print(machine(run.db_label, run.db_version), flush=True)
        parse = run.parse("whatsapp", path)
        floor = run.floor("whatsapp", path)
        imp = run.import_("whatsapp", path)
        report_ours("messages", imp, parse)
        report_floor("messages", imp, parse, floor, run.db_label)
        if args.reimport:
            n2 = args.messages + args.messages * args.reimport // 100
            path2 = run.dir / ("again-" + path.name)
            generate(path2, n2)  # the same first messages, then {args.reimport} % more
            again = run.import_("whatsapp", path2)
            report_reimport("messages", imp, again)
        if args.no_compare:
            return
        python = run.tool_python("whatstk")
        version = run.tool_version(python, "whatstk")
        theirs = run.tool(python, WHATSTK_PARSE, str(path))
        ours_s = imp["preview_s"] + imp["commit_s"]
        print(
            f"whatstk {version}, parse alone: {theirs['count']:,} messages in {theirs['seconds']:.2f} s = "
            f"{theirs['count'] / theirs['seconds']:,.0f} messages/s; peak RSS {theirs['maxrss_mb']:.0f} MB"
        )
        print(
            f"ratio: our whole import is {theirs['seconds'] / ours_s:.2f}x the speed of their parse alone "
            f"({ours_s:.2f} s vs {theirs['seconds']:.2f} s); peak RSS {imp['maxrss_mb']:.0f} MB vs "
            f"{theirs['maxrss_mb']:.0f} MB"
        )
    finally:
        run.cleanup()


if __name__ == "__main__":
    main()
