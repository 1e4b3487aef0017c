"""sync-courses never overwrites a key officers have answered (docs/REGRADING.md): the
file waits, with FILE:LINE, until the studio has corrected the key by a regrade."""
import pytest
from sqlalchemy import select
from test_sync import CATALOG, COURSEWARE, WITHOUT_AUDIENCE, edit, question

from lms.domain.quiz import attempts, quizview, regrade
from lms.models import Attempt, utcnow


@pytest.fixture
def sync(runner):
    """sync(path) → the CLI result (as in test_sync)."""
    return lambda path: runner.invoke(args=["lms", "sync-courses", str(path)])


@pytest.fixture
def folder(tmp_path):
    """test_sync's small course folder."""
    root = tmp_path / "courses"
    (root / "courseware" / "practice").mkdir(parents=True)
    (root / "lessons").mkdir()
    (root / "catalog.yml").write_text(CATALOG, "utf-8")
    (root / "courseware" / "practice" / "sanhui.md").write_text(COURSEWARE, "utf-8")
    (root / "lessons" / "01-zhongcheng.md").write_text(WITHOUT_AUDIENCE, "utf-8")
    return root


def test_sync_refuses_a_changed_answered_key_until_it_is_regraded(sync, db, folder, make):
    assert sync(folder).exit_code == 0
    officer, trainer = make.user(), make.user(roles=("trainer",))
    q1, q2 = question(db, "q1"), question(db, "q2")
    attempts.submit(db, officer.id, quizview.courseware_item(db, "sanhui"),
                    {str(q1.id): "B", str(q2.id): True}, "k", utcnow(), {})
    db.commit()
    path = folder / "courseware" / "practice" / "sanhui.md"
    edit(path, "answer: B", "answer: A")
    result = sync(folder)
    assert result.exit_code != 0
    line = path.read_text("utf-8").splitlines().index("quiz:") + 1
    assert f"sanhui.md:{line}: the answer of question q1 changed" in result.output
    db.rollback()
    assert question(db, "q1").answer == "B"

    plan = regrade.plan(db, q1.quiz_id, {q1.id: "A"})
    regrade.apply(db, trainer, q1.quiz_id, {q1.id: "A"}, plan.token, utcnow(), {})
    db.commit()
    assert sync(folder).exit_code == 0
    db.rollback()
    assert question(db, "q1").answer == "A"
    assert db.scalar(select(Attempt.score)) == 50


def test_a_changed_key_nobody_answered_syncs_as_before(sync, db, folder):
    assert sync(folder).exit_code == 0
    edit(folder / "courseware" / "practice" / "sanhui.md", "answer: B", "answer: A")
    assert sync(folder).exit_code == 0
    db.rollback()
    assert question(db, "q1").answer == "A"
