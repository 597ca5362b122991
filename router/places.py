"""Where an appeal is: the directory's places named in the text, the most specific first."""

from __future__ import annotations

import re

from classifier import normalize_text
from router.directory import Directory

# How specific a place is: an estate or road pins the appeal down more than its district.
_SPECIFICITY = {"estate": 5, "community": 4, "road": 3, "street": 3, "township": 3,
                "district": 2, "county": 2, "city": 1}  # fmt: skip


class PlaceFinder:
    def __init__(self, directory: Directory):
        self.directory = directory
        names = {}
        for region in directory.regions.values():
            for name in (region.name, *region.aliases):
                if len(name) >= 2:
                    names.setdefault(name, region.name)
        self._names = names
        ordered = sorted(names, key=len, reverse=True)  # longest first: 湖滨街道 before 湖滨
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def find(self, text: str) -> list[str]:
        """Regions named in the text, most specific first, then by first mention."""
        if self._pattern is None:
            return []
        found: dict[str, int] = {}
        for match in self._pattern.finditer(normalize_text(text)):
            found.setdefault(self._names[match.group()], match.start())
        types = self.directory.regions
        return sorted(found, key=lambda r: (-_SPECIFICITY[types[r].type], found[r]))
