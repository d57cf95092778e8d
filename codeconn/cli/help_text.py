"""Help text as click shows it: prose paragraphs rewrapped to the terminal, examples kept as written.

Click rewraps every paragraph of an epilog unless the paragraph starts with its
no-rewrap marker (a line holding only `\\b`); without it, example commands run
into one another and hard-wrapped prose breaks mid-sentence.
"""

from __future__ import annotations

NO_REWRAP = "\b"


def epilog(text: str) -> str:
    """`text` with each indented paragraph (an example) marked so that click keeps its lines."""
    paragraphs = text.strip("\n").split("\n\n")
    return "\n\n".join(f"{NO_REWRAP}\n{p}" if p.startswith(" ") else p for p in paragraphs)


__all__ = ["epilog"]
