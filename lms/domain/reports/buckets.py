"""Which units each row of a report sums: a subquery of (bucket_id, member_id) pairs, each
bucket mapped to the units of its subtree; no Flask.

Every member is also kept inside the report's own subtree, whose path the unit index
serves as a range: matching a bucket's path against every unit of the tree instead made a
bureau's 通报 inside a province compare 500 branches with all 6,511 units (3.3 M
comparisons, ~400 ms per statement; docs/PERFORMANCE.md, province scale)."""
from sqlalchemy import select, union_all
from sqlalchemy.orm import aliased

from ...models import Unit


def _subtrees(bucket, root_path: str, *conditions):
    member = aliased(Unit)
    return (select(bucket.id.label("bucket_id"), member.id.label("member_id"))
            .join(member, member.path.startswith(bucket.path))
            .where(member.path.startswith(root_path, autoescape=True), *conditions))


def of_children(unit: Unit):
    """Per child of `unit` its subtree, and under `unit.id` the unit itself (the officers
    attached to it directly)."""
    child = aliased(Unit)
    return union_all(
        _subtrees(child, unit.path, child.parent_id == unit.id),
        select(Unit.id.label("bucket_id"), Unit.id.label("member_id")).where(Unit.id == unit.id),
    ).subquery("buckets")


def of_kind(root: Unit, kind: str):
    """Per unit of `kind` in `root`'s subtree (a party branch, say) its subtree."""
    bucket = aliased(Unit)
    return _subtrees(bucket, root.path, bucket.kind == kind,
                     bucket.path.startswith(root.path, autoescape=True)).subquery("buckets")


def whole(root: Unit):
    """`root`'s subtree as one bucket per unit (each unit its own member)."""
    return select(Unit.id.label("bucket_id"), Unit.id.label("member_id")).where(
        Unit.path.startswith(root.path, autoescape=True)).subquery("buckets")
