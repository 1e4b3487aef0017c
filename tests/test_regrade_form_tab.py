"""The courseware editor's FORM tab (not YAML): changing the key of an answered question shows
the regrade preview instead of saving silently, and saves with the regrade once confirmed
(issue 12, items 1 and 6). The page is posted back as a browser would, field by field."""
from html.parser import HTMLParser

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.domain.learning import points
from lms.domain.quiz import attempts, quizview
from lms.models import Question, utcnow

RULES = {"lesson_on_time": 5, "lesson_late": 2, "lesson_perfect": 2, "courseware_quiz": 2}


class EditorForm(HTMLParser):
    """The fields the editor's main form posts: inputs (checked ones for boxes), textareas
    and selects, as a browser would send them without pressing a button."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._done = False
        self._textarea = self._select = None
        self._text: list[str] = []
        self._select_first = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and a.get("method", "").lower() == "post" \
                and not self._in_form:
            self._in_form = True
            self.fields = []
        if not self._in_form or not a.get("name") and tag != "option":
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], []
        elif tag == "select":
            self._select, self._select_first = a["name"], None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = a.get("value", "")
            if "selected" in a:
                self.fields.append((self._select, a.get("value", "")))
                self._select_first = False

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "select" and self._select:
            if self._select_first:  # nothing marked selected: the first option is sent
                self.fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "form" and self._in_form and any(n == "quiz-n" for n, _ in self.fields):
            self._in_form, self._done = False, True
        elif tag == "form":
            self._in_form = False


def editor_fields(html: str) -> dict[str, list[str]]:
    parser = EditorForm()
    parser.feed(html)
    fields: dict[str, list[str]] = {}
    for name, value in parser.fields:
        fields.setdefault(name, []).append(value)
    return fields


def test_the_form_tab_changing_an_answered_key_shows_the_preview_not_a_silent_save(
        db, make, browser_for):
    trainer, officer = make.user(roles=("trainer",)), make.user()
    item = make.courseware(quiz=True, summary="简介", slug="formtab")  # true/false, key True
    question = item.quiz.questions[0]
    attempts.submit(db, officer.id, quizview.courseware_item(db, "formtab"),
                    {str(question.id): False}, "k", utcnow(), RULES)
    db.commit()
    item.status = "draft"
    db.commit()
    client = browser_for(trainer)
    page = client.get("/studio/courseware/formtab").get_data(as_text=True)
    fields = editor_fields(page)
    assert fields.get("quiz-0-truth") == ["true"], fields  # the form tab shows the stored key
    # whatever the YAML tab would hold, the form tab is what the save reads
    assert all("answer: false" not in v for v in fields.get("quiz_yaml", []))
    fields["quiz-0-truth"] = ["false"]
    fields["quiz-mode"] = ["form"]
    fields["note"] = ["更正答案"]
    data = [(name, value) for name, values in fields.items() for value in values]
    response = client.post("/studio/courseware/formtab", data=MultiDict([*data, ("save", "保存")]))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, response.status_code
    assert "1 份作答受影响" in html and "确认重新评分并保存" in html
    db.expire_all()
    assert db.get(Question, question.id).answer is True  # nothing saved yet
    assert points.total(db, officer.id) == 0
    token = html.split('name="regrade_token" value="')[1].split('"')[0]
    done = client.post("/studio/courseware/formtab",
                       data=MultiDict([*data, ("save", "保存"),
                                           ("regrade_token", token)]))
    assert done.status_code == 302
    db.expire_all()
    assert db.scalar(select(Question.answer).where(Question.id == question.id)) is False
    assert points.total(db, officer.id) == RULES["courseware_quiz"]  # the regrade paid
