"""`minimax-agent review`: a structured, diff-checked code review for CI.

Modules, in the order data flows through them:

- `options`: the enums the CLI needs (stdlib only, so `--help` stays fast);
- `gitrange`: which commits are compared, and the raw `git diff` text;
- `diff`: the diff parsed with unidiff into files, hunks and changed line ranges;
- `chunks`: the diff split per file to fit a token budget;
- `findings`: the `report_finding` schema, the checks against the diff, and duplicate merging;
- `tools`, `prompt`, `session`: the model's tools, its system prompt, and one agent run per chunk;
- `formats/`: markdown, json, sarif, github and rdjsonl renderings of the report.
"""
