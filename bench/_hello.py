"""The ceiling apps that DESIGN §6's ratios divide by (bench/calibrate.py serves them):
bare Flask returning a small JSON object (`/`), and bare Flask doing one INSERT + COMMIT to
PostgreSQL per request (`/insert`, NOTES.md's setup: Flask-SQLAlchemy, expire_on_commit off,
no pre-ping) when BENCH_DATABASE_URL is set."""
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
