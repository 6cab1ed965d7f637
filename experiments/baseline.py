"""The strong simple baseline every transformer row stands beside: TF-IDF features and a linear model.

    python -m experiments.baseline snips emotion     # or --all; writes results/baselines.json

Features: `keras_models.tfidf` (word 1-2-grams and character 2-5-grams, sublinear TF-IDF; pairs: both texts
and their cosine similarity). Classifier: a linear SVM whose C is chosen on the carved validation split;
then it is scored once on the carved test split, which nothing tunes on.
STS-B: the cosine of the two texts' character TF-IDF vectors, no training at all (a strong reference for a
regression task). The size is what a device would have to store: one float32 weight per feature and class,
plus the vocabulary's strings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from keras_models.metrics import score
from keras_models.paths import REPO_ROOT
from keras_models.tfidf import choose_c, features, row_cosine, vectorizers, vocabulary_bytes

RESULTS_PATH = REPO_ROOT / "results" / "baselines.json"


def _similarity_baseline(task) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer

    train = task.splits["train"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(train.texts + train.pairs)
    scores = {}
    for name in ("validation", "test"):
        split = task.splits[name]
        similarity = row_cosine(vectorizer.transform(split.texts), vectorizer.transform(split.pairs))
        scores[name] = score("spearman", split.labels, similarity)
    return {"model": "char 2-5-gram TF-IDF cosine, no training", "parameters": 0,
            "bytes": sum(len(t.encode()) + 1 for t in vectorizer.vocabulary_) + 4 * len(vectorizer.idf_), **scores}


def _classifier_baseline(task) -> dict:
    union = vectorizers()
    train = task.splits["train"]
    x_train = features(union, train, fit=True)
    x_val, x_test = (features(union, task.splits[s]) for s in ("validation", "test"))
    metric = task.spec.metric
    value, c, model = choose_c(x_train, train.labels, x_val, task.splits["validation"].labels, metric)
    test = task.splits["test"]
    predicted = model.predict(x_test)
    parameters = int(model.coef_.size + model.intercept_.size)
    result = {"model": f"TF-IDF word 1-2 + char 2-5 grams, linear SVM (C={c} chosen on validation)",
              "parameters": parameters, "bytes": 4 * parameters + vocabulary_bytes(union),
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
