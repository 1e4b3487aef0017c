"""`- [ ]` / `- [x]` list items as ticked or empty boxes: a Python-Markdown extension.

The box is a `<span class="task-box">` holding ☐ or ☑, not an `<input>`: the sanitizer then
needs no form elements (an allowed `<input>` could not be limited to checkboxes), and a box
in a lesson is something to read, not to tick.
"""
import re
import xml.etree.ElementTree as etree

from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_MARKER = re.compile(r"\[([ xX])\]\s+")


class _TaskItems(Treeprocessor):
    def run(self, root):
        for item in root.iter("li"):
            loose = len(item) and item[0].tag == "p" and not (item.text or "").strip()
            holder = item[0] if loose else item
            match = _MARKER.match(holder.text or "")
            if not match:
                continue
            done = match.group(1) != " "
            box = etree.Element("span", {"class": "task-box task-done" if done else "task-box"})
            box.text = "☑" if done else "☐"
            box.tail = " " + holder.text[match.end():]
            holder.text = ""
            holder.insert(0, box)


class TaskListExtension(Extension):
    """Register the tree processor after inline parsing, so the item's text is final."""

    def extendMarkdown(self, md):  # noqa: N802 (Python-Markdown's name)
        md.treeprocessors.register(_TaskItems(md), "lms_task_items", 0)
