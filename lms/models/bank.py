"""Question banks (题库): shared questions that quizzes draw from by tag (docs/BANKS.md)."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class QuestionBank(Base):
    """A named set of questions; its questions are `Question` rows with `bank_id` set."""

    __tablename__ = "lms_question_bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Like courseware: a bank read from courses/banks/<key>.yml keeps its file's path and
    # hash; one made by an Excel import has none.
    source_path: Mapped[str | None] = mapped_column(String(255))
    source_hash: Mapped[str | None] = mapped_column(String(64))
