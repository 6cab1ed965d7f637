"""The strong simple baseline every transformer row stands beside: TF-IDF features and a linear model.

    python -m experiments.baseline snips emotion     # or --all; writes results/baselines.json

Features: word 1-2-grams and character 2-5-grams (within word boundaries), sublinear TF-IDF. Classifier: a
linear SVM whose C is chosen on the carved validation split; then it is scored once on the carved test
split, which nothing tunes on. Pair tasks: the features of each text and of their cosine similarity.
STS-B: the cosine of the two texts' character TF-IDF vectors, no training at all (a strong reference for a
regression task). The size is what a device would have to store: one float32 weight per feature and class,
plus the vocabulary's strings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from keras_models.metrics import score
from keras_models.paths import REPO_ROOT

RESULTS_PATH = REPO_ROOT / "results" / "baselines.json"
C_GRID = (0.1, 0.3, 1.0, 3.0)


def _vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, lowercase=True)),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                 lowercase=True, max_features=300_000)),
    ])


def _row_cosine(a, b) -> np.ndarray:
    """Cosine similarity of matching rows of two L2-normalised sparse matrices."""
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def _features(features, split, fit: bool = False):
    from scipy.sparse import csr_matrix, hstack

    if split.pairs is None:
        return features.fit_transform(split.texts) if fit else features.transform(split.texts)
    if fit:
        features.fit(split.texts + split.pairs)
    a, b = features.transform(split.texts), features.transform(split.pairs)
    # Each block of the union is L2-normalised; the mean of their cosines is one similarity per pair.
    cosine = csr_matrix(_row_cosine(a, b)[:, None] / 2.0)
    return hstack([a, b, cosine]).tocsr()


def _vocabulary_bytes(features) -> int:
    return sum(len(term.encode()) + 1 for _, vectorizer in features.transformer_list for term in vectorizer.vocabulary_)


def _similarity_baseline(task) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    train = task.splits["train"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(train.texts + train.pairs)
    scores = {}
    for name in ("validation", "test"):
        split = task.splits[name]
        similarity = _row_cosine(vectorizer.transform(split.texts), vectorizer.transform(split.pairs))
        scores[name] = score("spearman", split.labels, similarity)
    return {"model": "char 2-5-gram TF-IDF cosine, no training", "parameters": 0,
            "bytes": sum(len(t.encode()) + 1 for t in vectorizer.vocabulary_) + 4 * len(vectorizer.idf_), **scores}


def _classifier_baseline(task) -> dict:
    from sklearn.svm import LinearSVC

    features = _vectorizers()
    train = task.splits["train"]
    x_train = _features(features, train, fit=True)
    x_val, x_test = (_features(features, task.splits[s]) for s in ("validation", "test"))
    metric = task.spec.metric
    best = None
    for c in C_GRID:
        model = LinearSVC(C=c, class_weight="balanced" if metric in ("mcc", "f1", "f1_weighted") else None).fit(x_train, train.labels)
        value = score(metric, task.splits["validation"].labels, model.predict(x_val))
        if best is None or value > best[0]:
            best = (value, c, model)
    value, c, model = best
    test = task.splits["test"]
    predicted = model.predict(x_test)
    parameters = int(model.coef_.size + model.intercept_.size)
    result = {"model": f"TF-IDF word 1-2 + char 2-5 grams, linear SVM (C={c} chosen on validation)",
              "parameters": parameters, "bytes": 4 * parameters + _vocabulary_bytes(features),
              "validation": value, "test": score(metric, test.labels, predicted)}
    if metric != "accuracy":
        result["test_accuracy"] = score("accuracy", test.labels, predicted)
    if metric == "f1_weighted":
        result["test_binary_f1"] = score("f1", test.labels, predicted)
    return result


def baseline(task_name: str) -> dict:
    from keras_models.data import load_task

    task = load_task(task_name)
    started = time.time()
    result = _similarity_baseline(task) if task.spec.regression else _classifier_baseline(task)
    return {"task": task.spec.name, "metric": task.spec.metric, **result, "seconds": round(time.time() - started, 1)}


def read_baselines() -> dict[str, dict]:
    return json.loads(RESULTS_PATH.read_text()) if RESULTS_PATH.is_file() else {}


def main(argv=None) -> int:
    from experiments.recipes import RECIPES

    parser = argparse.ArgumentParser(description="TF-IDF + linear baselines on the carved splits.")
    parser.add_argument("tasks", nargs="*", help=f"tasks ({', '.join(RECIPES)})")
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)
    tasks = list(RECIPES) if args.all else args.tasks
    if not tasks:
        parser.error("name a task or pass --all")
    for name in tasks:
        try:
            result = baseline(name)
        except (FileNotFoundError, ValueError) as error:
            print(f"error: {name}: {error}", file=sys.stderr)
            return 2
        results = read_baselines()  # re-read: runs side by side keep each other's rows
        results[name] = result
        RESULTS_PATH.parent.mkdir(exist_ok=True)
        RESULTS_PATH.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
        print(f"{name}: {result['metric']} validation {100 * result['validation']:.1f}, "
              f"test {100 * result['test']:.1f} ({result['model']}; {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
