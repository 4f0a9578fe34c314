#!/usr/bin/env bash
# Cold start of the hotline against a minimal isolated-worker app (bench/EmptyWorker), both published the same way
# and started by the local Functions host as a worker process: host start to the first HTTP 200 from /api/health,
# median of N runs, plus the worker's own start (launch to connected, launch to every function loaded).
#   bench/coldstart.sh [--runs N]
# Prints a markdown table and writes it to bench/results/coldstart.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
RUNS=10
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    *) echo "coldstart: unknown option '$1'" >&2; exit 2 ;;
  esac
done

[[ -x "$ROOT/node_modules/.bin/azurite" ]] || (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
WORK="$(mktemp -d -t hotline-coldstart.XXXXXX)"
AZURITE=""
cleanup() {
  if [[ -n "$AZURITE" ]]; then
    kill "$AZURITE" 2>/dev/null || true
    wait "$AZURITE" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The same publish options for both apps: what ./hotline package uses (Release, linux-x64, framework-dependent,
# ReadyToRun).
PUBLISH_OPTS=(-c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true)

echo "Packaging the hotline..." >&2
"$ROOT/hotline" package --output "$WORK/ours" >/dev/null

echo "Publishing the empty worker..." >&2
dotnet publish "$BENCH/EmptyWorker/EmptyWorker.csproj" --nologo -v quiet "${PUBLISH_OPTS[@]}" -o "$WORK/empty" >&2

echo "Building the measuring tool..." >&2
dotnet build "$BENCH/ColdStart/ColdStart.csproj" --nologo -c Release -v quiet >&2

# /api/health of the hotline answers 200 only when its tables, queues and secret store answer: an in-memory Azurite
# on free ports, as ./hotline test starts it.
"$ROOT/node_modules/.bin/azurite" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --loose --silent \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort 0 --queuePort 0 --tablePort 0 \
  >"$WORK/azurite.log" 2>&1 &
AZURITE=$!
Q="" T=""
for _ in $(seq 1 200); do
  Q=$(sed -n 's/.*Queue service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/azurite.log")
  T=$(sed -n 's/.*Table service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/azurite.log")
  [[ -n "$Q" && -n "$T" ]] && break
  kill -0 "$AZURITE" 2>/dev/null || { cat "$WORK/azurite.log" >&2; echo "coldstart: Azurite did not start" >&2; exit 1; }
  sleep 0.1
done
[[ -n "$Q" && -n "$T" ]] || { echo "coldstart: Azurite did not report its ports" >&2; exit 1; }
KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;QueueEndpoint=http://127.0.0.1:$Q/devstoreaccount1;TableEndpoint=http://127.0.0.1:$T/devstoreaccount1;"

# Both apps run in Development (the hotline needs it for its local secrets file; the empty worker then pays the same
# environment's startup costs). The hotline gets tables of its own (a fresh prefix), provisioned by the warm-up run.
echo "Load before measuring: $(uptime)" >&2
dotnet "$BENCH/ColdStart/bin/Release/net10.0/ColdStart.dll" \
  --runs "$RUNS" --timeout 60 --goal 1.3 \
  --out "$BENCH/results/coldstart.md" \
  --nproc "$(nproc)" \
  --note "published: dotnet publish ${PUBLISH_OPTS[*]} (the hotline via ./hotline package)" \
  --note "source: $(git -C "$ROOT" rev-parse --short HEAD)$([[ -z "$(git -C "$ROOT" status --porcelain -- functions src bench/EmptyWorker)" ]] || echo ' with uncommitted changes')" \
  --app hotline --script-root "$WORK/ours" --path api/health \
    --setting "AzureWebJobsStorage=$CONN" \
    --setting AZURE_FUNCTIONS_ENVIRONMENT=Development \
    --setting "Secrets__LocalFile=$WORK/secrets.json" \
    --setting "Storage__TablePrefix=cs$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')" \
  --app empty --script-root "$WORK/empty" --path api/health \
    --setting AZURE_FUNCTIONS_ENVIRONMENT=Development
echo "Load after measuring: $(uptime)" >&2
