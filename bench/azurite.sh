# Sourced by the benchmark scripts: starts an in-memory Azurite on free ports and sets AZURITE (its process id) and
# CONN (a connection string to its queues and tables). It is stopped when the sourcing script exits.
# Expects ROOT (the repository).
[[ -x "$ROOT/node_modules/.bin/azurite" ]] || (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
AZURITE_LOG="$(mktemp -t azurite-bench.XXXXXX.log)"
"$ROOT/node_modules/.bin/azurite" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose --silent \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort 0 --queuePort 0 --tablePort 0 >"$AZURITE_LOG" 2>&1 &
AZURITE=$!
trap 'kill $AZURITE 2>/dev/null || true; wait $AZURITE 2>/dev/null || true; rm -f "$AZURITE_LOG"' EXIT
Q="" T=""
for _ in $(seq 1 200); do
  Q=$(sed -n 's/.*Queue service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$AZURITE_LOG")
  T=$(sed -n 's/.*Table service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$AZURITE_LOG")
  [[ -n "$Q" && -n "$T" ]] && break
  kill -0 "$AZURITE" 2>/dev/null || { cat "$AZURITE_LOG" >&2; echo "Azurite did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$Q" && -n "$T" ]] || { echo "Azurite did not report its ports" >&2; exit 1; }
# Azurite's documented development account key: not a secret.
AZURITE_KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$AZURITE_KEY;QueueEndpoint=http://127.0.0.1:$Q/devstoreaccount1;TableEndpoint=http://127.0.0.1:$T/devstoreaccount1;"
