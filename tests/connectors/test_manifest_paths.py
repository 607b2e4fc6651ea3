"""The manifests' shared pieces: ``export_path`` and the location stream's view and key rule.

Manifests state only what differs; these check that what they share says what the catalog,
the day pages and the upload picker need.
"""

from __future__ import annotations

import pytest

from connections import connectors
from connections.connectors import google_timeline, gpx, owntracks
from connections.connectors.base import LOCATION_STREAM
from connections.connectors.manifest import (
    LOCATION_KEY_RULE,
    LOCATION_VIEW,
    LOCATION_VIEWS,
    StreamView,
    export_path,
)

MANIFESTS = connectors.all_manifests()


def _parse(artifact, facts, options):
    return iter(())


def test_an_export_path_is_an_upload_the_owner_starts():
    path = export_path((".csv",), ("Export it.", "Upload it here."), _parse)
    assert (path.method, path.trigger, path.job) == ("owner_artifact", "manual", "Import history from an export")
    assert path.recommended and not path.needs_credential
    assert path.accepted_formats == (".csv",)
    assert path.instructions == ("Export it.", "Upload it here.")
    assert path.parser is _parse
    assert path.endpoints == () and path.fetch is None


def test_an_export_path_may_name_its_job_and_stand_second():
    path = export_path((".csv",), ("Upload it.",), _parse, job="Add older rows", recommended=False)
    assert path.job == "Add older rows"
    assert not path.recommended


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m.id)
def test_every_source_recommends_one_way_in(manifest):
    """The catalog puts the recommended path first and tags it; a second would tag two."""
    assert sum(path.recommended for path in manifest.paths) == 1


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda m: m.id)
def test_every_export_path_can_be_uploaded(manifest):
    for path in manifest.paths:
        if path.method == "owner_artifact":
            assert path.trigger == "manual"
            assert path.accepted_formats and all(f.startswith(".") for f in path.accepted_formats)
            assert path.instructions and callable(path.parser)


@pytest.mark.parametrize("module", [google_timeline, gpx, owntracks], ids=lambda m: m.MANIFEST.id)
def test_sources_of_places_share_the_location_stream(module):
    manifest = module.MANIFEST
    assert manifest.streams == (LOCATION_STREAM,)
    assert manifest.views[LOCATION_STREAM] == StreamView("points", ("lat", "lon", "kind", "name", "accuracy", "device"))
    assert manifest.record_key_rule == LOCATION_KEY_RULE == "time of the fix and its position to about a metre"


def test_the_shared_location_views_cannot_be_changed_through_one_manifest():
    with pytest.raises(TypeError):
        gpx.MANIFEST.views[LOCATION_STREAM] = StreamView("table")  # type: ignore[index]
    assert LOCATION_VIEWS[LOCATION_STREAM] is LOCATION_VIEW
