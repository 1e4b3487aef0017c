#!/usr/bin/env bash
# backup.sh DATABASE DIR DAYS — pg_dump in custom format (compressed, restorable table by
# table) to DIR/DATABASE-YYYYmmdd-HHMM.dump, then delete dumps older than DAYS.
set -euo pipefail
db=${1:?database}; dir=${2:?directory}; days=${3:-14}
mkdir -p "$dir"
file="$dir/$db-$(date +%Y%m%d-%H%M).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$db"
mv "$file.partial" "$file"   # a half-written dump never looks like a backup
find "$dir" -name "$db-*.dump" -mtime "+$days" -delete
echo "backup: $file ($(du -h "$file" | cut -f1))"
