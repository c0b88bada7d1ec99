"""Descriptors: normalised terms from tags and free text.

A descriptor is a lower-case phrase of one or more words. Tags are descriptors as they are, once
normalised (``"Hip-Hop"`` and ``"hip hop"`` are one descriptor). Free text gives unigrams and
bigrams without stop words, plus every phrase of two to four words that is a known multi-word
descriptor (a tag such as ``"rock and roll"`` or ``"female vocalists"``), stop words or not.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

__all__ = ["normalise_term", "tokenize", "extract_descriptors", "STOP_WORDS"]

#: English function words (and a few words every text about music uses) left out of unigrams and
#: bigrams; known multi-word descriptors may still contain them.
STOP_WORDS = frozenset("""
a about above after again against all almost also although always am among an and another any are
around as at away back be became because become been before being below between both but by can
cannot could did do does doing done down during each either else even ever every few first for
from further get gets got had has have having he her here hers herself him himself his how however
i if in into is it its itself just last later least less like made make makes many may me might
more most much must my myself near never new next no nor not now of off often on once one only or
other others our ours ourselves out over own per perhaps quite rather really said same see seen
several she should since so some still such than that the their theirs them themselves then there
these they this those though through thus to too toward towards under until up upon us very was we
well were what when where whether which while who whom whose why will with within without would yet
you your yours yourself yourselves
album albums band bands song songs track tracks music record records release released artist
""".split())

_SEPARATORS = re.compile(r"[-_/\\|+&.:;,!?()\[\]{}\"“”«»]+")
# phrases never span these (the end of a sentence or clause, a list separator)
_BOUNDARIES = re.compile(r"[.,;:!?()\[\]{}\"“”«»\n]+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_MAX_PHRASE = 4


def normalise_term(text: str) -> str:
    """The normal form of a tag or phrase: NFKC, case-folded, apostrophes dropped, hyphens and
    other punctuation as spaces, single spaces.

    >>> normalise_term("  Hip-Hop ")
    'hip hop'
    >>> normalise_term("80's")
    '80s'
    """
    return " ".join(tokenize(text))


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens of ``text`` (letters and digits; ``80's`` becomes ``80s``)."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    text = _SEPARATORS.sub(" ", text)
    return [w.replace("'", "") for w in _WORD.findall(text)]


def _content_word(word: str) -> bool:
    return len(word) > 1 and word not in STOP_WORDS and not word.isdigit()


def extract_descriptors(text: str, phrases: Iterable[str] | frozenset[str] = frozenset()) -> Counter:
    """Descriptor counts of one text.

    Parameters
    ----------
    text : str
        Free text about an artist (a review, a biography, a blog post).
    phrases : set of str
        Known multi-word descriptors, already normalised (:func:`normalise_term`); a run of two to
        four tokens equal to one of them counts once as that descriptor.

    Returns
    -------
    collections.Counter
        ``{descriptor: occurrences}``.

    Examples
    --------
    >>> sorted(extract_descriptors("Swedish pop, disco and rock and roll!", {"rock and roll"}).items())
    [('disco', 1), ('pop', 1), ('rock', 1), ('rock and roll', 1), ('roll', 1), ('swedish', 1), ('swedish pop', 1)]
    """
    phrases = phrases if isinstance(phrases, (set, frozenset)) else frozenset(phrases)
    counts: Counter = Counter()
    for clause in _BOUNDARIES.split(unicodedata.normalize("NFKC", text)):
        words = tokenize(clause)
        content = [_content_word(w) for w in words]
        for i, word in enumerate(words):
            if content[i]:
                counts[word] += 1
            for n in range(2, min(_MAX_PHRASE, len(words) - i) + 1):
                gram = " ".join(words[i:i + n])
                if gram in phrases or (n == 2 and content[i] and content[i + 1]):
                    counts[gram] += 1
    return counts
