"""The user guide's generated benchmark tables are what the stored result files say."""

import os
import sys

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "benchmarks")


def test_generated_tables_match_the_result_files(capsys):
    sys.path.insert(0, BENCHMARKS)
    try:
        import doc_tables
    finally:
        sys.path.remove(BENCHMARKS)
    # --check rewrites nothing: it fails when a page was edited by hand or a result file
    # was rerun without regenerating the page (python benchmarks/doc_tables.py).
    assert doc_tables.main(["--check"]) == 0, capsys.readouterr().err


def test_every_result_file_says_where_its_numbers_came_from():
    """One ``provenance`` record per file, in one shape: the commit measured, or (for runs
    that predate the record) the commit that stored the file, said to be reconstructed."""
    import glob
    import json
    import re

    paths = sorted(glob.glob(os.path.join(BENCHMARKS, "results", "*.json")))
    assert paths
    sha = re.compile(r"[0-9a-f]{40}")
    for path in paths:
        with open(path, encoding="utf-8") as f:
            run = json.load(f).get("provenance")
        name = os.path.basename(path)
        assert isinstance(run, dict), f"{name} has no provenance record"
        assert "benchmarks/bench_" in run["command"], name
        if "reconstructed" in run:
            assert run["commit"] is None and sha.fullmatch(run["stored_in"]), name
        else:
            assert sha.fullmatch(run["commit"]), name
            assert isinstance(run["dirty"], bool) or "note" in run, name
            assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", run["date"]), name
