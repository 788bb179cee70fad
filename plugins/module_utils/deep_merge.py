# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One deep merge for chart values and REST configurations.

Helm merges values this way, and so does a PUT that must carry a whole
configuration: mappings merge key by key, anything else in the override
(lists, scalars) replaces what was there. Neither input is changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping


def deep_merge(base, override):
    """base with override laid over it (override None: a copy of base)."""
    out = copy.deepcopy(dict(base or {}))
    for key, value in (override or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
