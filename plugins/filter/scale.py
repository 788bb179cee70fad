# -*- coding: utf-8 -*-
# Copyright: (c) 2026, ML platform team
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/scale.yml; the logic is in module_utils/scale_request (pure, pytest)."""

from __future__ import annotations

from ansible_collections.mlplatform.installer.plugins.module_utils import scale_request


class FilterModule:
    def filters(self):
        return {
            "scale_request_problems": scale_request.request_problems,
            "scale_decision_problems": scale_request.decision_problems,
        }
