"""Reading an uploaded CSV file as Excel and WPS save it: UTF-8 with or without BOM, or GBK,
a fixed header, stripped cells and problems by line; no Flask."""
import csv
import io
from pathlib import Path

from .problems import Problem
from .text import first_invalid_line


def read_table(path: Path, columns: tuple[str, ...]) -> tuple[list[tuple[int, list[str]]],
                                                                list[Problem]]:
    """The data rows of a CSV file as (line number, stripped cells); blank rows are skipped."""
    file = str(path)
    text, problem = _decode(Path(path).read_bytes())
    if problem:
        return [], [Problem(file, *problem)]
    rows, problems, header_seen, end = [], [], False, 0
    expected = ",".join(columns)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for record in reader:
            line, end = end + 1, reader.line_num  # a quoted cell may span several lines
            cells = [cell.strip() for cell in record]
            if not any(cells):
                continue
            if not header_seen:
                if [cell.lower() for cell in cells] != list(columns):
                    return [], [Problem(file, line, f"header must be '{expected}' "
                                                    f"(found '{','.join(cells)}')")]
                header_seen = True
            elif len(cells) < len(columns) or any(cells[len(columns):]):
                problems.append(Problem(file, line, f"expected {len(columns)} columns "
                                                    f"({expected}), found {len(cells)}"))
            else:
                rows.append((line, cells[:len(columns)]))
    except csv.Error as error:
        problems.append(Problem(file, end + 1, f"unreadable CSV: {error}"))
    if not header_seen and not problems:
        problems.append(Problem(file, 1, f"empty file: expected the header '{expected}'"))
    return rows, problems


def _decode(data: bytes) -> tuple[str, tuple[int, str] | None]:
    """The text of a file in UTF-8 (with or without BOM) or GBK, or (line, why) it is
    neither or holds text that is not valid Unicode (NUL, a lone surrogate)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "", (1, "file is UTF-16 ('Unicode text'); save it as 'CSV UTF-8' or plain CSV")
    try:
        # UTF-8 but for encoded surrogates (CESU-8, or a program's lone "\ud800"): say so,
        # rather than misreading the whole file as GBK.
        text = data.decode("utf-8-sig", "surrogatepass")
    except UnicodeDecodeError:
        try:
            text = data.decode("gbk")
        except UnicodeDecodeError:
            return "", (1, "file is neither UTF-8 nor GBK text: save it from Excel as CSV")
    if "\x00" in text:
        return "", (text.count("\n", 0, text.index("\x00")) + 1,
                    "file contains NUL bytes: is it a spreadsheet rather than CSV?")
    line = first_invalid_line(text)
    if line is not None:
        return "", (line, "text that is not valid Unicode (a lone surrogate): "
                          "save the file again as 'CSV UTF-8'")
    return text, None
