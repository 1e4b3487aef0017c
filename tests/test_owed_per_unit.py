"""The reports' assigned counts per (unit, lesson) (`policy.owed_per_unit`, which counts
membership spans once per unit) equal the officer-by-officer rule (`policy.owed`) for any
membership history: joining, leaving, moving, the newcomer grace and deactivation between
the lessons' due times."""
import random
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from lms.domain.org import policy
from lms.models import Membership, User

DUE = [datetime(2026, 10, 4, 15, 59) + timedelta(days=7 * n) for n in range(5)]


def by_rule(db, lesson_ids, path=None) -> Counter:
    """(unit, lesson) → officers owing it, one officer at a time (`policy.owed`)."""
    owed = policy.owed(lesson_ids, path=path)
    return Counter((u, lesson) for _, u, lesson, _ in db.execute(select(owed)))


def per_unit(db, lesson_ids, path=None) -> Counter:
    owed = policy.owed_per_unit(lesson_ids, path=path)
    return Counter({(u, lesson): n for u, lesson, _, n in db.execute(select(owed))})


def test_per_unit_counts_equal_the_rule_for_any_history(db, make):
    t = make.tree()
    units = [t["branch_a"], t["branch_b"], t["station_a"], t["county_b"]]
    lessons = [make.lesson(publish_at=due - timedelta(days=6), due_at=due) for due in DUE]
    audience_only_a = make.lesson(publish_at=DUE[2] - timedelta(days=6), due_at=DUE[2],
                                  audience=[t["county_a"]])
    ids = [lesson.id for lesson in lessons] + [audience_only_a.id]
    rng = random.Random(15)
    # instants on, just before and just after each due time, and well outside them
    moments = [d + timedelta(seconds=s) for d in DUE for s in (-1, 0, 1)]
    moments += [DUE[0] - timedelta(days=30), DUE[-1] + timedelta(days=30)]
    for n in range(60):
        user = make.user(rng.choice(units))
        db.execute(delete(Membership).where(Membership.user_id == user.id))
        user.owes_from = None if n % 17 == 0 else rng.choice(moments)
        cuts = sorted(rng.sample(moments, rng.randrange(1, 4)))
        for start, end in zip(cuts, cuts[1:] + [None]):
            db.add(Membership(user_id=user.id, unit_id=rng.choice(units).id,
                              is_officer=rng.random() < 0.9, active=rng.random() < 0.85,
                              valid_from=start, valid_to=end))
    db.commit()
    assert len(set(db.scalars(select(User.owes_from)))) > 5
    for chosen in (ids, ids[:1], ids[1:4], [ids[2], ids[-1]]):
        assert per_unit(db, chosen) == by_rule(db, chosen)
        assert per_unit(db, chosen, t["county_a"].path) == by_rule(db, chosen,
                                                                   t["county_a"].path)
    assert per_unit(db, []) == Counter()
