"""``manage.py receipt BATCH_ID [--json]``: the receipt of one batch."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from connections.zones import owner_zone
from coverage import evidence, words
from coverage.gone import gone_sentence
from coverage.models import AcquisitionBatch, GonePreview
from coverage.receipt_words import held_in
from coverage.receipts import Receipt
from coverage.serializers import receipt_json


def receipt_text(receipt: Receipt) -> str:
    """The receipt in plain text: the sentence first, then the facts behind it, in the owner's zone."""
    counts, tz = receipt.counts, words.zone(receipt.time_zone)
    lines = [receipt.sentence, ""]
    source = f"{receipt.source} ({receipt.method_label})"
    if receipt.source_format:
        source += f", {receipt.source_format}"
    lines.append(f"Import {receipt.batch_id}  {receipt.status}  {receipt.connection.name}  {source}")
    if receipt.artifact is not None:
        size = words.file_size(receipt.artifact.bytes) if receipt.artifact.bytes is not None else "size unknown"
        lines.append(f"File     {receipt.artifact.filename}  {size}  sha256 {receipt.artifact.sha256[:12]}")
    if receipt.event_time.earliest and receipt.event_time.latest:
        earliest, latest = receipt.event_time.earliest, receipt.event_time.latest
        lines.append(f"Events   {words.moments(earliest, latest, tz)}")
    if receipt.time_zone_assumed:
        lines.append(f"Zone     times without a zone read as {receipt.time_zone_assumed}")
    for line in (receipt.reread or {}).get("sentences", ()):
        lines.append(f"Re-read  {line}")
    for notice in receipt.notices:  # another account, another phone: said first, as the page does
        lines.append(f"Notice   {notice.detail}")
    if receipt.read_again:
        lines.append(f"Since    {receipt.read_again['sentence']} (import {receipt.read_again['batch_id']})")
    header = ("parsed", "accepted", "duplicate", "skipped", "failed")
    values = (counts.parsed, counts.accepted, counts.duplicate, counts.skipped, counts.failed)
    widths = [max(len(h), len(f"{v:,}")) for h, v in zip(header, values, strict=True)]
    lines.append("")
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join(f"{v:,}".rjust(w) for v, w in zip(values, widths, strict=True)))
    lines.append("")
    for line in receipt.explanations:  # what each count means (``coverage.receipt_words``)
        lines.append(f"  {line.text}")
    if receipt.explanations:
        lines.append("")
    media = receipt.media
    if media.declared:
        lines.append(f"Media    {media.declared:,} declared, {media.attached:,} attached, {media.missing:,} missing"
                     + (f", {media.omitted:,} left out of the export" if media.omitted else ""))
    for gap in receipt.gaps:
        lines.append(f"Gap      no records from {words.day(gap.start)} to {words.day(gap.end)}"
                     f" ({words.count(gap.days, words.DAY)})")
    for held in receipt.duplicate_sources:  # named as the page names it, the id to type after it
        lines.append(f"Held     {held.count:,} already in {held_in(held, tz)} (import {held.batch_id})")
    for warning in receipt.notes:
        where = f" ({warning.position})" if warning.position else ""
        lines.append(f"Warning  {warning.detail}{where}")
    if receipt.data_changed:
        lines.append("Note     the data changed between the preview and the import; these are the real counts.")
    if receipt.status != "rejected":  # nothing was read from a rejected file: it claims nothing
        lines.append(f"Claim    {receipt.completeness_text}")
    if receipt.next_action is not None:
        # The detail is the whole step in a sentence; the label is the web page's button for it.
        lines.append(f"Next     {receipt.next_action.detail}")
    return "\n".join(lines).rstrip() + "\n"


def load_receipt(batch: AcquisitionBatch) -> Receipt:
    batch = AcquisitionBatch.objects.select_related("connection", "duplicate_of").get(pk=batch.pk)
    return evidence.load_receipt(batch)


class Command(BaseCommand):
    help = "Print the receipt of one acquisition batch."

    def add_arguments(self, parser):
        parser.add_argument("batch_id", type=int)
        parser.add_argument("--json", action="store_true", help="print the receipt JSON (as the owner API returns it)")

    def handle(self, *args, batch_id: int, json: bool = False, **options):
        batch = AcquisitionBatch.objects.filter(pk=batch_id).first()
        if batch is None:
            gone = GonePreview.objects.filter(batch_id=batch_id).select_related("connection").first()
            if gone is None:
                raise CommandError(f"No import {batch_id}.")
            said = gone_sentence(gone, owner_zone(gone.connection.owner_id), timezone.now())
            raise CommandError(said + (f" In its place: import {gone.newer_id}." if gone.newer_id else ""))
        receipt = load_receipt(batch)
        self.stdout.write(dumps(receipt) if json else receipt_text(receipt), ending="" if not json else "\n")


def add_import_arguments(parser, source_help: str, file_help: str) -> None:
    """The arguments every import command takes: the source, the file, whose it is, preview or JSON."""
    parser.add_argument("slug", help=source_help)
    parser.add_argument("path", help=file_help)
    parser.add_argument("--owner", help="username (needed when more than one owner has this slug)")
    parser.add_argument("--preview", action="store_true", help="show what would be imported; write nothing")
    parser.add_argument("--json", action="store_true", help="print the receipt JSON (as the owner API returns it)")


def dumps(receipt: Receipt) -> str:
    return json.dumps(receipt_json(receipt), indent=2, ensure_ascii=False)
