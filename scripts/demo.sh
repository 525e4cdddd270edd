#!/usr/bin/env bash
# The demo behind `make demo`: the replica served over HTTP, crawled into a
# fresh SQLite archive, then a summary and a sample search.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
db=data/demo.db
# This demo's own sites file: another replica running (serve-fixtures writes
# data/replica-sites.toml by default) keeps its own. A stale one left by a
# killed demo of the same pid would look like a started server: removed first.
sites=data/replica-sites.$$.toml
rm -f "$db" "$db-wal" "$db-shm" "$sites"

mfa-archive serve-fixtures --sites-out "$sites" > data/replica.log 2>&1 &
server=$!
# SIGTERM: the server removes its sites file itself; rm in case it died first.
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$sites"' EXIT
for _ in $(seq 100); do [ -f "$sites" ] && break; sleep 0.1; done
[ -f "$sites" ] || { cat data/replica.log; echo "demo: the replica did not start" >&2; exit 1; }
cat data/replica.log

echo
echo "== mfa-archive crawl --db sqlite:///$db --sites $sites"
status=0
mfa-archive crawl --db "sqlite:///$db" --sites "$sites" || status=$?
# Exit 1 is expected here: the replica holds pages that must be rejected.
[ "$status" -le 1 ] || exit "$status"

echo
echo "== mfa-archive stats"
mfa-archive stats --db "sqlite:///$db"
echo
echo "== mfa-archive rejects"
mfa-archive rejects --db "sqlite:///$db"
echo
echo '== mfa-archive search "foreign terrorist fighters" --limit 3'
mfa-archive search "foreign terrorist fighters" --db "sqlite:///$db" --limit 3
echo
echo "The archive is $db; try: .venv/bin/mfa-archive search Bayramov --db sqlite:///$db"
