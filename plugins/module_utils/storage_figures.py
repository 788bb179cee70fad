# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage figures kept on the node and reused while fresh: pure functions.

A storage benchmark costs tens of seconds per node and writes to the disk it
judges; on a re-run nothing about the disk has changed. storage_benchmark
keeps each measurement in a small JSON record on the node, keyed by what was
measured (target, profiles, sizes, engine) and by the identity of the block
device under it (major:minor, size in sectors, serial or WWID, a loop
device's backing file). A record is reused only while it is younger than the
caller's maximum age and its key is unchanged: a replaced or resized disk, or
another profile or size, measures again. The thresholds are judged again on
every run, so a changed threshold takes effect at once.
"""

from __future__ import annotations

import hashlib
import json

FORMAT = 1


def record_name(target):
    """The record's file name for a measured path or device (one record per target)."""
    return "storage-%s.json" % hashlib.sha256(target.encode("utf-8")).hexdigest()[:16]


def key(target, device_identity, profiles, size_bytes, runtime, bounded, ioengine):
    """What a measurement depends on; a record is reused only under an equal key."""
    return {"format": FORMAT, "target": target, "device": device_identity, "profiles": list(profiles),
            "size_bytes": int(size_bytes), "runtime": int(runtime), "bounded": bool(bounded),
            "ioengine": ioengine}


def record(measurement_key, measured_at, result):
    """The JSON text kept on the node after a measurement with no fio error."""
    kept = {name: result.get(name) for name in
            ("figures", "details", "unmeasured_reason", "target", "ioengine", "fio_version")}
    return json.dumps({"key": measurement_key, "measured_at": measured_at, "result": kept}, sort_keys=True)


def stamped(text, stamp, payload):
    """(key, time, payload) of a kept JSON record {key, <stamp>, <payload>}, or None when unreadable.

    Shared by the storage figures (measured_at, result) and the egress probe
    (probed_at, results, module_utils/egress.py).
    """
    try:
        data = json.loads(text)
        return data["key"], float(data[stamp]), data[payload]
    except (ValueError, KeyError, TypeError):
        return None


def reusable(text, measurement_key, now, max_age):
    """(kept result, age in seconds) when the record may stand for a new measurement, else (None, why)."""
    if max_age <= 0:
        return None, "reuse is off"
    found = stamped(text, "measured_at", "result")
    if found is None:
        return None, "the kept record cannot be read"
    stored_key, measured_at, kept = found
    if stored_key != measurement_key:
        changed = sorted(name for name in set(stored_key) | set(measurement_key)
                         if stored_key.get(name) != measurement_key.get(name)) if isinstance(stored_key, dict) else []
        return None, "measured again: %s changed" % (", ".join(changed) or "the record's format")
    age = now - measured_at
    if age < 0:
        return None, "the kept record is dated in the future (clock stepped back)"
    if age > max_age:
        return None, "the kept figures are %s old, more than %s" % (age_text(age), age_text(max_age))
    if not isinstance(kept, dict) or not isinstance(kept.get("figures"), dict):
        return None, "the kept record cannot be read"
    return kept, age


def age_text(seconds):
    """A short age: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    seconds = int(seconds)
    if seconds < 60:
        return "%d s" % seconds
    minutes = seconds // 60
    if minutes < 60:
        return "%d min" % minutes
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return "%d h %d min" % (hours, minutes) if minutes else "%d h" % hours
    days, hours = divmod(hours, 24)
    return "%d d %d h" % (days, hours) if hours else "%d d" % days
