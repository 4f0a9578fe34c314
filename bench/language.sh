#!/usr/bin/env bash
# Language detection accuracy on the held-out evaluation set (bench/language/eval): per language and overall.
# Writes bench/results/language.md. Exits non-zero when overall accuracy is below 95%.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dotnet build "$ROOT/bench/language/LanguageAccuracy/LanguageAccuracy.csproj" --nologo -c Release -v quiet >&2
mkdir -p "$ROOT/bench/results"
dotnet "$ROOT/bench/language/LanguageAccuracy/bin/Release/net10.0/LanguageAccuracy.dll" \
  "$ROOT/bench/language/eval" --out "$ROOT/bench/results/language.md"
