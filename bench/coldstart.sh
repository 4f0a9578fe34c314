#!/usr/bin/env bash
# Cold start of the handler against the empty ASP.NET Core app (the `dotnet new web` template): process start to
# the first HTTP 200 on GET /, median of N runs, both published the same way and run on this machine.
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

WORK="$(mktemp -d -t hotline-coldstart.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT

# The same publish options for both apps: self-contained linux-x64, ReadyToRun, Release.
PUBLISH_OPTS=(-c Release -r linux-x64 --self-contained true -p:PublishReadyToRun=true)

echo "Packaging the handler..." >&2
"$ROOT/hotline" package --output "$WORK/ours" >/dev/null

echo "Publishing the empty app..." >&2
dotnet publish "$BENCH/EmptyApp/EmptyApp.csproj" --nologo "${PUBLISH_OPTS[@]}" -o "$WORK/empty" >&2

echo "Building the measuring tool..." >&2
dotnet build "$BENCH/ColdStart/ColdStart.csproj" --nologo -c Release -v quiet >&2

# Ours is started as the Azure Functions host starts it: the port in FUNCTIONS_CUSTOMHANDLER_PORT, the package
# folder as working directory. GET / touches no storage, so the development connection string is enough.
# Both apps run in Development: ours needs it for the local secrets file, and the empty app then pays the same
# environment's startup costs (it is also how the template runs locally).
dotnet "$BENCH/ColdStart/bin/Release/net10.0/ColdStart.dll" \
  --runs "$RUNS" --timeout 30 --goal 1.5 \
  --out "$BENCH/results/coldstart.md" \
  --nproc "$(nproc)" \
  --note "published: dotnet publish ${PUBLISH_OPTS[*]} (ours via ./hotline package)" \
  --note "source: $(git -C "$ROOT" rev-parse --short HEAD)$([[ -z "$(git -C "$ROOT" status --porcelain -- src)" ]] || echo ' with uncommitted changes in src/')" \
  --app ours --exe "$WORK/ours/Hotline.Functions" --cwd "$WORK/ours" \
    --env 'FUNCTIONS_CUSTOMHANDLER_PORT={port}' \
    --env ASPNETCORE_ENVIRONMENT=Development \
    --env AzureWebJobsStorage=UseDevelopmentStorage=true \
    --env "Secrets__LocalFile=$WORK/secrets.json" \
  --app empty --exe "$WORK/empty/EmptyApp" --cwd "$WORK/empty" \
    --env 'ASPNETCORE_URLS=http://127.0.0.1:{port}' \
    --env ASPNETCORE_ENVIRONMENT=Development
