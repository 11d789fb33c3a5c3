#!/usr/bin/env bash
# Sets up, creates a demo index (data/demo.db) from data/demo.jsonl and runs the service on it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
DB=data/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
build/discoveryctl --db "$DB" init --issuer dp.example
build/discoveryctl --db "$DB" import data/demo.jsonl
if [[ -x build/discoveryd ]]; then
  LISTEN=${LISTEN:-127.0.0.1:8080}
  echo
  echo "Try:  curl -s 'http://$LISTEN/v1/lookup?id=%2B14155552671' | python3 -m json.tool"
  echo "      build/mimi-lookup --server http://$LISTEN +14155552671"
  echo "      the lookup page: http://$LISTEN/ in a browser"
  echo "Stop with Ctrl-C."
  exec build/discoveryd --db "$DB" --listen "$LISTEN"
else
  build/discoveryctl --db "$DB" lookup +14155552671
fi
