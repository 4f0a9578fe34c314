#!/usr/bin/env bash
# Inbound SMS under sustained load on a fresh in-memory Azurite, through the local Functions host (HTTP to the host,
# gRPC and the proxy to the worker, which runs in the load generator's process): webhook latency, inbound-to-offered
# time and storage transactions per message. Writes bench/results/sms.md.
#   bench/sms.sh [--rate 100] [--seconds 20] [--callers 200]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/azurite.sh"
dotnet build "$ROOT/bench/SmsLoad/SmsLoad.csproj" --nologo -c Release -v quiet >&2
mkdir -p "$ROOT/bench/results"
cd "$ROOT"
dotnet "$ROOT/bench/SmsLoad/bin/Release/net10.0/SmsLoad.dll" --storage "$CONN" --out "$ROOT/bench/results/sms.md" "$@"
