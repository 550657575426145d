"""Request keys seen once: a replay or a retry of a signed request is refused, old keys pruned."""

from __future__ import annotations

from datetime import timedelta


def test_request_keys_are_recorded_once_and_pruned(storage, clock):
    assert storage.sightings.first_sighting(["sig:a", "event:1"])
    assert not storage.sightings.first_sighting(["sig:b", "event:1"])  # Slack's retry: new signature, same event
    assert not storage.sightings.first_sighting(["sig:a"])
    assert storage.sightings.first_sighting(["sig:b"])  # the refused attempt above recorded nothing
    assert storage.sightings.prune_sightings(clock.now + timedelta(seconds=1)) == 3
    assert storage.sightings.first_sighting(["sig:a"])
