#!/usr/bin/env bash
# Voice calls starting all at once on a fresh in-memory Azurite, through the local Functions host (HTTP to the host,
# gRPC and the proxy to the worker, which runs in the load generator's process): each webhook's answer time for the
# call starts and the next steps of the same calls, and storage transactions per answer. Writes bench/results/voice.md;
# exits 1 if any answer was not 200 with documented TwiML.
#   bench/voice.sh [--calls 100] [--warmup 10]
#   BENCH_STORAGE='<connection string>' bench/voice.sh   (an Azure storage account instead of Azurite)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# BENCH_STORAGE: a connection string to a storage account to measure against instead of a local Azurite.
if [[ -n "${BENCH_STORAGE:-}" ]]; then
  CONN="$BENCH_STORAGE"; AZURITE=""
else
  source "$ROOT/bench/azurite.sh"
fi
dotnet build "$ROOT/bench/VoiceLoad/VoiceLoad.csproj" --nologo -c Release -v quiet >&2
mkdir -p "$ROOT/bench/results"
cd "$ROOT"
dotnet "$ROOT/bench/VoiceLoad/bin/Release/net10.0/VoiceLoad.dll" --storage "$CONN" ${AZURITE:+--azurite-pid "$AZURITE"} --out "$ROOT/bench/results/voice.md" "$@"
