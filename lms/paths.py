"""Where the package's companion folders live."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
COURSES_DIR = PROJECT_DIR / "courses"
