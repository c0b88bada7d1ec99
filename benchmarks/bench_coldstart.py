"""Cold start on Last.fm HetRec 2011: artists nobody has played, ranked from tags (and audio) alone.

Protocol (issue 4): hold out 10% of the played artists with all their plays; train ALS (shipped
defaults) on the rest; place the held-out artists from their tags alone; for each user who played
at least one of them, rank the held-out artists and report recall@50 and nDCG@50. Mean ± sd over
split seeds. Methods, all in the same run:

* random; most tagged first (tag assignments); ridge from tag TF-IDF to ALS item factors
  (``CultureMap``); cosine between the user's tag profile (play-weighted TF-IDF of their artists)
  and the artist's;
* tastemaker's ``ColdStartRanker``: placed factors + a ridge from tags to each user's log plays +
  profile cosine + log(1 + taggers) + item-kNN over tags (the user's log plays of the 30 most
  tag-similar played artists), each standardised per user, weights chosen on a validation cold
  split of the training data (never on the test items).

Tags given to a single artist are dropped for every method (they cannot relate two artists).

Audio variant: the same split, but only the held-out artists with Spotify audio features
(../shared/data/spotify-audio-features, joined by name) are ranked, for the users who played one
of them; recall still counts all of a user's held-out artists (this reproduces the issue's random
0.072). Random, audio ridge, tags ridge, audio alone (``FeatureRegressor``, kNN), tags alone and
tags+audio (``ColdStartRanker``, weights chosen on a validation split ranked the same way).

Warm protocol (the foundation's): per-user random 20% holdout, nDCG@10; ALS against
``HybridScorer`` (ALS + cultural + audio similarity, weights chosen on a validation holdout).

    python benchmarks/bench_coldstart.py [--seeds 0 1 2] [--skip-warm] [--skip-audio]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).parent))
from _datasets import HETREC  # noqa: E402

from tastemaker.cf import ImplicitALS  # noqa: E402
from tastemaker.data import Store, ingest_hetrec, load_interactions  # noqa: E402
from tastemaker.evaluation import cold_start_split, ndcg_at_k, random_holdout, recall_at_k  # noqa: E402
from tastemaker.hybrid import ColdStartRanker, CultureMap, HybridScorer, profiles, top_n  # noqa: E402
from tastemaker.text import descriptor_counts, tfidf  # noqa: E402

AUDIO = HETREC.parent / "spotify-audio-features" / "data_by_artist.csv"


def load(with_audio: bool):
    store = Store(":memory:")
    ingest_hetrec(store, HETREC, progress=False)
    audio = None
    if with_audio:
        from tastemaker.content import ingest_audio_features, load_audio_features

        ingest_audio_features(store, AUDIO)
    data = load_interactions(store)
    d_items, _, _, counts = descriptor_counts(store, texts=False)
    # tags only one artist has say nothing about likeness (CulturalVectors' min_df=2 default)
    counts = counts[:, np.diff(sp.csc_matrix(counts).indptr) >= 2]
    # tag counts aligned with the play matrix's columns (artists without tags: empty rows)
    rows = np.asarray([d_items.index(i) if i in d_items else -1 for i in data.items.ids.tolist()])
    C = sp.vstack([counts, sp.csr_matrix((1, counts.shape[1]))]).tocsr()[np.where(rows >= 0, rows, counts.shape[0])]
    taggers = dict(store.con.execute("SELECT item_id, count(DISTINCT user_id) FROM item_tags GROUP BY item_id").fetchall())
    prior = np.log1p(np.asarray([taggers.get(i, 0) for i in data.items.ids.tolist()], dtype=np.float64))
    if with_audio:
        audio = load_audio_features(store, data.items)
    return data.user_items, C, prior, audio


def factorize(R):
    m = ImplicitALS(random_state=0).fit(R, show_progress=False)
    return m.user_factors_, m.item_factors_


def cold_run(plays, C, prior, seed, audio=None):
    """The tags-only protocol, and (with audio) the same split ranked among held-out artists with
    audio features only; recall there still counts every held-out artist a user played."""
    train, test, cold = cold_start_split(plays, 0.1, random_state=seed)
    X = tfidf(C)
    U, V = factorize(train)
    test = sp.csr_matrix(test)
    rng = np.random.default_rng(seed)
    warm = np.flatnonzero((np.diff(train.tocsc().indptr) > 0) & (np.diff(X.indptr) > 0))
    n_tags = np.asarray(C.sum(axis=1)).ravel()
    placed = CultureMap(3.0).fit(X[warm], V[warm]).predict(X)
    prof = profiles(train, X)
    ranker = ColdStartRanker().fit(train, X, prior, U, V)

    def evaluate(cand, extra):
        pos = np.flatnonzero(np.isin(cold, cand))  # candidates' positions among the held-out columns
        truth_all = test[:, cold]
        users = np.flatnonzero(np.diff(sp.csr_matrix(truth_all[:, pos]).indptr) > 0)
        truth = truth_all[users]

        def m(S):
            ids = pos[top_n(S, 50)]
            return (float(np.nanmean(recall_at_k(ids, truth, 50))), float(np.nanmean(ndcg_at_k(ids, truth, 50))))

        c = cold[pos]
        out = {"random": m(rng.random((len(users), len(c)))),
               "most tagged first": m(np.tile(n_tags[c] + 1e-9 * rng.random(len(c)), (len(users), 1))),
               "ridge tags -> ALS factors": m(U[users] @ placed[c].T),
               "user tag profile cosine": m((prof[users] @ X[c].T).toarray())}
        for name, fn in extra.items():
            out[name] = m(fn(users, c))
        return out, len(c), len(users)

    ours = {f"tastemaker ColdStartRanker, tags {ranker.weights_}": ranker.score}
    results = [evaluate(cold, ours)]
    if audio is not None:
        from tastemaker.content import FeatureRegressor

        cols, F = audio
        played = np.diff(train.tocsc().indptr) > 0
        fit = played[cols]
        at = np.full(plays.shape[1], -1)
        at[cols] = np.arange(len(cols))
        extra = {}
        for name, reg in (("audio ridge -> ALS factors", FeatureRegressor("ridge")),
                          ("audio alone (kNN -> ALS factors)", FeatureRegressor("knn"))):
            reg.fit(F[fit], V[cols[fit]])
            extra[name] = (lambda r: lambda users, c: U[users] @ r.predict(F[at[c]]).T)(reg)
        tags_only = ColdStartRanker().fit(train, X, prior, U, V, validation_candidates=cols)
        both = ColdStartRanker().fit(train, X, prior, U, V, audio=audio, validation_candidates=cols)
        extra[f"tastemaker ColdStartRanker, tags {tags_only.weights_}"] = tags_only.score
        extra[f"tastemaker ColdStartRanker, tags + audio {both.weights_}"] = both.score
        results.append(evaluate(np.intersect1d(cold, cols), extra))
    return results


def warm_run(plays, C, seed, audio=None):
    train, test = random_holdout(plays, test_fraction=0.2, min_items=5, random_state=seed)
    X = tfidf(C)
    U, V = factorize(train)
    users = np.flatnonzero(np.diff(test.indptr) > 0)
    hybrid = HybridScorer().fit(train, X, audio=audio, user_factors=U, item_factors=V, factorize=factorize)
    S = U[users] @ V.T
    T = train[users]
    S[np.repeat(np.arange(len(users)), np.diff(T.indptr)), T.indices] = -np.inf
    als = float(np.nanmean(ndcg_at_k(top_n(S, 10), test[users], 10)))
    hyb = float(np.nanmean(ndcg_at_k(hybrid.recommend(users, 10), test[users], 10)))
    return {"ALS (shipped defaults)": als, f"HybridScorer {hybrid.weights_}": hyb}


def table(title, results, extra=""):
    print(f"\n{title}{extra}\n")
    print("| method | recall@50 | nDCG@50 |")
    print("|---|---|---|")
    for name, vals in results.items():
        r = np.array([v[0] for v in vals])
        n = np.array([v[1] for v in vals])
        print(f"| {name} | {r.mean():.3f} ± {r.std():.3f} | {n.mean():.3f} ± {n.std():.3f} |")


def collect(store, out):
    for k, v in out.items():
        # the chosen weights may differ between seeds: pool rows by method, not by weights
        key = k.split(" {")[0]
        store.setdefault(key, []).append(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--skip-warm", action="store_true")
    ap.add_argument("--skip-audio", action="store_true")
    args = ap.parse_args()
    with_audio = not args.skip_audio and AUDIO.is_file()
    plays, C, prior, audio = load(with_audio)
    tags_only, with_feats, warm = {}, {}, {}
    for seed in args.seeds:
        results = cold_run(plays, C, prior, seed, audio)
        out, n_cold, n_users = results[0]
        print(f"seed {seed}: {n_cold} held-out artists, {n_users} users", out, flush=True)
        collect(tags_only, out)
        if audio is not None:
            out, n_cold, n_users = results[1]
            print(f"seed {seed} (audio): {n_cold} held-out artists with audio features, {n_users} users", out,
                  flush=True)
            collect(with_feats, out)
        if not args.skip_warm:
            out = warm_run(plays, C, seed, audio)
            print(f"seed {seed} (warm):", out, flush=True)
            for k, v in out.items():
                warm.setdefault(k.split(" {")[0], []).append(v)
    seeds = f"; mean ± sd over split seeds {args.seeds}"
    table("Cold start, HetRec 2011: 10% of played artists held out, placed from tags alone", tags_only, seeds)
    if with_feats:
        table("Cold start restricted to artists with Spotify audio features", with_feats, seeds)
    if warm:
        print(f"\nWarm protocol (per-user 20% holdout){seeds}\n")
        print("| model | nDCG@10 |")
        print("|---|---|")
        for name, vals in warm.items():
            print(f"| {name} | {np.mean(vals):.4f} ± {np.std(vals):.4f} |")


if __name__ == "__main__":
    main()
