#!/usr/bin/env bash
# Voice calls starting all at once on a fresh in-memory Azurite, through the local Functions host (HTTP to the host,
# gRPC and the proxy to the worker, which runs in the load generator's process): each webhook's answer time for the
# call starts and the next steps of the same calls, and storage transactions per answer. Writes bench/results/voice.md;
# exits 1 if any answer was not 200 with documented TwiML.
#   bench/voice.sh [--calls 100] [--warmup 10]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ -x "$ROOT/node_modules/.bin/azurite" ]] || (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
LOG="$(mktemp -t azurite-bench.XXXXXX.log)"
"$ROOT/node_modules/.bin/azurite" --inMemoryPersistence --disableTelemetry --skipApiVersionCheck --silent \
  --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --blobPort 0 --queuePort 0 --tablePort 0 >"$LOG" 2>&1 &
AZURITE=$!
trap 'kill $AZURITE 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 100); do
  Q=$(sed -n 's/.*Queue service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$LOG")
  T=$(sed -n 's/.*Table service is successfully listening at http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$LOG")
  [[ -n "$Q" && -n "$T" ]] && break
  sleep 0.1
done
KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
CONN="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;QueueEndpoint=http://127.0.0.1:$Q/devstoreaccount1;TableEndpoint=http://127.0.0.1:$T/devstoreaccount1;"
dotnet build "$ROOT/bench/VoiceLoad/VoiceLoad.csproj" --nologo -c Release -v quiet >&2
mkdir -p "$ROOT/bench/results"
cd "$ROOT"
dotnet "$ROOT/bench/VoiceLoad/bin/Release/net10.0/VoiceLoad.dll" --storage "$CONN" --azurite-pid "$AZURITE" --out "$ROOT/bench/results/voice.md" "$@"
