"""Cultural vectors: what people say about the music, as weighted descriptors.

Descriptors come from tags (HetRec's tag assignments) and from free text about the artists
(:func:`ingest_texts`: reviews, biographies, blog posts). :class:`CulturalVectors` weighs them with
TF-IDF (sublinear term frequency, smoothed IDF, unit-length rows) and answers the questions the
cold start asks: an artist's top descriptors ("ABBA: pop, 70s, disco, swedish …"), the artists
culturally nearest to another, a listener's cultural profile from the artists they play, and how
fresh artists rank against it.

>>> from tastemaker.data import Store
>>> from tastemaker.text import CulturalVectors
>>> with Store("lastfm.duckdb", read_only=True) as store:        # doctest: +SKIP
...     cv = CulturalVectors().fit_store(store)
>>> cv.top_terms("ABBA", 3)                                      # doctest: +SKIP
[('pop', 0.33), ('70s', 0.29), ('disco', 0.27)]
"""

from tastemaker.text._cultural import CulturalVectors, descriptor_counts
from tastemaker.text._descriptors import STOP_WORDS, extract_descriptors, normalise_term, tokenize
from tastemaker.text._ingest import ingest_texts, normalise_name
from tastemaker.text._lsa import lsa
from tastemaker.text._weights import idf_weights, tfidf

__all__ = [
    "CulturalVectors",
    "descriptor_counts",
    "extract_descriptors",
    "normalise_term",
    "normalise_name",
    "tokenize",
    "STOP_WORDS",
    "ingest_texts",
    "idf_weights",
    "tfidf",
    "lsa",
]
