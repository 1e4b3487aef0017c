"""Make half-width punctuation in the Chinese prose of a course folder full-width, in place.

Usage: python tools/fullwidth_courses.py [courses]
Leaves YAML syntax, code, URLs and numbers such as 1,000 or 3:00 alone (see
lms/domain/coursefiles/punctuation.py), then re-reads the folder and refuses to keep a
change that makes it invalid or changes its shape (items, questions, option keys).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lms

from lms.domain.coursefiles.punctuation import folder_warnings, kind_of, to_full_width
from lms.domain.coursefiles.reader import load_course_tree


def _shape(tree):
    """What punctuation must never change: items, their questions, kinds and option keys."""
    items = list(tree.courseware) + list(tree.lessons)
    return sorted((item.source_path, tuple(
        (q.key, q.kind, tuple(k for k, _ in q.options),
         len(q.answer) if isinstance(q.answer, tuple) else q.answer if q.kind != "fill_blank"
         else None)
        for q in (item.quiz.questions if item.quiz else ()))) for item in items)


def main(root: Path) -> int:
    before, problems = load_course_tree(root)
    if problems:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 1
    originals = {}
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".md", ".yml")):
        text = path.read_text(encoding="utf-8")
        fixed = to_full_width(text, kind_of(path))
        if fixed != text:
            originals[path] = text
            path.write_text(fixed, encoding="utf-8")
    after, problems = load_course_tree(root)
    if problems or _shape(after) != _shape(before):
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        print("\n".join(map(str, problems)) or "shape changed", file=sys.stderr)
        print("Reverted: the converted folder did not read back the same.", file=sys.stderr)
        return 1
    left = folder_warnings(root)
    print(f"{len(originals)} file(s) converted; {len(left)} warning(s) left.")
    print("\n".join(map(str, left)))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "courses")))
