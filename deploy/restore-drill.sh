#!/usr/bin/env bash
# restore-drill.sh SOURCE_URL — prove a backup restores: dump SOURCE_URL, restore
# the dump into a new database, check that the restored copy holds the same rows and that
# the app's /readyz answers 200 on it, then drop the copy. Exit 0 only if all of that holds.
# PYTHON is the interpreter that has the lms package installed (default: python3).
set -euo pipefail
source_url=${1:?postgresql://user@host:port/database}
python=${PYTHON:-python3}
server=${source_url%/*}
copy="lms_restore_drill_$(date +%s)_$$"
work=$(mktemp -d)
trap 'dropdb --if-exists --maintenance-db="$server/postgres" "$copy"; rm -rf "$work"' EXIT

pg_dump --format=custom --no-owner --file="$work/drill.dump" "$source_url"
createdb --maintenance-db="$server/postgres" "$copy"
pg_restore --no-owner --exit-on-error --dbname="$server/$copy" "$work/drill.dump"

count_rows() {
  psql -tA "$1" -c "SELECT string_agg(t || '=' || n, ' ' ORDER BY t) FROM (
      SELECT 'users' AS t, count(*) AS n FROM lms_user UNION ALL
      SELECT 'units', count(*) FROM lms_unit UNION ALL
      SELECT 'completions', count(*) FROM lms_completion UNION ALL
      SELECT 'attempts', count(*) FROM lms_attempt UNION ALL
      SELECT 'ledger', count(*) FROM lms_points_ledger) AS c"
}
before=$(count_rows "$source_url"); after=$(count_rows "$server/$copy")
if [ "$before" != "$after" ]; then
  echo "restore-drill: rows differ: source $before, restored $after"; exit 1
fi
DATABASE_URL="$server/$copy" $python - <<'PY'
import sys
from lms import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "restore-drill-" + "x" * 32})
answer = app.test_client().get("/readyz")
print(f"restore-drill: /readyz on the restored copy answered {answer.status_code} {answer.json}")
sys.exit(answer.status_code != 200)
PY
echo "restore-drill: restored $after; ok"
