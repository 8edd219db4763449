"""One label table for the recording problems (issue 37): every issue type a model can emit
has its label and provider role in seeds/recording_issue_types.csv."""

import re

from pipelines.contract import PROJECT_DIR
from pipelines.reports.labels import issue_labels


def test_every_issue_type_the_models_emit_has_a_label():
    emitted = set()
    for path in (PROJECT_DIR / "models" / "intermediate" / "recording").glob("int_recording_*.sql"):
        emitted |= set(re.findall(r"'([a-z_]+)' as issue_type", path.read_text()))
    labels = issue_labels()
    assert len(emitted) == 7  # the seven problems of indicators.md s.2
    assert emitted == set(labels)
    assert all(label and label[0].isupper() for label in labels.values())
