"""Where the package's data lives: everything needed at run time is inside the package
(so a wheel works), except the sample course folder, which belongs to a checkout."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
COURSES_DIR = PROJECT_DIR / "courses"  # the checkout's sample content
