"""`flask lms import-units` and `import-roster` (DESIGN §5): validate all, then upsert."""
import csv
import io
import stat

import pytest
from sqlalchemy import func, select

from lms.models import Unit, User

UNITS = """code,name,kind,parent_code
S1,观前派出所,station,C1
B1,观前派出所第一党支部,branch,S1
C1,姑苏分局,county,SZ
SZ,市公安局,bureau,
C2,吴中分局,county,SZ
S2,木渎派出所,station,C2
"""

ROSTER = """police_no,name,unit_code,roles,party_member
100001,张伟,B1,,1
100002,李娜,S2,officer;trainer,0
100003,王芳,C1,officer;supervisor,1
"""


@pytest.fixture
def tmp_codes(tmp_path):
    """Where a test's activation codes go."""
    return tmp_path / "codes.csv"


@pytest.fixture
def write(tmp_path):
    """Write a CSV file: write("x.csv", text, encoding="gbk") → its path."""
    def _write(name: str, text: str, encoding: str = "utf-8"):
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path
    return _write


@pytest.fixture
def imported(runner, write):
    """The units and roster above, imported; returns the roster's codes as {police_no: code}."""
    assert runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS))]) \
        .exit_code == 0
    codes_file = write("codes.csv", "")
    result = runner.invoke(args=["lms", "import-roster", str(write("roster.csv", ROSTER)),
                                 "--codes-out", str(codes_file)])
    assert result.exit_code == 0, result.output
    rows = csv.DictReader(io.StringIO(codes_file.read_text("utf-8-sig")))
    return {row["police_no"]: row["activation_code"] for row in rows}


def paths(db) -> dict[str, str]:
    """Each unit's materialized path by code."""
    return dict(db.execute(select(Unit.code, Unit.path)).all())


def snapshot(db) -> tuple[list, list]:
    """Every stored unit and user, as plain rows."""
    units = db.execute(select(Unit.code, Unit.name, Unit.kind, Unit.parent_id, Unit.path,
                              Unit.depth).order_by(Unit.code)).all()
    users = db.execute(select(User.police_no, User.name, User.unit_id, User.is_officer,
                              User.is_trainer, User.is_supervisor, User.is_admin,
                              User.party_member, User.activation_hash)
                       .order_by(User.police_no)).all()
    return units, users


def test_units_import_builds_paths_with_parents_after_children(runner, write, db):
    result = runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS))])
    assert result.exit_code == 0, result.output
    assert "6 created, 0 updated, 0 unchanged" in result.output
    units = {u.code: u for u in db.scalars(select(Unit))}
    assert units["SZ"].path == f"/{units['SZ'].id}/" and units["SZ"].depth == 0
    for code, parent in {"C1": "SZ", "C2": "SZ", "S1": "C1", "S2": "C2", "B1": "S1"}.items():
        assert units[code].parent_id == units[parent].id
        assert units[code].path == f"{units[parent].path}{units[code].id}/"
        assert units[code].depth == units[parent].depth + 1
    assert units["B1"].name == "观前派出所第一党支部" and units["B1"].kind == "branch"


def test_roster_import_writes_codes_that_sign_in(runner, write, db, login, tmp_path):
    runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS))])
    codes_file = tmp_path / "codes.csv"
    result = runner.invoke(args=["lms", "import-roster", str(write("roster.csv", ROSTER)),
                                 "--codes-out", str(codes_file)])
    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 unchanged" in result.output
    raw = codes_file.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert stat.S_IMODE(codes_file.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["police_no", "name", "activation_code"]
    assert [row[:2] for row in rows[1:]] == [["100001", "张伟"], ["100002", "李娜"],
                                             ["100003", "王芳"]]
    li_na = db.scalar(select(User).where(User.police_no == "100002"))
    assert (li_na.roles, li_na.party_member, li_na.unit.code) == (["officer", "trainer"], False,
                                                                  "S2")
    assert li_na.password_hash is None and li_na.activation_expires_at is not None
    response = login("100001", rows[1][2])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/activate")


def test_bad_roster_rows_are_all_reported_and_nothing_changes(imported, runner, write, db,
                                                              tmp_codes):
    before = snapshot(db)
    bad = write("bad.csv", "police_no,name,unit_code,roles,party_member\n"
                           "100001,张伟伟,B1,,1\n"      # a valid change: must not be applied
                           "100009,赵六,NOPE,,1\n"
                           "100010,钱七,B1,officer;chief,0\n"
                           "100001,孙八,B1,,1\n"
                           "100011,,B1,,yes\n"
                           "1-2,周九,B1,,0\n"
                           "100013,郑\t十,B1,,1\n"
                           "100012,吴十,B1,,1\n")    # a valid new account: must not be added
    result = runner.invoke(args=["lms", "import-roster", str(bad),
                                 "--codes-out", str(tmp_codes)])
    assert result.exit_code != 0
    assert result.stderr.splitlines()[:-1] == [
        f"{bad}:3: unknown unit_code 'NOPE' (import the units first)",
        f"{bad}:4: unknown role 'chief' (expected one of officer, trainer, supervisor, admin)",
        f"{bad}:5: duplicate police_no '100001' (first on line 2)",
        f"{bad}:6: empty name",
        f"{bad}:6: party_member must be 0 or 1 (found 'yes')",
        f"{bad}:7: police_no '1-2' must be 3-32 letters or digits",
        f"{bad}:8: name contains a control character (a line break or tab?)",
    ]
    db.rollback()  # what the command's process exit does to anything it left uncommitted
    assert snapshot(db) == before


def test_bad_unit_rows_are_all_reported_and_nothing_changes(imported, runner, write, db):
    before = snapshot(db)
    bad = write("bad.csv", "code,name,kind,parent_code\n"
                           "C1,姑苏区分局,county,SZ\n"   # a valid rename: must not be applied
                           "X1,某单位,xyz,SZ\n"
                           "X2,某派出所,station,C9\n"
                           "C2,重复,county,SZ\n"
                           "C2,吴中,county,SZ\n"
                           "X3,,branch,S1\n"
                           "X4,另一个市局,bureau,\n")
    result = runner.invoke(args=["lms", "import-units", str(bad)])
    assert result.exit_code != 0
    assert result.stderr.splitlines()[:-1] == [
        f"{bad}:3: unknown kind 'xyz' (expected one of province, bureau, county, department, "
        "station, branch)",
        f"{bad}:4: parent_code 'C9' is neither in this file nor in the database",
        f"{bad}:6: duplicate code 'C2' (first on line 5)",
        f"{bad}:7: empty name",
        f"{bad}:8: more than one root: 'X4' has no parent_code but 'SZ' (in the database) "
        "is the root",
    ]
    db.rollback()
    assert snapshot(db) == before


def test_units_in_a_cycle_or_a_second_root_are_reported(imported, runner, write, db):
    bad = write("bad.csv", "code,name,kind,parent_code\n"
                           "X1,甲,station,X2\n"
                           "X2,乙,station,X1\n"
                           "C1,姑苏分局,county,B1\n"   # moves C1 below its own branch
                           "X3,另一个市局,bureau,\n")
    result = runner.invoke(args=["lms", "import-units", str(bad)])
    assert result.exit_code != 0
    assert result.stderr.splitlines()[:-1] == [
        f"{bad}:2: parent_code makes a cycle: X1 → X2 → X1",
        f"{bad}:4: parent_code makes a cycle: C1 → B1 → S1 → C1",
        f"{bad}:5: more than one root: 'X3' has no parent_code but 'SZ' (in the database) "
        "is the root",
    ]


def test_wrong_header_is_reported_on_line_one(runner, write):
    bad = write("bad.csv", "编号,名称,类型,上级\nSZ,市公安局,bureau,\n")
    result = runner.invoke(args=["lms", "import-units", str(bad)])
    assert result.exit_code != 0
    assert result.stderr.startswith(f"{bad}:1: header must be 'code,name,kind,parent_code'")


def test_gbk_file_imports_chinese_names(runner, write, db, tmp_codes):
    result = runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS, "gbk"))])
    assert result.exit_code == 0, result.output
    roster = write("roster.csv", ROSTER.replace("张伟", "欧阳娜娜"), "gbk")
    result = runner.invoke(args=["lms", "import-roster", str(roster),
                                 "--codes-out", str(tmp_codes)])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(User.name).where(User.police_no == "100001")) == "欧阳娜娜"
    assert db.scalar(select(Unit.name).where(Unit.code == "S2")) == "木渎派出所"


def test_utf8_file_with_bom_imports(runner, write, db):
    result = runner.invoke(args=["lms", "import-units",
                                 str(write("units.csv", UNITS, "utf-8-sig"))])
    assert result.exit_code == 0, result.output
    assert db.scalar(select(Unit.name).where(Unit.code == "SZ")) == "市公安局"


def test_file_neither_utf8_nor_gbk_is_reported(runner, write):
    bad = write("bad.csv", "code,name,kind,parent_code\n", "utf-8")
    bad.write_bytes(bad.read_bytes() + b"SZ,\xff\xfe\xff,bureau,\n")
    result = runner.invoke(args=["lms", "import-units", str(bad)])
    assert result.exit_code != 0
    assert result.stderr.startswith(f"{bad}:1: file is neither UTF-8 nor GBK")


def test_reimport_changes_nothing_and_issues_no_codes(imported, runner, write, db, tmp_path):
    before = snapshot(db)
    result = runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS))])
    assert "0 created, 0 updated, 6 unchanged" in result.output
    codes_file = tmp_path / "again.csv"
    result = runner.invoke(args=["lms", "import-roster", str(write("roster.csv", ROSTER)),
                                 "--codes-out", str(codes_file)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 3 unchanged" in result.output
    assert codes_file.read_text("utf-8-sig").splitlines() == ["police_no,name,activation_code"]
    assert snapshot(db) == before


def test_changed_name_and_roles_update(imported, runner, write, db):
    changed = ROSTER.replace("张伟,B1,,1", "张卫,B1,officer;admin,1")
    result = runner.invoke(args=["lms", "import-roster", str(write("roster.csv", changed))])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 2 unchanged" in result.output
    user = db.execute(select(User.name, User.is_admin, User.session_version)
                      .where(User.police_no == "100001")).one()
    assert user == ("张卫", True, 2)  # a role change signs the old sessions out


def test_moving_a_unit_rewrites_its_subtree_paths(imported, runner, write, db):
    ids = dict(db.execute(select(Unit.code, Unit.id)).all())
    moved = UNITS.replace("S1,观前派出所,station,C1", "S1,观前派出所,station,C2")
    result = runner.invoke(args=["lms", "import-units", str(write("units.csv", moved))])
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 5 unchanged" in result.output
    after = paths(db)
    assert after["S1"] == f"/{ids['SZ']}/{ids['C2']}/{ids['S1']}/"
    assert after["B1"] == f"/{ids['SZ']}/{ids['C2']}/{ids['S1']}/{ids['B1']}/"
    assert after["S2"] == f"/{ids['SZ']}/{ids['C2']}/{ids['S2']}/"
    assert db.scalar(select(Unit.depth).where(Unit.code == "B1")) == 3


def test_new_accounts_without_a_codes_file_are_refused(runner, write, db):
    runner.invoke(args=["lms", "import-units", str(write("units.csv", UNITS))])
    users_before = db.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["lms", "import-roster", str(write("roster.csv", ROSTER))])
    assert result.exit_code == 1
    assert "--codes-out" in result.stderr and "Nothing was changed" in result.stderr
    assert db.scalar(select(func.count()).select_from(User)) == users_before
