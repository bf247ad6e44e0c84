"""Validating the files a run writes against the JSON Schemas in qa/schemas/."""

import json
from pathlib import Path

import jsonschema

from qa.reports import SCHEMA_DIR, SUMMARY_NAME


def validator(schema_name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / schema_name).read_text())
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


RUN_LOG = validator("run-log.schema.json")
SUMMARY = validator("summary.schema.json")


def assert_logs_valid(directory: Path) -> int:
    """Validate every run log and the summary in `directory`; return how many run logs there were."""
    run_logs = sorted(directory.glob("run-*.json"))
    for path in run_logs:
        RUN_LOG.validate(json.loads(path.read_text()))
    summary = directory / SUMMARY_NAME
    if summary.exists():
        SUMMARY.validate(json.loads(summary.read_text()))
    return len(run_logs)
