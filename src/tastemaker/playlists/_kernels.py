"""The compiled part of Discover Weekly: filter, diversify, explore and explain every listener at once.

One call handles all users in parallel chunks; nothing here runs per-user Python. Reason codes
(see :data:`REASONS`) and anchors (an item column or a tag id) are turned into text later, in bulk.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["rerank", "BECAUSE", "FANS", "TAGGED", "EXPLORE", "REASONS"]

BECAUSE, FANS, TAGGED, EXPLORE = 0, 1, 2, 3
#: reason code -> name stored with every playlist item
REASONS = ("because", "fans", "tagged", "explore")

_CHUNK = 512


@numba.njit(cache=True, inline="always")
def _mix(x):
    # splitmix64 finaliser: a well-spread 64-bit hash of x
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


# reassociation lets the anchor dot products vectorise; no 'nnan'/'ninf': -inf marks padding
_FAST = {"reassoc", "contract", "nsz"}


@numba.njit(cache=True, nogil=True, fastmath=_FAST)
def _one_user(u, row, cand, cf, h_ptr, h_idx, h_val, p_ptr, p_idx, artist, t_ptr, t_idx, unit, placed,
              pop, seed, size, per_artist, n_explore, explore_pool, tag_penalty, tag_saturation,
              pop_penalty, n_anchors, weak_cosine, mark, artist_cnt, tag_cnt, tag_w, out_items, out_reason,
              out_anchor, out_score):
    K = cand.shape[1]
    stamp = np.int32(u + 1)
    for j in range(h_ptr[row], h_ptr[row + 1]):
        mark[h_idx[j]] = stamp
    for j in range(p_ptr[row], p_ptr[row + 1]):
        mark[p_idx[j]] = stamp
    # 1. valid candidates: known, never played, not given in an earlier week, no duplicates
    vc = np.empty(K, np.int64)
    vs = np.empty(K, np.float32)
    n = 0
    lo = np.float32(np.inf)
    hi = np.float32(-np.inf)
    for k in range(K):
        c = cand[u, k]
        if c < 0 or mark[c] == stamp or not np.isfinite(cf[u, k]):
            continue
        mark[c] = stamp
        vc[n] = c
        vs[n] = cf[u, k]
        lo = min(lo, cf[u, k])
        hi = max(hi, cf[u, k])
        n += 1
    if n == 0:
        return
    # 2. score: the candidates' score min-max scaled over the user's candidates, minus popularity
    base = np.empty(n, np.float32)
    span = hi - lo if hi > lo else np.float32(1.0)
    for i in range(n):
        base[i] = (vs[i] - lo) / span - pop_penalty * pop[vc[i]]
    order = np.argsort(-base, kind="mergesort")
    # 3. greedy re-ranking: per-artist cap and a tag-coverage penalty, lazily re-evaluated
    taken = np.zeros(n, np.bool_)
    bound = base.copy()
    picked = np.empty(size, np.int64)
    n_picked = 0
    n_main = max(size - n_explore, 0)
    explore = np.empty(max(n_explore, 1), np.int64)
    n_explored = 0
    for phase in range(3):  # main picks, exploration slots, then top up if exploration ran short
        if phase == 1:
            # "less popular but relevant": below the user's median candidate popularity
            pops = np.empty(n, np.float32)
            for i in range(n):
                pops[i] = pop[vc[i]]
            median = np.median(pops)
            pool = np.empty(n, np.int64)
            n_pool = 0
            for oi in range(n):
                i = order[oi]
                if not taken[i] and pop[vc[i]] < median and n_pool < explore_pool:
                    pool[n_pool] = i
                    n_pool += 1
            state = _mix(seed)
            for e in range(n_pool):  # partial Fisher-Yates, seeded per user and week
                if n_explored >= n_explore:
                    break
                state = _mix(state + np.uint64(0x9E3779B97F4A7C15))
                r = e + np.int64(state % np.uint64(n_pool - e))
                pool[e], pool[r] = pool[r], pool[e]
                i = pool[e]
                a = artist[vc[i]]
                if artist_cnt[a] >= per_artist:
                    continue
                taken[i] = True
                artist_cnt[a] += 1
                for j in range(t_ptr[vc[i]], t_ptr[vc[i] + 1]):
                    tag_cnt[t_idx[j]] += 1
                explore[n_explored] = i
                n_explored += 1
            continue
        target = n_main if phase == 0 else size - n_explored
        while n_picked < target:
            best = -np.inf
            bi = -1
            for oi in range(n):
                i = order[oi]
                if base[i] <= best:
                    break  # the penalty only lowers scores: nothing further down can win
                if taken[i] or bound[i] <= best or artist_cnt[artist[vc[i]]] >= per_artist:
                    continue
                c = vc[i]
                nt = t_ptr[c + 1] - t_ptr[c]
                val = base[i]
                if nt > 0 and tag_penalty > 0:
                    covered = 0.0
                    for j in range(t_ptr[c], t_ptr[c + 1]):
                        covered += min(tag_cnt[t_idx[j]], tag_saturation)
                    val -= tag_penalty * covered / (tag_saturation * nt)
                bound[i] = val
                if val > best:
                    best = val
                    bi = i
            if bi < 0:
                break
            taken[bi] = True
            artist_cnt[artist[vc[bi]]] += 1
            for j in range(t_ptr[vc[bi]], t_ptr[vc[bi] + 1]):
                tag_cnt[t_idx[j]] += 1
            picked[n_picked] = bi
            n_picked += 1
    # 4. explanations: the user's top played items as anchors, their favourite tags
    n_hist = h_ptr[row + 1] - h_ptr[row]
    hv = np.empty(max(n_hist, 1), np.float32)
    for j in range(n_hist):
        hv[j] = h_val[h_ptr[row] + j]
    h_order = np.argsort(-hv[:n_hist], kind="mergesort")
    anchors = np.empty(n_anchors, np.int64)
    n_anch = 0
    for oj in range(n_hist):
        if n_anch >= n_anchors or hv[h_order[oj]] <= 0:
            break
        anchors[n_anch] = h_idx[h_ptr[row] + h_order[oj]]
        n_anch += 1
    fav = np.full(3, -1, np.int64)
    for oj in range(n_hist):
        j = h_ptr[row] + h_order[oj]
        if h_val[j] <= 0:
            break
        w = np.log1p(h_val[j])
        for r, tj in enumerate(range(t_ptr[h_idx[j]], t_ptr[h_idx[j] + 1])):
            tag_w[t_idx[tj]] += w / (1.0 + r)
    for oj in range(n_hist):  # top three favourite tags, then reset the accumulator
        j = h_ptr[row] + h_order[oj]
        if h_val[j] <= 0:
            break
        for tj in range(t_ptr[h_idx[j]], t_ptr[h_idx[j] + 1]):
            t = t_idx[tj]
            w = tag_w[t]
            for f in range(3):
                if fav[f] == t:
                    break
                if fav[f] < 0 or w > tag_w[fav[f]] or (w == tag_w[fav[f]] and t < fav[f]):
                    for g in range(2, f, -1):
                        fav[g] = fav[g - 1]
                    fav[f] = t
                    break
    for oj in range(n_hist):
        j = h_ptr[row] + h_order[oj]
        for tj in range(t_ptr[h_idx[j]], t_ptr[h_idx[j] + 1]):
            tag_w[t_idx[tj]] = 0.0
    # 5. lay out: exploration slots spread evenly, main picks around them
    total = n_picked + n_explored
    mi = 0
    ei = 0
    next_slot = (size * 1) // (n_explore + 1) if n_explore > 0 else size
    for p in range(total):
        use_explore = ei < n_explored and (p == next_slot or mi >= n_picked)
        if use_explore:
            i = explore[ei]
            ei += 1
            next_slot = (size * (ei + 1)) // (n_explore + 1)
        else:
            i = picked[mi]
            mi += 1
        c = vc[i]
        out_items[u, p] = c
        out_score[u, p] = base[i]
        if use_explore:
            out_reason[u, p] = EXPLORE
            t_new = -1
            for tj in range(t_ptr[c], t_ptr[c + 1]):
                t = t_idx[tj]
                if t != fav[0] and t != fav[1] and t != fav[2]:
                    t_new = t
                    break
            if t_new < 0 and t_ptr[c + 1] > t_ptr[c]:
                t_new = t_idx[t_ptr[c]]
            out_anchor[u, p] = t_new
            continue
        best_cos = -np.inf
        best_h = -1
        for h in range(n_anch):
            s = np.float32(0.0)
            for f in range(unit.shape[1]):
                s += unit[c, f] * unit[anchors[h], f]
            if s > best_cos:
                best_cos = s
                best_h = h
        tag_hit = -1
        if best_cos < weak_cosine:
            for f in range(3):
                if fav[f] < 0:
                    break
                for tj in range(t_ptr[c], t_ptr[c + 1]):
                    if t_idx[tj] == fav[f]:
                        tag_hit = fav[f]
                        break
                if tag_hit >= 0:
                    break
        if tag_hit >= 0 or best_h < 0:
            out_reason[u, p] = TAGGED if tag_hit >= 0 else EXPLORE
            out_anchor[u, p] = tag_hit if tag_hit >= 0 else (t_idx[t_ptr[c]] if t_ptr[c + 1] > t_ptr[c] else -1)
        elif best_h < 3 or placed[c]:  # nobody plays a placed item yet: no "fans of X also play"
            out_reason[u, p] = BECAUSE
            out_anchor[u, p] = anchors[best_h]
        else:
            out_reason[u, p] = FANS
            out_anchor[u, p] = anchors[best_h]
    # reset the per-chunk counters touched by this user
    for p in range(total):
        c = out_items[u, p]
        artist_cnt[artist[c]] = 0
        for j in range(t_ptr[c], t_ptr[c + 1]):
            tag_cnt[t_idx[j]] = 0


@numba.njit(cache=True, parallel=True, nogil=True, fastmath=_FAST)
def _rerank_all(rows, cand, cf, h_ptr, h_idx, h_val, p_ptr, p_idx, artist, n_artists, t_ptr, t_idx, n_tags,
                unit, placed, pop, seeds, size, per_artist, n_explore, explore_pool, tag_penalty,
                tag_saturation, pop_penalty, n_anchors, weak_cosine, out_items, out_reason, out_anchor, out_score):
    U = cand.shape[0]
    n_items = artist.shape[0]
    n_chunks = (U + _CHUNK - 1) // _CHUNK
    for ch in numba.prange(n_chunks):
        mark = np.zeros(n_items, np.int32)
        artist_cnt = np.zeros(n_artists, np.int32)
        tag_cnt = np.zeros(max(n_tags, 1), np.int32)
        tag_w = np.zeros(max(n_tags, 1), np.float32)
        for u in range(ch * _CHUNK, min(U, (ch + 1) * _CHUNK)):
            _one_user(u, rows[u], cand, cf, h_ptr, h_idx, h_val, p_ptr, p_idx, artist, t_ptr, t_idx, unit,
                      placed, pop, seeds[u], size, per_artist, n_explore, explore_pool, tag_penalty,
                      tag_saturation, pop_penalty, n_anchors, weak_cosine, mark, artist_cnt, tag_cnt, tag_w,
                      out_items, out_reason, out_anchor, out_score)


def rerank(rows, cand, cf, history, previous, artist, item_tags, unit, pop, seeds, *, size, per_artist, n_explore,
           explore_pool, tag_penalty, pop_penalty, placed=None, tag_saturation=2, n_anchors=10, weak_cosine=0.3):
    """Pick, order and explain ``size`` items per user from over-fetched candidates.

    Parameters
    ----------
    rows : ndarray of int64, shape (U,)
        Each user's row in ``history`` and ``previous``.
    cand, cf : ndarray, shape (U, K)
        Candidate item columns (``-1`` padded) and their scores (the bundle's blended scores).
    history, previous : csr_matrix (n_users x n_items)
        What users played (never recommended again) and what earlier weeks gave them.
    artist : ndarray of int32 (n_items,)
        Artist codes; at most ``per_artist`` items of one artist per playlist.
    item_tags : csr_matrix (n_items x n_tags)
        Each item's strongest tags, strongest first.
    unit : ndarray of float32 (n_items, f)
        Unit-length item factors: anchors for "Because you listened to X".
    pop : ndarray of float32 (n_items,)
        Popularity scaled to [0, 1] (log users).
    seeds : ndarray of uint64 (U,)
        One seed per user and week for the exploration slots.
    placed : ndarray of bool (n_items,), optional
        Items placed without plays (explained as "because", never "fans": nobody plays them yet).
    size, per_artist, n_explore, explore_pool, tag_penalty, pop_penalty
        As :class:`~tastemaker.playlists.DiscoverWeekly`'s parameters (its defaults are the only ones).
    tag_saturation : int, default 2
        A tag counts as fully covered once this many picked items carry it.
    n_anchors : int, default 10
        The user's most played items considered as "Because you listened to X" anchors.
    weak_cosine : float, default 0.3
        Below this anchor cosine, a favourite tag the item carries explains it instead.

    Returns
    -------
    items, reasons, anchors, scores : ndarray, shape (U, size)
        Item columns (``-1`` where a user had too few candidates), reason codes, anchors (item
        column for ``because``/``fans``, tag id for ``tagged``/``explore``, -1 if none), scores.
    """
    U = cand.shape[0]
    out_items = np.full((U, size), -1, np.int32)
    out_reason = np.full((U, size), -1, np.int8)
    out_anchor = np.full((U, size), -1, np.int32)
    out_score = np.full((U, size), np.nan, np.float32)
    placed = np.zeros(len(artist), np.bool_) if placed is None else np.asarray(placed, np.bool_)
    n_tags = item_tags.shape[1]
    _rerank_all(np.asarray(rows, np.int64), np.ascontiguousarray(cand), np.ascontiguousarray(cf, dtype=np.float32),
                history.indptr.astype(np.int64), history.indices, history.data.astype(np.float32),
                previous.indptr.astype(np.int64), previous.indices, np.asarray(artist, np.int32),
                int(artist.max()) + 1 if len(artist) else 1, item_tags.indptr.astype(np.int64), item_tags.indices,
                n_tags, np.ascontiguousarray(unit, dtype=np.float32), placed, np.asarray(pop, np.float32),
                np.asarray(seeds, np.uint64), int(size), int(per_artist), int(n_explore), int(explore_pool),
                np.float32(tag_penalty), np.int32(tag_saturation), np.float32(pop_penalty), int(n_anchors),
                np.float32(weak_cosine), out_items, out_reason, out_anchor, out_score)
    return out_items, out_reason, out_anchor, out_score
