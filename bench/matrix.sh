#!/usr/bin/env bash
# Matrix identity surface benchmark (issue 12), on an index of N identifiers (default 1,000,000):
#  1. `discoveryctl matrix rotate-pepper` (the new pepper's hashes of every phone and email, one
#     transaction), against a baseline in the same run: Python's hashlib hashing the same number of
#     "<address> <medium> <pepper>" strings (the hashing alone), and the import of the index.
#  2. lookups during a rotation: the longest POST /_matrix/identity/v2/lookup while rotating,
#     against the longest one before it (a rotation must never block lookups).
#  3. a sha256 lookup of 1,000 addresses against a /v1 batch of the same identifiers (limiter off),
#     medians of alternating runs (acceptance: matrix/v1 <= 1.5).
# Usage: bench/matrix.sh [ROWS] [RUNS]   (env: BUILD, the build folder, default build)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
source bench/lib.sh
OUT=bench/out/matrix
mkdir -p "$OUT"
cmake --build "$BUILD" --target discoveryd discoveryctl -j2 >/dev/null
# The index: N identifiers, half emails and half Berlin phone numbers, each with a Matrix user;
# made once and kept as $OUT/master_N.db, copied for each run (a rotation adds a pepper's hashes).
MASTER=$OUT/master_$N.db
if [[ ! -s $MASTER.ok ]]; then
  rm -f "$MASTER" "$MASTER"-*
  awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) {
      id = (i % 2) ? sprintf("+4930%08d", 10000000 + i) : sprintf("user%d@bench.example", i)
      printf "{\"identifier\": \"%s\", \"provider\": \"matrix.example\", \"user\": \"matrix:u/u%d:matrix.example\"}\n", id, i } }' \
    >"$OUT/rows.jsonl"
  "$BUILD/discoveryctl" --db "$MASTER" init --issuer bench.example >/dev/null
  t0=$SECONDS
  "$BUILD/discoveryctl" --db "$MASTER" import "$OUT/rows.jsonl" >/dev/null
  "$BUILD/discoveryctl" --db "$MASTER" token create --role client --name bench | tail -1 >"$MASTER.token"
  # The first pepper, which discoveryd would otherwise make (and hash) before it listens.
  "$BUILD/discoveryctl" --db "$MASTER" matrix rotate-pepper >/dev/null
  echo "imported in $((SECONDS - t0)) s on $(date -u +%F)" >"$MASTER.ok"
fi
cp "$MASTER" "$OUT/index.db"
DB=$OUT/index.db
TOKEN=$(cat "$MASTER.token")
now() { date +%s.%N; }

echo '{"rate_limits": {"enabled": false}, "matrix": {"pepper_rotation_s": 0, "pepper_grace_s": 600}}' >"$OUT/config.json"
start "$BUILD/discoveryd" "$DB" "$OUT/config.json"
PORT=$START_PORT
ADDRS=$(python3 -c "
import sqlite3
c = sqlite3.connect('file:$DB?mode=ro', uri=True)
print(c.execute(\"SELECT count(DISTINCT identifier) FROM mappings WHERE identifier LIKE 'tel:+%' OR identifier LIKE 'mailto:%'\").fetchone()[0])")
echo "index: $N rows, $ADDRS phone and email identifiers"

# The client: lookups in a loop, each timed; prints the longest in ms (stops at $OUT/stop).
cat >"$OUT/client.py" <<'PY'
import hashlib, base64, json, os, sys, time, urllib.request
port, token, ids_file, stop, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ids = [l.strip() for l in open(ids_file) if l.strip()][:1000]
def call(path, body, method="POST"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body is not None else None,
                                 method=method, headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())
def addresses(pepper):
    out = []
    for i in ids:
        if i.startswith("tel:+"): a, m = i[5:], "msisdn"
        else: a, m = i[7:], "email"
        out.append(base64.urlsafe_b64encode(hashlib.sha256(f"{a} {m} {pepper}".encode()).digest()).decode().rstrip("="))
    return out
def matrix_once():
    pepper = call("/_matrix/identity/v2/hash_details", None, "GET")["lookup_pepper"]
    hashes = addresses(pepper)
    t0 = time.perf_counter()
    r = call("/_matrix/identity/v2/lookup", {"addresses": hashes, "algorithm": "sha256", "pepper": pepper})
    return time.perf_counter() - t0, len(r["mappings"])
def v1_once():
    t0 = time.perf_counter()
    r = call("/v1/lookup", {"identifiers": ids, "federate": False})
    return time.perf_counter() - t0, sum(1 for x in r["results"] if x.get("status") == "found")
if mode == "loop":
    worst, n = 0.0, 0
    while not os.path.exists(stop):
        t0 = time.perf_counter()
        call("/_matrix/identity/v2/lookup", {"addresses": ["x"], "algorithm": "sha256",
             "pepper": call("/_matrix/identity/v2/hash_details", None, "GET")["lookup_pepper"]})
        worst = max(worst, time.perf_counter() - t0); n += 1
    print(f"{worst * 1000:.1f} {n}")
elif mode == "ab":
    runs = int(stop)
    m, v = [], []
    for _ in range(runs):
        t, found_m = matrix_once(); m.append(t)
        t, found_v = v1_once(); v.append(t)
    m.sort(); v.sort()
    print(f"{m[len(m)//2]*1000:.1f} {v[len(v)//2]*1000:.1f} {found_m} {found_v}")
elif mode == "hash":
    pepper = "x" * 43
    t0 = time.perf_counter()
    for k in range(int(stop)):
        base64.urlsafe_b64encode(hashlib.sha256(f"{4155550000 + k} msisdn {pepper}".encode()).digest())
    print(f"{time.perf_counter() - t0:.2f}")
PY
# 1000 identifiers of the index, phones and emails.
python3 -c "
import sqlite3
c = sqlite3.connect('file:$DB?mode=ro', uri=True)
for (i,) in c.execute(\"SELECT DISTINCT identifier FROM mappings WHERE identifier LIKE 'tel:+%' OR identifier LIKE 'mailto:%' LIMIT 1000 OFFSET 5000\"): print(i)" >"$OUT/ids.txt"

rot=() hsh=()
for ((i = 1; i <= RUNS; i++)); do
  rm -f "$OUT/stop"
  python3 "$OUT/client.py" "$PORT" "$TOKEN" "$OUT/ids.txt" "$OUT/stop" loop >"$OUT/quiet.txt" &
  q=$!; sleep 2; touch "$OUT/stop"; wait $q
  rm -f "$OUT/stop"
  python3 "$OUT/client.py" "$PORT" "$TOKEN" "$OUT/ids.txt" "$OUT/stop" loop >"$OUT/during.txt" &
  d=$!
  t0=$(now)
  /usr/bin/time -f '%U %S' -o "$OUT/cpu.txt" "$BUILD/discoveryctl" --db "$DB" matrix rotate-pepper >/dev/null
  t1=$(now)
  read -r cu cs <"$OUT/cpu.txt"
  touch "$OUT/stop"; wait $d
  h=$(python3 "$OUT/client.py" "$PORT" "$TOKEN" "$OUT/ids.txt" "$ADDRS" hash)
  r=$(echo "$t1 - $t0" | bc -l)
  rot+=("$r") hsh+=("$h")
  read -r qw qn <"$OUT/quiet.txt"; read -r dw dn <"$OUT/during.txt"
  printf 'run %d: rotation %.2f s (CPU: user %s s, system %s s) | hashlib alone %.2f s | lookups: longest %s ms in 2 s before (%s), %s ms during (%s)\n' \
    "$i" "$r" "$cu" "$cs" "$h" "$qw" "$qn" "$dw" "$dn"
done
mr=$(printf '%s\n' "${rot[@]}" | median)
mh=$(printf '%s\n' "${hsh[@]}" | median)
printf 'rotation, median of %d runs over %s identifiers: %.2f s (acceptance: < 10 s); hashlib alone %.2f s; import of the index: %s\n' \
  "$RUNS" "$ADDRS" "$mr" "$mh" "$(cat "$MASTER.ok")"
read -r mm mv fm fv < <(python3 "$OUT/client.py" "$PORT" "$TOKEN" "$OUT/ids.txt" 15 ab)
printf 'sha256 lookup of 1000 addresses: median %s ms (%s found); /v1 batch of the same: %s ms (%s found); ratio %.2f (acceptance: <= 1.5)\n' \
  "$mm" "$fm" "$mv" "$fv" "$(echo "$mm / $mv" | bc -l)"
printf 'result rotation_s=%.2f hashlib_s=%.2f matrix_ms=%s v1_ms=%s\n' "$mr" "$mh" "$mm" "$mv"
stop "$START_PID"
rm -f "$DB" "$DB"-*
