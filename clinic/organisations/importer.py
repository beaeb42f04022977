"""Reading an organisations file (CSV or XLSX) into rows, with one clear problem per line.

One table, one row per ministry, department or topic; the header names the columns (any order):

    kind,code,ministry_code,name_th,name_en,abbreviation,active

`kind` is ministry, department or topic. `ministry_code` is for departments only, `active` (1/0, yes/no, true/false;
empty means 1) for topics only. Rows whose first cell starts with `#` are comments; empty rows are skipped. A CSV is
UTF-8, with or without the BOM Excel writes ("CSV UTF-8"); an XLSX is read from its first sheet. Row numbers are
those a person sees: the line of the CSV, the row of the sheet."""

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

KINDS = ("ministry", "department", "topic")
COLUMNS = ("kind", "code", "ministry_code", "name_th", "name_en", "abbreviation", "active")
REQUIRED_COLUMNS = ("kind", "code", "name_th", "name_en")


@dataclass(frozen=True)
class Problem:
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row is not None else self.message


class ImportProblems(Exception):
    """The file cannot be imported; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class Row:
    number: int
    kind: str
    code: str
    ministry_code: str
    name_th: str
    name_en: str
    abbreviation: str
    active: str


def read_file(path: Path) -> list[Row]:
    """Rows of a .csv or .xlsx file; raises ImportProblems when the file or its header cannot be read."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ImportProblems([Problem(None, f"cannot read {path}: {error.strerror}")]) from error
    if suffix == ".csv":
        return read_csv(data)
    if suffix == ".xlsx":
        return read_xlsx(io.BytesIO(data))
    raise ImportProblems([Problem(None, f"{path.name}: give a .csv (UTF-8) or an .xlsx file")])


def read_csv(data: bytes) -> list[Row]:
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM; it is not part of the first column
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportProblems([Problem(line, f"the file is not UTF-8 (byte 0x{data[error.start]:02x}); in Excel "
                                            "save it as \"CSV UTF-8 (Comma delimited)\", or import the .xlsx")]) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    numbered: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for cells in reader:
            numbered.append((previous + 1, cells))
            previous = reader.line_num
    except csv.Error as error:
        raise ImportProblems([Problem(previous + 1, f"not a readable CSV line: {error}")]) from error
    return rows_from_table(numbered)


def read_xlsx(stream: IO[bytes]) -> list[Row]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportProblems([Problem(None, "not a readable .xlsx file (save it from Excel as an Excel Workbook)")]) from error
    try:
        sheet = workbook.worksheets[0]
        numbered = [(number, [cell_text(value) for value in values])
                    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    return rows_from_table(numbered)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rows_from_table(numbered: list[tuple[int, list[str]]]) -> list[Row]:
    """Rows from (row number, cells) pairs: the first row that is not a comment or empty is the header."""
    content = [(number, cells) for number, cells in numbered
               if any(cell.strip() for cell in cells) and not cells[0].lstrip().startswith("#")]
    if not content:
        raise ImportProblems([Problem(None, "the file holds no header and no rows")])
    header_number, header = content[0]
    names = [cell.strip().lower() for cell in header]
    problems = [Problem(header_number, f"missing column {name}") for name in REQUIRED_COLUMNS if name not in names]
    for index, name in enumerate(names):
        if name and name not in COLUMNS:
            problems.append(Problem(header_number, f"unknown column {header[index].strip()!r} "
                                                   f"(the columns are {', '.join(COLUMNS)})"))
        elif name and names.index(name) != index:
            problems.append(Problem(header_number, f"column {name} appears twice"))
    if problems:
        raise ImportProblems(problems)
    position = {name: index for index, name in enumerate(names) if name}

    def cell(cells: list[str], name: str) -> str:
        index = position.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    return [Row(number=number, kind=cell(cells, "kind").lower(), code=cell(cells, "code").upper(),
                ministry_code=cell(cells, "ministry_code").upper(), name_th=" ".join(cell(cells, "name_th").split()),
                name_en=" ".join(cell(cells, "name_en").split()), abbreviation=cell(cells, "abbreviation"),
                active=cell(cells, "active").lower())
            for number, cells in content[1:]]


def builtin_path() -> Path:
    """The list shipped with the package: the Thai ministries, their departments and the OPDC topics."""
    return Path(__file__).with_name("data") / "thai_government.csv"
