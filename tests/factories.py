"""Test data factories: small, explicit, one call per thing a test needs."""
import itertools

from lms.domain.passwords import Passwords
from lms.models import Unit, User

_counter = itertools.count(1)
_hasher = Passwords(time_cost=1, memory_cost=8, parallelism=1)


class Factory:
    """Builds and commits rows; every object gets unique codes by default."""

    PASSWORD = "correct horse battery staple"
    _password_hash = None

    def __init__(self, db):
        self.db = db

    def unit(self, name: str | None = None, kind: str = "branch", parent: Unit | None = None,
             code: str | None = None) -> Unit:
        """A unit under `parent` with its materialized path."""
        n = next(_counter)
        unit = Unit(code=code or f"U{n:04d}", name=name or f"单位{n}", kind=kind,
                    parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0)
        self.db.add(unit)
        self.db.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        self.db.commit()
        return unit

    def tree(self) -> dict[str, Unit]:
        """A small bureau: city → two counties → a station each → a branch each."""
        city = self.unit("市公安局", "bureau", code="SZ")
        units = {"city": city}
        for label in ("a", "b"):
            county = self.unit(f"{label.upper()}县公安局", "county", city, code=f"C{label.upper()}")
            station = self.unit(f"{label.upper()}派出所", "station", county, code=f"S{label.upper()}")
            branch = self.unit(f"{label.upper()}派出所党支部", "branch", station,
                               code=f"B{label.upper()}")
            units.update({f"county_{label}": county, f"station_{label}": station,
                          f"branch_{label}": branch})
        return units

    def user(self, unit: Unit | None = None, roles=("officer",), police_no: str | None = None,
             name: str | None = None, password: str | None = PASSWORD, active: bool = True,
             party_member: bool = True) -> User:
        """A user with a password (the same cheap hash for all, computed once)."""
        if unit is None:
            unit = self.unit()
        n = next(_counter)
        if Factory._password_hash is None:
            Factory._password_hash = _hasher.hash(self.PASSWORD)
        pw_hash = None if password is None else (
            Factory._password_hash if password == self.PASSWORD else _hasher.hash(password))
        user = User(police_no=police_no or f"{100000 + n}", name=name or f"民警{n}",
                    unit_id=unit.id, party_member=party_member, active=active,
                    password_hash=pw_hash, **{f"is_{r}": True for r in roles})
        if "officer" not in roles:
            user.is_officer = False
        self.db.add(user)
        self.db.commit()
        return user
