"""Maths of the ALS engine: solvers against dense NumPy, reconstruction, explanations, skips."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tastemaker.cf import ImplicitALS, confidence
from tastemaker.cf._als_kernels import cg_solve, cholesky_half_step


@pytest.fixture
def rng():
    return np.random.default_rng(42)


def _random_counts(rng, n_users=30, n_items=40, density=0.2):
    m = sp.random(n_users, n_items, density=density, format="csr", random_state=rng, dtype=np.float32)
    m.data = np.ceil(m.data * 50).astype(np.float32)
    return m


def _dense_solution(C, Y, reg):
    """x_u = (Y^T C^u Y + reg I)^-1 Y^T C^u p(u), with every entry of the user's row written out."""
    n, f = C.shape[0], Y.shape[1]
    out = np.zeros((n, f))
    dense = C.toarray()
    for u in range(n):
        c = np.where(dense[u] == 0, 1.0, np.abs(dense[u]))
        p = (dense[u] > 0).astype(float)
        A = (Y.T * c) @ Y + reg * np.eye(f)
        out[u] = np.linalg.solve(A, (Y.T * c) @ p)
    return out


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
def test_half_step_matches_dense_numpy_solve(rng, solver):
    counts = _random_counts(rng)
    C = counts.copy()
    C.data = confidence(C.data, alpha=2.0, epsilon=1.0)
    f = 6
    Y = rng.standard_normal((counts.shape[1], f)).astype(np.float32)
    X = np.zeros((counts.shape[0], f), dtype=np.float32)
    YtY = (Y.T @ Y).astype(np.float32)
    reg = np.full(counts.shape[0], 0.5, np.float32)
    if solver == "cholesky":
        cholesky_half_step(C.indptr, C.indices, C.data, X, Y, YtY, reg, 4)
    else:  # CG with as many steps as dimensions is exact in exact arithmetic
        for _ in range(3):
            cg_solve(C, X, Y, YtY, reg, f, 4)
    want = _dense_solution(C, Y.astype(np.float64), 0.5)
    np.testing.assert_allclose(X, want, rtol=2e-3, atol=2e-3)


def test_short_rows_are_solved_exactly_in_one_cg_sweep(rng):
    # rows of 1 to 3 non-zeros (with skips among them) take the Woodbury path: exact at once
    n_users, n_items, f = 60, 40, 7
    rows, cols, vals = [], [], []
    for u in range(n_users):
        for i in rng.choice(n_items, size=1 + u % 3, replace=False):
            rows.append(u)
            cols.append(i)
            vals.append(float(rng.integers(1, 40)) * (-1 if rng.random() < 0.25 else 1))
    counts = sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(n_users, n_items))
    C = counts.copy()
    C.data = confidence(C.data, alpha=2.0, epsilon=1.0)
    Y = rng.standard_normal((n_items, f)).astype(np.float32)
    X = rng.standard_normal((n_users, f)).astype(np.float32)  # a warm start the exact solve ignores
    YtY = (Y.T @ Y).astype(np.float32)
    reg = np.full(n_users, 0.7, np.float32)
    cg_solve(C, X, Y, YtY, reg, 1, 4)  # one CG step could not get there
    np.testing.assert_allclose(X, _dense_solution(C, Y.astype(np.float64), 0.7), rtol=2e-3, atol=2e-3)


def test_negative_entries_are_preference_zero_with_confidence(rng):
    counts = _random_counts(rng)
    counts.data[::3] *= -1  # skips
    C = counts.copy()
    C.data = confidence(C.data, alpha=2.0, epsilon=1.0)
    Y = rng.standard_normal((counts.shape[1], 5)).astype(np.float32)
    X = np.zeros((counts.shape[0], 5), dtype=np.float32)
    cholesky_half_step(C.indptr, C.indices, C.data, X, Y, (Y.T @ Y).astype(np.float32),
                       np.full(counts.shape[0], 0.1, np.float32), 1)
    np.testing.assert_allclose(X, _dense_solution(C, Y.astype(np.float64), 0.1), rtol=2e-3, atol=2e-3)


def test_exact_reconstruction_without_regularisation():
    # a rank-2 preference matrix (two blocks) is reproduced exactly by 2 factors and no regularisation
    P = np.zeros((20, 16), dtype=np.float32)
    P[:10, :8] = 1
    P[10:, 8:] = 1
    counts = sp.csr_matrix(P * 5)
    model = ImplicitALS(factors=2, regularization=0.0, reg_exponent=0.0, solver="cholesky", iterations=30,
                        random_state=0).fit(counts, show_progress=False)
    np.testing.assert_allclose(model.user_factors_ @ model.item_factors_.T, P, atol=1e-3)


def test_cholesky_training_loss_never_increases():
    counts = _random_counts(np.random.default_rng(0), 60, 50, 0.15)
    losses = []
    ImplicitALS(factors=5, solver="cholesky", iterations=8, reg_exponent=0.0, random_state=0,
                calculate_training_loss=True).fit(counts, show_progress=False,
                                                  callback=lambda it, el, loss: losses.append(loss))
    assert len(losses) == 8
    assert all(b <= a + 1e-6 for a, b in zip(losses, losses[1:]))


def test_cg_approaches_cholesky(rng):
    counts = _random_counts(rng, 80, 60, 0.15)
    exact = ImplicitALS(factors=8, solver="cholesky", iterations=15, random_state=0).fit(counts, show_progress=False)
    cg = ImplicitALS(factors=8, solver="cg", cg_steps=3, iterations=15, random_state=0).fit(counts, show_progress=False)
    a = exact.user_factors_ @ exact.item_factors_.T
    b = cg.user_factors_ @ cg.item_factors_.T
    assert np.abs(a - b).mean() < 0.05 * np.abs(a).mean() + 1e-3


def test_explain_matches_fold_in_score(rng):
    counts = _random_counts(rng, 50, 40, 0.2)
    model = ImplicitALS(factors=6, iterations=10, random_state=0).fit(counts, show_progress=False)
    row = counts[3]
    x = model.recalculate_user(3, row)
    for item in (0, 7, 21):
        score, contributions, weights = model.explain(3, row, item, N=100)
        assert score == pytest.approx(float(x @ model.item_factors_[item]), rel=1e-3, abs=1e-4)
        assert sum(c for _, c in contributions) == pytest.approx(score, rel=1e-4, abs=1e-5)
        assert {i for i, _ in contributions} == set(row.indices)
        values = [c for _, c in contributions]
        assert values == sorted(values, reverse=True)
        again, _, _ = model.explain(3, row, item, user_weights=weights)
        assert again == pytest.approx(score, rel=1e-5)
    _, top3, _ = model.explain(3, row, 0, N=3)
    assert len(top3) == 3
    # several items of one listener in one solve: what one call per item gives
    scores, tops, _ = model.explain(3, row, np.array([0, 7, 21]), N=4)
    assert scores.shape == (3,) and len(tops) == 3
    for item, score, top in zip((0, 7, 21), scores, tops):
        one, one_top, _ = model.explain(3, row, item, N=4)
        assert score == pytest.approx(one, rel=1e-9) and [i for i, _ in top] == [i for i, _ in one_top]


def test_skip_lowers_a_score(rng):
    counts = _random_counts(rng, 60, 30, 0.3)
    model = ImplicitALS(factors=6, iterations=10, random_state=0).fit(counts, show_progress=False)
    row = counts[5].toarray()
    item = int(np.flatnonzero(row[0] == 0)[0])
    skipped = row.copy()
    skipped[0, item] = -20.0
    before = model.recalculate_user(0, sp.csr_matrix(row)) @ model.item_factors_[item]
    after = model.recalculate_user(0, sp.csr_matrix(skipped)) @ model.item_factors_[item]
    assert after < before


def test_partial_fit_users_adds_a_new_user(rng):
    counts = _random_counts(rng, 40, 30, 0.2)
    model = ImplicitALS(factors=4, iterations=5, random_state=0).fit(counts, show_progress=False)
    model.partial_fit_users([42], counts[7])
    assert model.n_users_ == 43 and model.user_factors_.shape == (43, 4)
    np.testing.assert_allclose(model.user_factors_[42], model.recalculate_user(7, counts[7]), rtol=1e-5)
    assert not model.user_factors_[40:42].any()
    item_row = sp.hstack([counts.T.tocsr()[2], sp.csr_matrix((1, 3), dtype=np.float32)]).tocsr()
    model.partial_fit_items([30], item_row)  # the model now knows 43 users
    assert model.n_items_ == 31


def test_fit_does_not_modify_its_input(rng):
    counts = _random_counts(rng)
    counts.data[:5] = 0.0  # explicit zeros, removed inside fit
    before = counts.copy()
    ImplicitALS(factors=3, iterations=2, random_state=0).fit(counts, show_progress=False)
    assert (counts != before).nnz == 0 and counts.nnz == before.nnz


@pytest.mark.parametrize("params, match", [
    (dict(factors=0), "factors"), (dict(regularization=-1.0), "regularization"),
    (dict(solver="lu"), "solver"), (dict(confidence="sqrt"), "confidence"),
    (dict(cg_steps=0), "cg_steps"), (dict(iterations=-1), "iterations"),
])
def test_bad_parameters_fail_in_fit_not_in_the_constructor(params, match):
    model = ImplicitALS(**params)
    with pytest.raises(ValueError, match=match):
        model.fit(sp.csr_matrix(np.eye(3, dtype=np.float32)), show_progress=False)


def test_model_file_is_not_a_pickle(tmp_path, rng):
    counts = _random_counts(rng)
    model = ImplicitALS(factors=3, iterations=2, random_state=0).fit(counts, show_progress=False)
    model.user_ids_ = np.array([f"u{i}" for i in range(counts.shape[0])])
    model.save(tmp_path / "m.npz", trained_on="test")
    loaded = ImplicitALS.load(tmp_path / "m.npz")
    assert loaded.user_ids_[3] == "u3" and loaded.metadata_ == {"trained_on": "test"}
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable tastemaker model"):
        ImplicitALS.load(tmp_path / "bad.npz")
    with pytest.raises(FileNotFoundError):
        ImplicitALS.load(tmp_path / "missing.npz")


# --- confidence transforms -----------------------------------------------------------------
counts_st = st.lists(st.floats(0, 1e6, allow_nan=False, width=32), min_size=1, max_size=50)


@given(counts_st, st.floats(0.01, 50), st.floats(0.01, 100))
@settings(max_examples=100, deadline=None)
def test_log_confidence_formula_and_monotonicity(values, alpha, epsilon):
    r = np.array(sorted(values), dtype=np.float64)
    c = confidence(r, alpha, epsilon, "log")
    np.testing.assert_allclose(c, 1 + alpha * np.log1p(r / epsilon), rtol=1e-5)
    assert np.all(np.diff(c) >= -1e-4 * c[1:]) and np.all(c >= 1)


@given(counts_st, st.floats(0.01, 50))
@settings(max_examples=100, deadline=None)
def test_linear_confidence_and_sign_of_negative_evidence(values, alpha):
    r = np.array(values)
    np.testing.assert_allclose(confidence(r, alpha, kind="linear"), 1 + alpha * r, rtol=1e-5)
    np.testing.assert_allclose(confidence(-r - 1, alpha, kind="linear"), -(1 + alpha * (r + 1)), rtol=1e-5)


def test_confidence_rejects_bad_settings():
    with pytest.raises(ValueError):
        confidence([1.0], alpha=-1)
    with pytest.raises(ValueError):
        confidence([1.0], alpha=1, epsilon=0)
    with pytest.raises(ValueError):
        confidence([1.0], alpha=1, kind="exp")
