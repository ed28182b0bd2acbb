"""Training the router: TF-IDF over issues.router.tokens.analyze, then a multinomial logistic regression.

Why logistic regression (scikit-learn's LogisticRegression, lbfgs, multinomial): on short complaint texts with
sparse TF-IDF features a linear model is as accurate as anything that fits on a CPU in a minute, its softmax gives
probabilities that sum to 1 (the API's scores, comparable across texts) without a calibration step, and a
prediction is one sparse dot product (well under a millisecond). SGDClassifier(loss="log_loss") trains faster but
needs its learning rate and epochs tuned, and its probabilities are rougher; naive Bayes is faster still but its
probabilities are badly overconfident. The features are capped (MAX_FEATURES) so a stored model stays a few MB per
hundred labels, and a term must occur in MIN_DF texts: a rare term (a name, an address) never enters the model
(scikit-learn 1.9's vectorizer no longer keeps the terms it left out, as older versions' `stop_words_` did).

Imports scikit-learn: import this module only to train (issues.router.store), never on a request's path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

from issues.router.tokens import analyze

MIN_EXAMPLES = 50  # fewer dispatched tickets than this: the keyword list answers (issues.router.keywords)
MIN_PER_LABEL = 5  # a label seen fewer times is left out: it can be neither held out nor learnt
HELD_OUT = 0.2  # the stratified share kept apart to measure top-1 / top-3, before the refit on everything
MIN_DF = 3
MAX_FEATURES = 50_000
C = 10.0  # weak regularisation: TF-IDF rows are unit length, and short texts need their few terms to count
MAX_ITER = 300


class NotEnoughData(Exception):
    """Too few examples (or labels) to train; the caller keeps the current model or the keyword list."""


@dataclass(frozen=True)
class Trained:
    pipeline: Pipeline
    labels: list[Any]  # the pipeline's classes, as plain str / int (stored as JSON)
    n_examples: int
    top1: float
    top3: float


def make_pipeline(seed: int) -> Pipeline:
    vectorizer = TfidfVectorizer(
        analyzer=analyze, min_df=MIN_DF, max_features=MAX_FEATURES, sublinear_tf=True, dtype=np.float32
    )
    classifier = LogisticRegression(C=C, max_iter=MAX_ITER, random_state=seed)
    return Pipeline([("tfidf", vectorizer), ("classify", classifier)])


def usable(texts: Sequence[str], labels: Sequence[Hashable], max_labels: int | None = None) -> tuple[list, list]:
    """The examples worth learning from: a non-empty text and a label seen MIN_PER_LABEL times, among the
    `max_labels` most frequent labels when given (a city's rare lead units are left to the dispatcher)."""
    pairs = [(text.strip(), label) for text, label in zip(texts, labels, strict=True) if text and text.strip()]
    counts = Counter(label for _, label in pairs)
    kept = {label for label, n in counts.most_common(max_labels) if n >= MIN_PER_LABEL}
    pairs = [(text, label) for text, label in pairs if label in kept]
    return [text for text, _ in pairs], [label for _, label in pairs]


def top_k_accuracy(pipeline: Pipeline, texts: Sequence[str], labels: Sequence[Hashable]) -> tuple[float, float]:
    """(top-1, top-3): the share of texts whose label is the best guess, or among the three best."""
    proba = pipeline.predict_proba(texts)
    order = np.argsort(-proba, axis=1)[:, :3]
    classes = pipeline.classes_
    hits1 = sum(classes[row[0]] == label for row, label in zip(order, labels, strict=True))
    hits3 = sum(label in classes[row] for row, label in zip(order, labels, strict=True))
    return hits1 / len(labels), hits3 / len(labels)


def train(
    texts: Sequence[str],
    labels: Sequence[Hashable],
    *,
    seed: int = 0,
    min_examples: int = MIN_EXAMPLES,
    max_labels: int | None = None,
) -> Trained:
    """Fit on a stratified 80 %, measure top-1 / top-3 on the other 20 %, then refit on everything (the stored model).

    Raises NotEnoughData with fewer than `min_examples` usable examples or fewer than 2 labels."""
    texts, labels = usable(texts, labels, max_labels)
    n_labels = len(set(labels))
    if len(texts) < max(min_examples, 2) or n_labels < 2:
        raise NotEnoughData(f"{len(texts)} usable examples of {n_labels} labels (need {min_examples} and 2)")
    try:
        x_train, x_test, y_train, y_test = train_test_split(
            texts, labels, test_size=HELD_OUT, stratify=labels, random_state=seed
        )
    except ValueError as exc:  # a held-out part smaller than the number of labels
        raise NotEnoughData(str(exc)) from exc
    top1, top3 = top_k_accuracy(make_pipeline(seed).fit(x_train, y_train), x_test, y_test)
    pipeline = make_pipeline(seed).fit(texts, labels)
    classes = [label.item() if isinstance(label, np.generic) else label for label in pipeline.classes_]
    return Trained(pipeline=pipeline, labels=classes, n_examples=len(texts), top1=top1, top3=top3)
