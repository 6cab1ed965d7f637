"""TF-IDF features and a linear classifier: the simple baseline, and the teacher fine-tuning can distil from.

Features: word 1-2-grams and character 2-5-grams (within word boundaries), sublinear TF-IDF. Pair tasks:
the features of each text and the mean cosine similarity of the two texts' feature blocks.
"""

from __future__ import annotations

import numpy as np

C_GRID = (0.1, 0.3, 1.0, 3.0)


def vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                 lowercase=True, max_features=300_000)),
    ])


def row_cosine(a, b) -> np.ndarray:
    """Cosine similarity of matching rows of two L2-normalised sparse matrices."""
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def pair_cosines(union, split) -> np.ndarray:
    """One column per vectorizer of a fitted `union`: the cosine of each pair's two texts."""
    return np.stack([row_cosine(vectorizer.transform(split.texts), vectorizer.transform(split.pairs))
                     for _, vectorizer in union.transformer_list], axis=1)


def features(union, split, fit: bool = False):
    """The sparse feature matrix of a split (`data.Split`); `fit` fits the vectorizers on it first."""
    from scipy.sparse import csr_matrix, hstack

    if split.pairs is None:
        return union.fit_transform(split.texts) if fit else union.transform(split.texts)
    if fit:
        union.fit(split.texts + split.pairs)
    a, b = union.transform(split.texts), union.transform(split.pairs)
    # Each block of the union is L2-normalised; the mean of their cosines is one similarity per pair.
    cosine = csr_matrix(row_cosine(a, b)[:, None] / 2.0)
    return hstack([a, b, cosine]).tocsr()


def vocabulary_bytes(union) -> int:
    return sum(len(term.encode()) + 1 for _, vectorizer in union.transformer_list for term in vectorizer.vocabulary_)


def linear_svm(x, labels, c: float, metric: str):
    """A linear SVM; classes are balanced for the metrics that reward the minority class."""
    from sklearn.svm import LinearSVC

    balanced = metric in ("mcc", "f1", "f1_weighted")
    return LinearSVC(C=c, class_weight="balanced" if balanced else None).fit(x, labels)


def choose_c(x_train, train_labels, x_val, val_labels, metric: str):
    """Fits one SVM per C of `C_GRID`; returns `(validation score, C, model)` of the best."""
    from keras_models.metrics import score

    best = None
    for c in C_GRID:
        model = linear_svm(x_train, train_labels, c, metric)
        value = score(metric, val_labels, model.predict(x_val))
        if best is None or value > best[0]:
            best = (value, c, model)
    return best


def class_scores(model, x, num_classes: int) -> np.ndarray:
    """The SVM's decision values, one column per class id (a binary SVM's score s becomes [0, s]).

    A class the SVM never saw gets a score far below every other, so that it gets no probability.
    """
    scores = model.decision_function(x)
    if scores.ndim == 1:
        scores = np.stack([np.zeros_like(scores), scores], axis=1)
    full = np.full((x.shape[0], num_classes), -1e3, np.float64)
    full[:, model.classes_] = scores
    return full
