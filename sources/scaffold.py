"""`mdm sources new NAME`: a working connector skeleton and its contract test.

The generated connector reads pipe-separated text with the standard library, so the generated
test passes at once; the engineer then replaces `read` with their system's format and the
scenarios with real sample files, keeping the test green.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

CONNECTOR_TEMPLATE = '''"""{title} connector for customer-mdm.

TODO: describe the system this reads and how its export looks.
Contract: `read` returns the WHOLE file as Arrow tables of strings (None for empty), or raises
SourceError with a message naming the problem and never a cell value. Everything else (hashes,
skip-if-loaded, mapped-column checks, lineage, rejection) is done by the ingest stage.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from sources.base import ReadResult, SheetTable, SourceConnector, SourceError, SourceItem
from sources.text import to_text, unique_names


class {cls}Options(BaseModel):
    """The `options:` of a `kind: {name}` source. Unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")

    # TODO: your settings; give each a description, it is the documentation.
    delimiter: str = Field(default="|", description="Field separator of the export.")
    encoding: str = Field(default="utf-8", description="Text encoding of the export.")


class {cls}Connector(SourceConnector):
    kind = "{name}"
    description = "TODO: one line shown by `mdm sources list`"
    options_model = {cls}Options

    def read(self, item: SourceItem) -> ReadResult:
        assert item.path is not None
        options: {cls}Options = self.options
        try:
            text = Path(item.path).read_text(encoding=options.encoding)
        except UnicodeDecodeError as exc:
            raise SourceError(f"{{item.label}}: cannot be decoded as {{options.encoding}} (offset {{exc.start}})") from None
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=options.delimiter) if row]
        if not rows:
            raise SourceError(f"{{item.label}}: the file is empty")
        header, body = unique_names(rows[0]), rows[1:]
        for number, row in enumerate(body, start=1):
            if len(row) != len(header):
                # Name the row and the counts, never the values.
                raise SourceError(f"{{item.label}}: row {{number}} has {{len(row)}} fields, expected {{len(header)}}")
        columns = {{name: pa.array([to_text(row[i]) for row in body], type=pa.string())
                   for i, name in enumerate(header)}}
        return ReadResult(sheets=[SheetTable(sheet=None, table=pa.table(columns))])
'''

TEST_TEMPLATE = '''"""Contract tests of the {name} connector: the standard suite from `sources.testing`.

Run: pytest {test_file}
TODO: replace the inline files with real (anonymised) sample exports, e.g. `fixtures = Path(...)`.
"""

from __future__ import annotations

from {module} import {cls}Connector

from sources.testing import REFUSED, ROWS, Scenario, SourceContractSuite


class Test{cls}Contract(SourceContractSuite):
    connector = {cls}Connector
    source = {{
        "path": "{name}/*.txt",
        "key_columns": ["id"],
        "mapping": {{"email": "email", "last_name": "name"}},
    }}
    files = {{
        "good.txt": "id|name|email\\n1|Dupont|a@example.org\\n2|Martin|\\n",
        "bad_header.txt": "id|nom|courriel\\n1|Dupont|a@example.org\\n",
        "ragged.txt": "id|name|email\\n1|Dupont\\n",
        "empty.txt": "",
    }}
    scenarios = [
        Scenario("good.txt", expect=ROWS(2)),
        Scenario("bad_header.txt", expect=REFUSED, error_contains="missing column", private=("Dupont",)),
        Scenario("ragged.txt", expect=REFUSED, error_contains="row 1", private=("Dupont",)),
        Scenario("empty.txt", expect=REFUSED, error_contains="empty"),
    ]
'''

README_TEMPLATE = """# {name} connector

- `{module}.py`: the connector (`kind: {name}`); `test_{module}.py`: its contract tests.
- Test: `pytest test_{module}.py` (passes as generated; keep it green while you fill in `read`).
- Register it from your package's `pyproject.toml`:

```toml
[project.entry-points."customer_mdm.sources"]
{name} = "{module}:{cls}Connector"
```

- Then declare a source with `kind: {name}` in `mdm.yaml`, and check it: `mdm sources check <source>`.
"""


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part)


def scaffold(name: str, folder: Path, force: bool = False) -> list[Path]:
    """Write the connector, its test and a README into `folder`; return the paths written."""
    if not NAME_PATTERN.match(name):
        raise ValueError(f"connector name {name!r} must match {NAME_PATTERN.pattern} (it becomes the kind)")
    module = f"{name}_connector"
    values = {"name": name, "cls": class_name(name), "module": module, "title": name.replace("_", " ").title(),
              "test_file": f"test_{module}.py"}
    files = {
        folder / f"{module}.py": CONNECTOR_TEMPLATE.format(**values),
        folder / f"test_{module}.py": TEST_TEMPLATE.format(**values),
        folder / f"README_{name}.md": README_TEMPLATE.format(**values),
    }
    existing = [p for p in files if p.exists()]
    if existing and not force:
        raise FileExistsError(f"would overwrite {[str(p) for p in existing]}; use --force")
    folder.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
