import json
import math
import subprocess
import sys

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, log_loss, precision_score, recall_score
from sklearn.utils._param_validation import InvalidParameterError

from skmnist.metrics import (
    accuracy_at_coverage,
    area_under_risk_coverage,
    brier_score,
    calibration_bins,
    classification_summary,
    expected_calibration_error,
    negative_log_likelihood,
    risk_coverage_curve,
)

PROB_METRICS = [
    negative_log_likelihood,
    brier_score,
    expected_calibration_error,
    calibration_bins,
    risk_coverage_curve,
    area_under_risk_coverage,
]


# ---------------------------------------------------------------- helpers / independent references


def _random_problem(n=200, n_classes=10, seed=0, sharpness=1.0):
    """Random labels and Dirichlet probabilities (continuous: no ties in confidence)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    prob = rng.dirichlet(np.full(n_classes, sharpness), size=n)
    # make the classifier somewhat informative
    prob[np.arange(n), y] += rng.uniform(0, 1.5, size=n)
    prob /= prob.sum(axis=1, keepdims=True)
    return y, prob


def _brute_brier(y, prob):
    total = 0.0
    for i in range(len(y)):
        for k in range(prob.shape[1]):
            target = 1.0 if y[i] == k else 0.0
            total += (prob[i, k] - target) ** 2
    return total / len(y)


def _brute_ece(y, prob, n_bins):
    n = len(y)
    ece = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        members = []
        for i in range(n):
            conf = max(prob[i])
            in_bin = (lo < conf <= hi) or (b == 0 and conf == 0.0)
            if in_bin:
                members.append(i)
        if members:
            acc = sum(int(np.argmax(prob[i]) == y[i]) for i in members) / len(members)
            conf = sum(max(prob[i]) for i in members) / len(members)
            ece += len(members) / n * abs(acc - conf)
    return ece


def _brute_risks(y, prob):
    """Risk at k = 1..n by sorting (valid when there are no ties in confidence)."""
    conf = [max(p) for p in prob]
    order = sorted(range(len(y)), key=lambda i: -conf[i])
    risks = []
    for k in range(1, len(y) + 1):
        errors = sum(int(np.argmax(prob[i]) != y[i]) for i in order[:k])
        risks.append(errors / k)
    return risks


# A tiny problem whose values are worked out by hand in the tests below.
# true  p(class 0, 1, 2)   confidence  argmax  correct
#  0    (0.80, 0.10, 0.10)    0.80       0      yes
#  1    (0.30, 0.60, 0.10)    0.60       1      yes
#  2    (0.45, 0.20, 0.35)    0.45       0      no
#  2    (0.10, 0.20, 0.70)    0.70       2      yes
Y_TINY = np.array([0, 1, 2, 2])
P_TINY = np.array(
    [
        [0.80, 0.10, 0.10],
        [0.30, 0.60, 0.10],
        [0.45, 0.20, 0.35],
        [0.10, 0.20, 0.70],
    ]
)


# ---------------------------------------------------------------- hand-computed example


def test_tiny_example_nll():
    # -(ln 0.8 + ln 0.6 + ln 0.35 + ln 0.7) / 4
    expected = -(math.log(0.8) + math.log(0.6) + math.log(0.35) + math.log(0.7)) / 4
    assert negative_log_likelihood(Y_TINY, P_TINY) == pytest.approx(expected, rel=1e-12)


def test_tiny_example_brier():
    # row 0: (0.8-1)^2 + 0.1^2 + 0.1^2          = 0.04 + 0.01 + 0.01   = 0.06
    # row 1: 0.3^2 + (0.6-1)^2 + 0.1^2          = 0.09 + 0.16 + 0.01   = 0.26
    # row 2: 0.45^2 + 0.2^2 + (0.35-1)^2        = 0.2025 + 0.04 + 0.4225 = 0.665
    # row 3: 0.1^2 + 0.2^2 + (0.7-1)^2          = 0.01 + 0.04 + 0.09   = 0.14
    # mean: (0.06 + 0.26 + 0.665 + 0.14) / 4 = 1.125 / 4 = 0.28125
    assert brier_score(Y_TINY, P_TINY) == pytest.approx(0.28125, abs=1e-12)


def test_tiny_example_ece_and_bins():
    # n_bins=4: [0, .25], (.25, .5], (.5, .75], (.75, 1]
    # bin 1: {0.45 wrong}          acc 0, conf 0.45  -> gap 0.45, weight 1/4
    # bin 2: {0.60 ok, 0.70 ok}    acc 1, conf 0.65  -> gap 0.35, weight 2/4
    # bin 3: {0.80 ok}             acc 1, conf 0.80  -> gap 0.20, weight 1/4
    # ECE = 0.45/4 + 0.35/2 + 0.20/4 = 0.1125 + 0.175 + 0.05 = 0.3375
    assert expected_calibration_error(Y_TINY, P_TINY, n_bins=4) == pytest.approx(0.3375)
    bins = calibration_bins(Y_TINY, P_TINY, n_bins=4)
    assert bins.count.tolist() == [0, 1, 2, 1]
    np.testing.assert_allclose(bins.accuracy, [np.nan, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(bins.confidence, [np.nan, 0.45, 0.65, 0.80])
    np.testing.assert_allclose(bins.bin_edges, [0, 0.25, 0.5, 0.75, 1])


def test_tiny_example_risk_coverage():
    # confidence descending: 0.80 ok, 0.70 ok, 0.60 ok, 0.45 wrong
    # risk at k=1..4: 0/1, 0/2, 0/3, 1/4;  AURC = (0 + 0 + 0 + 0.25) / 4 = 0.0625
    coverage, risk, thresholds = risk_coverage_curve(Y_TINY, P_TINY)
    np.testing.assert_allclose(coverage, [0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(risk, [0, 0, 0, 0.25])
    np.testing.assert_allclose(thresholds, [0.8, 0.7, 0.6, 0.45])
    assert area_under_risk_coverage(Y_TINY, P_TINY) == pytest.approx(0.0625)
    # coverage 0.5 -> ceil(2) = 2 samples: both right; 0.75 -> 3: all right;
    # 0.8 -> ceil(3.2) = 4: 3 of 4 right; 1.0 -> 4: 0.75
    assert accuracy_at_coverage(Y_TINY, P_TINY, [0.5, 0.75, 0.8, 1.0]).tolist() == [
        1.0,
        1.0,
        0.75,
        0.75,
    ]


def test_tiny_example_summary():
    summary = classification_summary(Y_TINY, y_prob=P_TINY, n_bins=4, coverages=(0.5, 1.0))
    # predictions 0, 1, 0, 2 -> accuracy 3/4
    # class 0: precision 1/2, recall 1; class 1: 1, 1; class 2: 1, 1/2
    assert summary["accuracy"] == pytest.approx(0.75)
    assert summary["precision_macro"] == pytest.approx((0.5 + 1 + 1) / 3)
    assert summary["recall_macro"] == pytest.approx((1 + 1 + 0.5) / 3)
    assert summary["f1_macro"] == pytest.approx((2 / 3 + 1 + 2 / 3) / 3)
    assert summary["brier"] == pytest.approx(0.28125)
    assert summary["ece"] == pytest.approx(0.3375)
    assert summary["aurc"] == pytest.approx(0.0625)
    assert summary["accuracy_at_50"] == 1.0
    assert summary["accuracy_at_100"] == 0.75


# ---------------------------------------------------------------- independent references


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nll_equals_sklearn_log_loss(seed):
    y, prob = _random_problem(seed=seed)
    assert negative_log_likelihood(y, prob) == pytest.approx(log_loss(y, prob), rel=1e-12)
    labels = np.arange(10)
    assert negative_log_likelihood(y, prob, labels=labels) == pytest.approx(
        log_loss(y, prob, labels=labels), rel=1e-12
    )


def test_nll_equals_log_loss_when_classes_missing_from_y_true():
    y, prob = _random_problem(seed=3)
    keep = y != 7  # default labels fall back to arange(10)
    assert negative_log_likelihood(y[keep], prob[keep]) == pytest.approx(
        log_loss(y[keep], prob[keep], labels=np.arange(10)), rel=1e-12
    )


def test_nll_clipping_matches_log_loss_for_zero_probability():
    y = [0, 1]
    prob = [[0.0, 1.0], [0.5, 0.5]]
    expected = (-math.log(np.finfo(np.float64).eps) + math.log(2)) / 2
    assert negative_log_likelihood(y, prob) == pytest.approx(expected)
    assert negative_log_likelihood(y, prob) == pytest.approx(log_loss(y, prob))
    assert math.isfinite(negative_log_likelihood(y, prob))


def test_nll_float32_clips_at_float32_eps():
    prob = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    eps32 = float(np.finfo(np.float32).eps)
    assert negative_log_likelihood([0, 1], prob) == pytest.approx(-math.log(eps32), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_brier_against_loops(seed):
    y, prob = _random_problem(n=60, n_classes=4, seed=seed)
    assert brier_score(y, prob) == pytest.approx(_brute_brier(y, prob), rel=1e-12)


@pytest.mark.parametrize("n_bins", [1, 5, 15, 40])
def test_ece_against_loops(n_bins):
    y, prob = _random_problem(n=150, seed=4)
    assert expected_calibration_error(y, prob, n_bins=n_bins) == pytest.approx(
        _brute_ece(y, prob, n_bins), abs=1e-12
    )


def test_calibration_bins_consistent_with_ece():
    y, prob = _random_problem(n=300, seed=5)
    bins = calibration_bins(y, prob, n_bins=10)
    assert bins.count.sum() == 300
    assert bins.count.dtype.kind == "i"
    assert bins.confidence.shape == bins.accuracy.shape == (10,)
    assert bins.bin_edges.shape == (11,)
    full = bins.count > 0
    # each bin's mean confidence lies in the bin
    assert np.all(bins.confidence[full] > bins.bin_edges[:-1][full] - 1e-12)
    assert np.all(bins.confidence[full] <= bins.bin_edges[1:][full] + 1e-12)
    assert np.all(np.isnan(bins.confidence[~full])) and np.all(np.isnan(bins.accuracy[~full]))
    ece = np.sum(bins.count[full] / 300 * np.abs(bins.accuracy[full] - bins.confidence[full]))
    assert expected_calibration_error(y, prob, n_bins=10) == pytest.approx(ece)


def test_calibration_bins_are_closed_on_the_right():
    # confidences 0.5 and 0.75 sit exactly on edges of 4 bins; 1.0 goes to the last bin
    y = [0, 0, 0]
    prob = [[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]]
    assert calibration_bins(y, prob, n_bins=4).count.tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_risk_coverage_and_aurc_against_loops(seed):
    y, prob = _random_problem(n=80, seed=seed)
    coverage, risk, thresholds = risk_coverage_curve(y, prob)
    expected = _brute_risks(y, prob)
    np.testing.assert_allclose(risk, expected, atol=1e-12)
    np.testing.assert_allclose(coverage, np.arange(1, 81) / 80)
    np.testing.assert_allclose(thresholds, np.sort(prob.max(axis=1))[::-1])
    assert area_under_risk_coverage(y, prob) == pytest.approx(np.mean(expected), abs=1e-12)
    # accuracy_at_coverage is 1 - risk at k = ceil(coverage * n)
    for k in (1, 17, 40, 80):
        assert accuracy_at_coverage(y, prob, k / 80) == pytest.approx(1 - expected[k - 1])


# ---------------------------------------------------------------- ties


def test_ties_spread_errors_evenly():
    # confidences 0.9 (ok), then a tie at 0.6: one ok, two wrong (in this order)
    y = [0, 0, 1, 1]
    prob = [[0.9, 0.1], [0.6, 0.4], [0.6, 0.4], [0.6, 0.4]]
    # k=1: 0 errors; tie group of 3 with 2 errors spread evenly: 2/3 error per position
    # k=2: (2/3)/2 = 1/3;  k=3: (4/3)/3 = 4/9;  k=4: 2/4 = 1/2
    _, risk, thresholds = risk_coverage_curve(y, prob)
    np.testing.assert_allclose(risk, [0, 1 / 3, 4 / 9, 1 / 2])
    np.testing.assert_allclose(thresholds, [0.9, 0.6, 0.6, 0.6])
    assert area_under_risk_coverage(y, prob) == pytest.approx((0 + 1 / 3 + 4 / 9 + 1 / 2) / 4)
    assert accuracy_at_coverage(y, prob, 0.5) == pytest.approx(1 - 1 / 3)


def test_all_tied_aurc_is_error_rate():
    # every confidence 0.5, argmax picks column 0: right exactly where y == 0
    y = [0, 1, 0, 1, 1]
    prob = np.full((5, 2), 0.5)
    _, risk, _ = risk_coverage_curve(y, prob)
    np.testing.assert_allclose(risk, 0.6)
    assert area_under_risk_coverage(y, prob) == pytest.approx(0.6)


def test_ties_do_not_depend_on_sample_order():
    rng = np.random.default_rng(6)
    y, prob = _random_problem(n=120, n_classes=3, seed=6)
    prob = np.round(prob, 1)  # many tied confidences
    prob[:, -1] = 1 - prob[:, :-1].sum(axis=1)
    prob = np.clip(prob, 0, 1)
    prob /= prob.sum(axis=1, keepdims=True)
    _, risk, thr = risk_coverage_curve(y, prob)
    for _ in range(3):
        perm = rng.permutation(120)
        _, risk_p, thr_p = risk_coverage_curve(y[perm], prob[perm])
        np.testing.assert_allclose(risk_p, risk, atol=1e-12)
        np.testing.assert_array_equal(thr_p, thr)
        assert area_under_risk_coverage(y[perm], prob[perm]) == pytest.approx(
            area_under_risk_coverage(y, prob)
        )


# ---------------------------------------------------------------- perfect and wrong classifiers


def test_perfect_confident_predictions():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 3])
    prob = np.eye(10)[y]
    assert negative_log_likelihood(y, prob) == pytest.approx(0, abs=1e-12)
    assert brier_score(y, prob) == 0.0
    assert expected_calibration_error(y, prob) == 0.0
    assert area_under_risk_coverage(y, prob) == 0.0
    np.testing.assert_array_equal(risk_coverage_curve(y, prob)[1], 0.0)
    assert accuracy_at_coverage(y, prob, 0.5) == 1.0
    summary = classification_summary(y, y_prob=prob)
    assert summary["accuracy"] == summary["f1_macro"] == 1.0
    assert summary["accuracy_at_90"] == summary["accuracy_at_99"] == 1.0


def test_confidently_wrong_classifier():
    y = np.array([0, 1, 2, 2, 1, 0])
    prob = np.eye(3)[(y + 1) % 3]  # all mass on a wrong class
    assert accuracy_at_coverage(y, prob, 1.0) == 0.0
    assert expected_calibration_error(y, prob) == pytest.approx(1.0)
    assert brier_score(y, prob) == pytest.approx(2.0)
    assert area_under_risk_coverage(y, prob) == pytest.approx(1.0)
    assert negative_log_likelihood(y, prob) == pytest.approx(-math.log(np.finfo(float).eps))
    assert negative_log_likelihood(y, prob) == pytest.approx(log_loss(y, prob))
    summary = classification_summary(y, y_prob=prob)
    assert summary["accuracy"] == summary["precision_macro"] == summary["f1_macro"] == 0.0


def test_uniform_probabilities():
    y = np.arange(10).repeat(3)
    prob = np.full((30, 10), 0.1)
    assert negative_log_likelihood(y, prob) == pytest.approx(math.log(10))
    # (0.1 - 1)^2 + 9 * 0.1^2 = 0.81 + 0.09 = 0.9
    assert brier_score(y, prob) == pytest.approx(0.9)
    # argmax is always class 0: accuracy 3/30 = 0.1 = confidence -> calibrated
    assert expected_calibration_error(y, prob) == pytest.approx(0.0, abs=1e-12)
    assert area_under_risk_coverage(y, prob) == pytest.approx(0.9)


# ---------------------------------------------------------------- accuracy_at_coverage


def test_accuracy_at_coverage_monotone_when_confident_samples_are_right():
    # 10 samples: the 7 most confident are right, the 3 least confident are wrong
    conf = np.linspace(0.95, 0.55, 10)
    y = np.zeros(10, dtype=int)
    y[7:] = 1
    prob = np.column_stack([conf, 1 - conf])
    coverages = np.arange(1, 11) / 10
    acc = accuracy_at_coverage(y, prob, coverages)
    assert isinstance(acc, np.ndarray) and acc.shape == (10,)
    np.testing.assert_allclose(acc, [1, 1, 1, 1, 1, 1, 1, 7 / 8, 7 / 9, 7 / 10])
    assert np.all(np.diff(acc) <= 0)
    assert accuracy_at_coverage(y, prob, 1.0) == accuracy_score(y, prob.argmax(axis=1))


def test_accuracy_at_coverage_one_equals_accuracy():
    y, prob = _random_problem(n=97, seed=8)
    acc = accuracy_at_coverage(y, prob, 1)
    assert isinstance(acc, float)
    assert acc == accuracy_score(y, prob.argmax(axis=1))


def test_accuracy_at_coverage_rounding_and_minimum_one_sample():
    # 0.07 * 100 = 7.000000000000001 must keep 7 samples, not 8
    conf = np.linspace(0.99, 0.6, 100)
    y = np.zeros(100, dtype=int)
    y[7] = 1  # the 8th most confident is wrong
    prob = np.column_stack([conf, 1 - conf])
    assert accuracy_at_coverage(y, prob, 0.07) == 1.0
    assert accuracy_at_coverage(y, prob, 0.08) == 7 / 8
    assert accuracy_at_coverage(y, prob, 1e-9) == 1.0  # at least one sample


# ---------------------------------------------------------------- labels


def test_string_labels_in_given_column_order():
    y = np.array(["cat", "dog", "eel", "dog", "cat"])
    sorted_labels = ["cat", "dog", "eel"]
    prob_sorted = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]]
    )
    # columns in another order: dog, eel, cat
    labels = ["dog", "eel", "cat"]
    prob = prob_sorted[:, [1, 2, 0]]
    for fn in (negative_log_likelihood, brier_score, area_under_risk_coverage):
        assert fn(y, prob, labels=labels) == pytest.approx(fn(y, prob_sorted))
        assert fn(y, prob_sorted, labels=sorted_labels) == pytest.approx(fn(y, prob_sorted))
    assert negative_log_likelihood(y, prob, labels=labels) == pytest.approx(
        log_loss(y, prob_sorted)
    )
    assert expected_calibration_error(y, prob, labels=labels) == pytest.approx(
        expected_calibration_error(y, prob_sorted)
    )
    summary = classification_summary(y, y_prob=prob, labels=labels)
    y_pred = np.array(sorted_labels)[prob_sorted.argmax(axis=1)]
    assert summary["accuracy"] == pytest.approx(accuracy_score(y, y_pred))
    assert summary["f1_macro"] == pytest.approx(
        f1_score(y, y_pred, average="macro", zero_division=0)
    )


def test_default_labels_sorted_unique_when_count_matches():
    y = np.array([3, 5, 7, 5])
    prob = np.eye(3)[[0, 1, 2, 1]]  # columns are 3, 5, 7
    assert negative_log_likelihood(y, prob) == pytest.approx(0, abs=1e-12)
    summary = classification_summary(y, y_prob=prob)
    assert summary["accuracy"] == 1.0


def test_default_labels_arange_when_classes_missing():
    y = np.array([0, 2, 2])
    prob = np.eye(4)[y]
    assert brier_score(y, prob) == 0.0
    summary = classification_summary(y, y_prob=prob)
    assert summary["accuracy"] == 1.0


# ---------------------------------------------------------------- summary


def test_summary_keys_values_and_json():
    y, prob = _random_problem(n=120, seed=9)
    summary = classification_summary(y, y_prob=prob)
    assert list(summary) == [
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "nll",
        "brier",
        "ece",
        "aurc",
        "accuracy_at_90",
        "accuracy_at_95",
        "accuracy_at_99",
    ]
    assert all(type(v) is float for v in summary.values())
    assert json.loads(json.dumps(summary)) == summary
    y_pred = prob.argmax(axis=1)
    assert summary["accuracy"] == pytest.approx(accuracy_score(y, y_pred))
    assert summary["precision_macro"] == pytest.approx(
        precision_score(y, y_pred, average="macro", zero_division=0)
    )
    assert summary["recall_macro"] == pytest.approx(
        recall_score(y, y_pred, average="macro", zero_division=0)
    )
    assert summary["nll"] == pytest.approx(negative_log_likelihood(y, prob))
    assert summary["brier"] == pytest.approx(brier_score(y, prob))
    assert summary["ece"] == pytest.approx(expected_calibration_error(y, prob))
    assert summary["aurc"] == pytest.approx(area_under_risk_coverage(y, prob))
    np.testing.assert_allclose(
        [summary["accuracy_at_90"], summary["accuracy_at_95"], summary["accuracy_at_99"]],
        accuracy_at_coverage(y, prob, [0.9, 0.95, 0.99]),
    )


def test_summary_coverage_names_and_n_bins():
    y, prob = _random_problem(n=50, seed=10)
    summary = classification_summary(y, y_prob=prob, coverages=[0.5, 0.995, 1], n_bins=5)
    assert {"accuracy_at_50", "accuracy_at_99.5", "accuracy_at_100"} <= set(summary)
    assert summary["ece"] == pytest.approx(expected_calibration_error(y, prob, n_bins=5))
    assert not any(k.startswith("accuracy_at") for k in classification_summary(
        y, y_prob=prob, coverages=()
    ))


def test_summary_with_y_pred_only():
    y = ["a", "b", "b", "c"]
    y_pred = ["a", "b", "c", "c"]
    summary = classification_summary(y, y_pred)
    assert set(summary) == {"accuracy", "precision_macro", "recall_macro", "f1_macro"}
    assert summary["accuracy"] == 0.75
    assert all(type(v) is float for v in summary.values())


def test_summary_y_pred_overrides_argmax():
    y = [0, 1, 1]
    prob = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]]
    summary = classification_summary(y, y_pred=[0, 1, 1], y_prob=prob)
    assert summary["accuracy"] == 1.0
    assert summary["aurc"] == pytest.approx(area_under_risk_coverage(y, prob))


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_mismatched_lengths(fn):
    with pytest.raises(
        ValueError,
        match=r"y_true and y_prob have different numbers of samples: 3 and 4",
    ):
        fn([0, 1, 0], np.full((4, 2), 0.5))


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_probabilities_out_of_range(fn):
    with pytest.raises(ValueError, match="y_prob contains values greater than 1"):
        fn([0, 1], [[1.2, 0.0], [0.5, 0.5]])
    with pytest.raises(ValueError, match="y_prob contains values lower than 0"):
        fn([0, 1], [[1.2, -0.2], [0.5, 0.5]])


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_rows_not_summing_to_one(fn):
    with pytest.raises(
        ValueError,
        match=r"y_prob rows must sum to 1 .*1 of 2 rows.*row 1 sums to 0\.8",
    ):
        fn([0, 1], [[0.5, 0.5], [0.4, 0.4]])


def test_row_sum_tolerance():
    # float32-level rounding is accepted, visible deviations are not
    assert brier_score([0, 1], [[0.5, 0.5 + 2e-6], [0.5, 0.5]]) > 0
    with pytest.raises(ValueError, match="must sum to 1"):
        brier_score([0, 1], [[0.5, 0.5 + 1e-4], [0.5, 0.5]])
    prob32 = np.array([[0.5, 0.5001], [0.5, 0.5]], dtype=np.float32)  # within sqrt(eps32)
    assert brier_score([0, 1], prob32) > 0


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_nan(fn):
    with pytest.raises(ValueError, match="Input y_prob contains NaN"):
        fn([0, 1], [[np.nan, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="Input y_true contains NaN or infinity"):
        fn([0.0, np.nan], [[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(ValueError, match="Input y_prob contains infinity"):
        fn([0, 1], [[np.inf, 0.5], [0.5, 0.5]])


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_wrong_shapes(fn):
    with pytest.raises(
        ValueError,
        match=r"y_prob must be a 2-D array .* got an array of shape \(2,\)",
    ):
        fn([0, 1], [0.3, 0.7])
    with pytest.raises(ValueError, match=r"y_prob must be a 2-D array .* shape \(2, 1, 2\)"):
        fn([0, 1], np.full((2, 1, 2), 0.5))
    with pytest.raises(ValueError, match="at least 2 columns"):
        fn([0, 0], [[1.0], [1.0]])
    with pytest.raises(ValueError, match=r"y_true must be a 1-D array .* shape \(2, 1\)"):
        fn([[0], [1]], [[0.5, 0.5], [0.5, 0.5]])


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_empty_input(fn):
    with pytest.raises(ValueError, match="y_true is empty"):
        fn([], np.zeros((0, 3)))
    with pytest.raises(ValueError, match="y_prob is empty"):
        fn([0], np.zeros((0, 3)))


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_labels_errors(fn):
    prob = np.full((3, 3), 1 / 3)
    with pytest.raises(
        ValueError,
        match=r"y_true contains labels not in labels=\['a', 'b', 'c'\]: \['z'\]",
    ):
        fn(["a", "b", "z"], prob, labels=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"labels has 2 entries but y_prob has 3 columns"):
        fn(["a", "b", "a"], prob, labels=["a", "b"])
    with pytest.raises(ValueError, match=r"labels must be unique; repeated: \['a'\]"):
        fn(["a", "b", "a"], prob, labels=["a", "b", "a"])
    with pytest.raises(ValueError, match="labels must be a 1-D array-like"):
        fn(["a", "b", "a"], prob, labels=[["a", "b", "c"]])
    with pytest.raises(ValueError, match="labels is empty"):
        fn(["a", "b", "a"], prob, labels=[])
    with pytest.raises(
        ValueError,
        match=r"y_true contains labels not in labels=\[0, 1, 2\]: \[5\]",
    ):
        fn([0, 1, 5], prob, labels=[0, 1, 2])


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_default_labels_cannot_be_inferred(fn):
    prob = np.full((3, 3), 1 / 3)
    with pytest.raises(
        ValueError,
        match=r"y_true has 2 distinct labels \['a', 'b'\] .* Pass labels=",
    ):
        fn(["a", "b", "a"], prob)
    with pytest.raises(ValueError, match=r"not integers in \[0, 2\]"):
        fn([0, 4, 4], prob)


@pytest.mark.parametrize("fn", PROB_METRICS)
def test_bad_y_true_types(fn):
    prob = np.full((2, 2), 0.5)
    with pytest.raises(TypeError, match="y_true must hold labels of a single type"):
        fn(np.array([1, "a"], dtype=object), prob)
    with pytest.raises(TypeError, match="y_true must hold labels of a single type"):
        fn(np.array(["a", 1], dtype=object), prob)
    with pytest.raises(ValueError, match="y_true must hold class labels .* 'unknown'"):
        fn(np.array([None, None], dtype=object), prob)
    with pytest.raises(ValueError, match="y_true must hold class labels .* 'continuous'"):
        fn([0.5, 1.5], prob)
    with pytest.raises(TypeError, match="'y_true' parameter of .* must be an array-like"):
        fn(7, prob)


@pytest.mark.parametrize("fn", [expected_calibration_error, calibration_bins])
@pytest.mark.parametrize("n_bins", [0, -3, 2.5, "10"])
def test_invalid_n_bins(fn, n_bins):
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        fn([0, 1], [[0.5, 0.5], [0.5, 0.5]], n_bins=n_bins)


@pytest.mark.parametrize("coverage", [0, -0.1, 1.5, float("nan")])
def test_invalid_scalar_coverage(coverage):
    with pytest.raises(ValueError, match="coverage"):
        accuracy_at_coverage([0, 1], [[0.5, 0.5], [0.5, 0.5]], coverage)


def test_invalid_coverage_sequence():
    prob = [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(
        ValueError,
        match=r"coverage values must be in \(0, 1\], got \[0\.0, 1\.2\]",
    ):
        accuracy_at_coverage([0, 1], prob, [0.5, 0.0, 1.2])
    with pytest.raises(ValueError, match=r"coverage values must be in \(0, 1\], got \[nan\]"):
        accuracy_at_coverage([0, 1], prob, [0.5, np.nan])
    with pytest.raises(ValueError, match="coverage must be a float or a 1-D sequence"):
        accuracy_at_coverage([0, 1], prob, [[0.5]])
    with pytest.raises(TypeError, match="coverage must be a float or a sequence of floats"):
        accuracy_at_coverage([0, 1], prob, ["x"])


def test_summary_errors():
    prob = [[0.5, 0.5], [0.5, 0.5]]
    with pytest.raises(ValueError, match="needs y_pred, y_prob or both; got neither"):
        classification_summary([0, 1])
    with pytest.raises(
        ValueError,
        match="y_true and y_pred have different numbers of samples: 2 and 3",
    ):
        classification_summary([0, 1], [0, 1, 1])
    with pytest.raises(
        ValueError,
        match="y_true and y_pred have different numbers of samples: 2 and 1",
    ):
        classification_summary([0, 1], [0], y_prob=prob)
    with pytest.raises(ValueError, match="y_true and y_prob have different numbers of samples"):
        classification_summary([0, 1, 1], y_prob=prob)
    with pytest.raises(ValueError, match=r"coverages values must be in \(0, 1\]"):
        classification_summary([0, 1], y_prob=prob, coverages=(0.9, 0))
    with pytest.raises(InvalidParameterError, match="'n_bins' parameter"):
        classification_summary([0, 1], y_prob=prob, n_bins=0)
    with pytest.raises(ValueError, match=r"y_pred contains labels not in labels=\[0, 1\]: \[2\]"):
        classification_summary([0, 1], [0, 2], y_prob=prob, labels=[0, 1])
    with pytest.raises(ValueError, match=r"y_pred contains labels not in labels=\['a', 'b'\]"):
        classification_summary(["a", "b"], ["a", "c"], labels=["a", "b"])
    with pytest.raises(ValueError, match=r"y_true contains labels not in labels=\['a', 'b'\]"):
        classification_summary(["a", "x"], ["a", "b"], labels=["a", "b"])
    with pytest.raises(ValueError, match="y_pred is empty"):
        classification_summary([0, 1], [], y_prob=prob)
    with pytest.raises(ValueError, match="y_true is empty"):
        classification_summary([], [])


# ---------------------------------------------------------------- module hygiene


def test_import_does_not_load_tensorflow():
    code = (
        "import sys, skmnist.metrics; "
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
