"""TF-IDF weights and descriptor extraction, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from tastemaker.text import extract_descriptors, idf_weights, normalise_term, tfidf


def test_tfidf_hand_computed():
    # three documents over terms (a, b, c): counts [[2,1,0],[0,1,0],[0,0,3]]
    counts = sp.csr_matrix([[2, 1, 0], [0, 1, 0], [0, 0, 3]])
    idf = idf_weights(counts)
    # n = 3 documents; df = (1, 2, 1); idf = ln((1+3)/(1+df)) + 1
    assert idf == pytest.approx([math.log(2) + 1, math.log(4 / 3) + 1, math.log(2) + 1])
    W = tfidf(counts).toarray()
    a = (1 + math.log(2)) * (math.log(2) + 1)  # sublinear tf of 2, times idf
    b = 1.0 * (math.log(4 / 3) + 1)
    norm = math.hypot(a, b)
    assert W[0] == pytest.approx([a / norm, b / norm, 0.0])
    assert W[1] == pytest.approx([0.0, 1.0, 0.0])
    assert W[2] == pytest.approx([0.0, 0.0, 1.0])


def test_tfidf_without_sublinear_and_empty_rows():
    counts = sp.csr_matrix([[4, 0], [0, 0]])
    W = tfidf(counts, sublinear_tf=False, norm=False).toarray()
    # n = 1 described document; df(a) = 1 -> idf 1; b held by none -> 0
    assert W.tolist() == [[4.0, 0.0], [0.0, 0.0]]


def test_negative_counts_rejected():
    with pytest.raises(ValueError, match=">= 0"):
        tfidf(sp.csr_matrix([[-1.0]]))


def test_descriptors_keep_tag_phrases_and_drop_stop_words():
    text = "The band's new album is classic rock and roll, with some New-Wave synths. The band rocks."
    got = extract_descriptors(text, {"rock and roll", "new wave", "classic rock"})
    assert got["rock and roll"] == 1 and got["new wave"] == 1 and got["classic rock"] == 1
    assert got["synths"] == 1 and got["new wave synths"] == 0
    assert "the" not in got and "band" not in got and "album" not in got
    assert got["wave synths"] == 1  # a bigram of two content words
    assert "roll with" not in got  # never across stop words


def test_bigrams_never_cross_punctuation():
    got = extract_descriptors("swedish pop, disco")
    assert "pop disco" not in got and got["swedish pop"] == 1


@pytest.mark.parametrize("raw, norm", [("Hip-Hop", "hip hop"), ("  80's  ", "80s"), ("Rock & Roll", "rock roll"),
                                       ("FEMALE   vocalists", "female vocalists")])
def test_normalise_term(raw, norm):
    assert normalise_term(raw) == norm


def test_idf_is_zero_for_unused_terms():
    assert idf_weights(sp.csr_matrix([[1, 0]]))[1] == 0.0
    assert np.all(tfidf(sp.csr_matrix((0, 3))).shape == (0, 3))
