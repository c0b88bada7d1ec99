"""BaRT: bandits that choose home-screen shelves and cards, and how to evaluate them offline.

>>> from tastemaker.bandit import HetRecSimulator, BaRT, BaRTAgent, StaticAgent, greedy_cf_policy
>>> sim = HetRecSimulator(store)                                # doctest: +SKIP
>>> bart = BaRTAgent(BaRT(sim.space, epsilon=0.1, random_state=0))        # doctest: +SKIP
>>> result = sim.run([bart, StaticAgent(greedy_cf_policy())], rounds=30)  # doctest: +SKIP

Pieces: :class:`HomeCatalog` makes (item, explanation) candidates grouped in shelves;
:class:`FeatureSpace` turns cards in :class:`Context` into sparse rows; :class:`FactorizationMachine`
(and :class:`LogisticRegression`) model stream probabilities; :func:`walk` builds epsilon-greedy
pages with exact propensities; :func:`off_policy_estimates` gives IPS, SNIPS, DM and DR values
with confidence intervals; :class:`HetRecSimulator` runs online experiments.
"""

from tastemaker.bandit._bart import BaRT, LoggedPage, card_propensities, load_bart, save_bart, training_rows
from tastemaker.bandit._candidates import SHELF_TYPES, CandidateSet, HomeCatalog, Shelf
from tastemaker.bandit._experiment import compare_policies, off_policy_check, plot_run
from tastemaker.bandit._features import DEVICES, Context, FeatureSpace
from tastemaker.bandit._fm import FactorizationMachine, LogisticRegression
from tastemaker.bandit._logs import (
    load_logs,
    page_record,
    pages_from_records,
    read_jsonl,
    read_records,
    record_stream,
    write_jsonl,
    write_records,
)
from tastemaker.bandit._ope import ESTIMATORS, Estimate, estimates_from_terms, off_policy_estimates
from tastemaker.bandit._policy import (
    Layout,
    PageInput,
    Policy,
    Trajectory,
    greedy_cf_policy,
    model_policy,
    popularity_policy,
    random_policy,
    walk,
)
from tastemaker.bandit._simulator import Agent, BaRTAgent, HetRecSimulator, RunResult, StaticAgent

__all__ = [
    "SHELF_TYPES", "Shelf", "CandidateSet", "HomeCatalog",
    "DEVICES", "Context", "FeatureSpace",
    "FactorizationMachine", "LogisticRegression",
    "Layout", "PageInput", "Policy", "Trajectory", "walk",
    "random_policy", "popularity_policy", "greedy_cf_policy", "model_policy",
    "BaRT", "LoggedPage", "training_rows", "card_propensities", "save_bart", "load_bart",
    "page_record", "write_records", "read_records", "record_stream", "write_jsonl", "read_jsonl",
    "pages_from_records", "load_logs", "off_policy_check", "compare_policies", "plot_run",
    "ESTIMATORS", "Estimate", "off_policy_estimates", "estimates_from_terms",
    "HetRecSimulator", "Agent", "StaticAgent", "BaRTAgent", "RunResult",
]  # fmt: skip
