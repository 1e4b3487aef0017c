"""Set `estimated_minutes` in every course file from its text and quiz (readtime.py).

Usage: python tools/set_minutes.py [courses]
Rewrites only the `estimated_minutes:` line of the front matter.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lms

from lms.domain.coursefiles.reader import load_course_tree
from lms.domain.coursefiles.readtime import estimate_minutes

_LINE = re.compile(r"^estimated_minutes: *\d+ *$", re.M)


def main(root: Path) -> int:
    tree, problems = load_course_tree(root)
    if problems:
        print("\n".join(map(str, problems)), file=sys.stderr)
        return 1
    changed = 0
    for item in list(tree.courseware) + list(tree.lessons):
        questions = len(item.quiz.questions) if item.quiz else 0
        minutes = estimate_minutes(item.body_md, questions)
        if minutes == item.estimated_minutes:
            continue
        path = root / item.source_path
        text, count = _LINE.subn(f"estimated_minutes: {minutes}", path.read_text("utf-8"), 1)
        if count:
            path.write_text(text, encoding="utf-8")
            changed += 1
            print(f"{item.source_path}: {item.estimated_minutes} -> {minutes}")
    print(f"{changed} file(s) changed.")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "courses")))
