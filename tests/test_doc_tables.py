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
