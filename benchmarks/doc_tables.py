"""The user guide's tables of benchmark results, generated from the result files.

A generated table sits in its page between two MyST comment lines,

    % begin generated: python benchmarks/doc_tables.py (NAME)
    ...
    % end generated (NAME)

and is rewritten from ``benchmarks/results/*.json`` by

    python benchmarks/doc_tables.py          # rewrite every generated table
    python benchmarks/doc_tables.py --check  # exit 1 when a page differs from its JSON

so a page quotes what the stored run measured, never numbers typed by hand.
``tests/test_doc_tables.py`` runs the check.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "benchmarks", "results")

# The novelty page's columns: (header, key in ood.json's table).
_OOD_COLUMNS = (
    ("entropy", "entropy"),
    ("1 - max proba", "1-max_proba"),
    ("Mahalanobis hidden_1 (shared)", "maha_shared_hidden_1"),
    ("PCA-50 pixels", "pca50_pixels"),
    ("10-NN unit hidden_1", "knn10_hidden_1_unit"),
    ("both hidden layers", "novelty_hidden_0_and_1"),
    # measured before the image view left the library: shown while the stored run has it
    ("with image view (not default)", "novelty_image_view"),
    ("**novelty**", "novelty"),
)


def _load(name):
    with open(os.path.join(RESULTS, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


def _measured_by(results, when):
    """The sentence naming a run's command and commit, from its ``provenance`` record."""
    run = results["provenance"]
    return f"Measured by `{run['command']}` at commit `{run['commit'][:10]}` ({when(run['date'])}"


def _set_label(name, held_out, control):
    if name in control:
        return f"*control: {name.replace('_', ' ')}*"
    if name in held_out:
        return f"{name.removesuffix('_heldout')} (held out)"
    return name


def ood_table(network):
    """The novelty page's table of one network ("fcn" or "mdn"), from ``ood.json``."""
    results = _load("ood")
    table = results[network]["table"]
    accuracy = results[network]["timing"]["network_test_accuracy"]
    held_out, control = set(results["held_out_sets"]), set(results["control_sets"])
    estimator = {"fcn": "FCNClassifier", "mdn": "MDNClassifier"}[network]
    sets = list(table["novelty"]["auroc"])
    columns = [(header, key) for header, key in _OOD_COLUMNS if key in table]
    lines = [
        f"**{estimator}** (full-MNIST default, test accuracy {100 * accuracy:.2f}%)",
        "",
        "| set | " + " | ".join(h for h, _ in columns) + " | detected at novelty > 0.99 |",
        "|---|" + "---:|" * (len(columns) + 1),
    ]
    for name in sets:
        cells = [f"{table[key]['auroc'][name]:.3f}" for _, key in columns]
        detected = f"{100 * table['novelty']['detection'][name]:.1f}%"
        lines.append(f"| {_set_label(name, held_out, control)} | " + " | ".join(cells)
                     + f" | {detected} |")
    flagged = [f"{100 * table[key]['false_alarm_mnist_test']:.2f}%" for _, key in columns]
    lines.append("| *MNIST test flagged* | " + " | ".join(flagged) + " | |")
    return "\n".join(lines)


def pretrained_tables():
    """The shipped model's page's tables, from ``pretrained.json``."""
    results = _load("pretrained")
    acc, flagged = results["accuracy"], results["digits_flagged"]
    lines = [
        _measured_by(results, lambda date: date[:10])
        + f", {results['machine']['cpu_count']} cores).",
        "",
        "| digit images | accuracy | flagged as not a digit |",
        "|---|---|---|",
    ]
    for name in acc:
        lines.append(f"| {name} | {100 * acc[name]:.2f}% | {100 * flagged[name]:.2f}% |")
    lines += ["", "| pictures that are not digits | set | flagged | AUROC |", "|---|---|---|---|"]
    for name, row in results["nondigit_images"].items():
        group = "tuning" if row["group"] == "tuning" else "held out"
        lines.append(f"| {name} | {group} | {100 * row['flagged']:.1f}% | {row['auroc']:.4f} |")
    lines += ["", "| 28x28 non-digits (network novelty) | set | AUROC | flagged |",
              "|---|---|---|---|"]
    for name, row in results["ood_28x28"].items():
        group = "held out" if row["held_out"] else "tuning"
        lines.append(f"| {name} | {group} | {row['auroc']:.4f} | {100 * row['flagged']:.1f}% |")
    fresh = results["fresh_process"]
    size = sum(results["files_bytes"].values())
    lines += [
        "",
        f"Files in the package: {size / 1e6:.2f} MB. A fresh process loads the model in "
        f"{min(r['load_s'] for r in fresh):.2f} s and reads its first image "
        f"{min(r['load_and_first_image_s'] for r in fresh):.2f} s after starting, at "
        f"{min(r['peak_rss_mb'] for r in fresh):.0f} MB peak memory, without TensorFlow "
        "(best of three).",
    ]
    return "\n".join(lines)



def serve_table():
    """The serving page's load table and targets, from ``serve.json``."""
    results = _load("serve")
    machine = results["machine"]
    lines = [
        _measured_by(results, lambda date: date[:16].replace("T", " "))
        + f" UTC; {machine['cpu_count']} cores, load "
        f"average {machine['load_average_at_start'][0]:.2f} at the start; Python "
        f"{machine['python']}, Starlette {machine['starlette']}, uvicorn {machine['uvicorn']}, "
        f"TensorFlow {machine['tensorflow']}):",
        "",
        "| server | request | clients | requests | failed | req/s | p50 (ms) | p99 (ms) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['server']} | {run['request']} | {run['clients']} | {run['requests']:,} | "
            f"{run['failed']} | {run['throughput_rps']:,.1f} | {run['p50_ms']:.2f} | "
            f"{run['p99_ms']:.2f} |"
        )
    t, memory = results["targets"], results["memory"]
    lines += [
        "",
        f"Against the targets: **{t['throughput_ratio_8_clients']:g}x** the Keras server's "
        f"throughput at 8 clients (target >= 10x); p99 for one image at 8 clients "
        f"**{t['p99_ms_8_clients']:g} ms** (target <= 50 ms); **{t['failed_of_requests'][0]} "
        f"failed** of {t['failed_of_requests'][1]:,} requests; resident memory "
        f"{memory['rss_after_warmup_mb']:g} MB after a warm-up and "
        f"{memory['rss_after_run_mb']:g} MB after {memory['requests']:,} requests "
        f"(**growth {memory['growth_mb']:g} MB**, target <= 10 MB).",
    ]
    return "\n".join(lines)


# name -> (page, generator)
TABLES = {
    "serve": ("docs/user_guide/serving.md", serve_table),
    "pretrained": ("docs/user_guide/shipped_model.md", pretrained_tables),
    "ood fcn": ("docs/user_guide/novelty.md", lambda: ood_table("fcn")),
    "ood mdn": ("docs/user_guide/novelty.md", lambda: ood_table("mdn")),
}


def _block(name):
    return re.compile(
        rf"(% begin generated: python benchmarks/doc_tables.py \({re.escape(name)}\)\n)"
        rf"(.*?)(\n% end generated \({re.escape(name)}\))",
        re.S,
    )


def render(page_text, page):
    """``page_text`` with every generated table of ``page`` rewritten."""
    for name, (where, make) in TABLES.items():
        if where != page:
            continue
        pattern = _block(name)
        if not pattern.search(page_text):
            raise ValueError(f"{page} has no generated block ({name})")
        table = make()
        page_text = pattern.sub(lambda m, table=table: m.group(1) + table + m.group(3), page_text)
    return page_text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when a page differs from what its JSON gives")
    args = parser.parse_args(argv)
    stale = []
    for page in sorted({where for where, _ in TABLES.values()}):
        path = os.path.join(ROOT, page)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        new = render(text, page)
        if new != text:
            stale.append(page)
            if not args.check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(new)
    if args.check and stale:
        print(f"stale generated tables in {', '.join(stale)}: run python "
              "benchmarks/doc_tables.py", file=sys.stderr)
        return 1
    for page in stale:
        print(f"rewrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
