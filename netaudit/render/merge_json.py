"""The JSON form of a merged report: the `netaudit/merge/1` document."""

from __future__ import annotations

import json

from netaudit.merge import Merged, merged_document


def render_merged(merged: Merged) -> str:
    return json.dumps(merged_document(merged), indent=2, ensure_ascii=False) + "\n"
