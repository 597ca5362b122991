"""FAQ knowledge base: entries, dense and BM25 search, the answer-or-hand-off decision."""

from kb.base import REASONS, Hit, KnowledgeBase, Reply
from kb.entries import Entry, KbImportError, read_entries, write_entries
from kb.ranking import Ranker

__all__ = [
    "REASONS",
    "Entry",
    "Hit",
    "KbImportError",
    "KnowledgeBase",
    "Ranker",
    "Reply",
    "read_entries",
    "write_entries",
]
