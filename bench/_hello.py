"""The ceiling apps that DESIGN §6's ratios divide by (bench/calibrate.py serves them):
bare Flask returning a small JSON object (`/`), and, when BENCH_DATABASE_URL is set, bare
Flask doing one INSERT + COMMIT to PostgreSQL per request (`/insert`, NOTES.md's setup:
Flask-SQLAlchemy, expire_on_commit off, no pre-ping) and bare Flask serving the least a
signed-in HTML page does (`/page`: the signed cookie session, a CSRF token, one SELECT by
primary key, a Jinja page as large as the officer's lesson page; `/sign-in` gives its
cookie)."""
import os

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The smallest useful JSON answer."""
    return {"hello": "world"}


if os.environ.get("BENCH_DATABASE_URL"):
    from datetime import datetime

    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import DateTime
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["BENCH_DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1)
    db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
    db.init_app(app)

    class CeilingRow(db.Model):
        """One row per request (bench_ceiling, created by calibrate.py)."""

        __tablename__ = "bench_ceiling"
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime] = mapped_column(DateTime)

    @app.get("/insert")
    def insert():
        """One INSERT and its COMMIT."""
        row = CeilingRow(at=datetime.utcnow())
        db.session.add(row)
        db.session.commit()
        return {"id": row.id}

    from flask import abort, render_template, session
    from flask_wtf.csrf import CSRFProtect, generate_csrf
    from markupsafe import Markup

    app.secret_key = os.environ.get("BENCH_CEILING_KEY", "ceiling-" + "7" * 56)
    CSRFProtect(app)
    PAGE_ROW = 0  # calibrate.py inserts it (the serial ids start at 1)
    # A lesson-sized article, rendered once as the LMS renders its fragments once.
    ARTICLE = Markup("".join(
        f"<h2>第{n}部分</h2><p>{'忠诚、干净、担当，坚持政治建警、从严治警。' * 8}</p>"
        for n in range(1, 18)))

    @app.get("/sign-in")
    def sign_in():
        """The cookie the page's requests send: a signed-in session with its CSRF secret."""
        session["uid"] = PAGE_ROW
        generate_csrf()
        return {"signed_in": True}

    @app.get("/page")
    def page():
        """A signed-in page: who the session names, their row, the page with CSRF tokens."""
        uid = session.get("uid")
        if uid is None:
            abort(401)
        row = db.session.get(CeilingRow, uid)
        if row is None:
            abort(404)
        return render_template("ceiling_page.html", row=row, article=ARTICLE)
