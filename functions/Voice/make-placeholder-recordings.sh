#!/usr/bin/env bash
# Makes machine-spoken placeholder recordings of one language's voice prompts from its caller texts, for a language
# no Twilio voice speaks, so the voice line is never silent in it. An NGO replaces them with a native speaker's
# recordings (same file names). Needs espeak-ng, lame and python3 (Debian: apt-get install espeak-ng lame python3).
#
#   functions/Voice/make-placeholder-recordings.sh sq 7 112
#     sq  the language (its texts file and espeak-ng voice)
#     7   its key in the language menu (the recorded menu option says it: LanguageMenuOption-7.mp3)
#     112 the emergency number the "nobody answered" prompt says (Hotline__EmergencyNumber)
set -euo pipefail
language=${1:?language}; key=${2:?menu key}; emergency=${3:-112}
here=$(cd "$(dirname "$0")" && pwd)
texts="$here/../Texts/$language.json"
out="$here/Recordings/$language"
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

text() { # the text of a key, placeholders filled
  python3 - "$texts" "$1" "$key" "$emergency" <<'PY'
import json, sys
texts, name, key, emergency = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], sys.argv[3], sys.argv[4]
digit = {"*": texts["VoiceStarKey"], "#": texts["VoiceHashKey"]}.get(key, key)
print(texts[name].replace("{Digit}", digit).replace("{EmergencyNumber}", emergency))
PY
}

speak() { # text, file name: 16 kb/s mono MP3, small enough to ship and clear enough on a phone line
  espeak-ng -v "$language" -s 150 -w "$tmp/p.wav" "$1"
  lame --quiet -m m -b 16 --resample 16 "$tmp/p.wav" "$out/$2.mp3"
}

for prompt in Safety Waiting NobodyAnswered VoicemailInstructions VoicemailSaved CallbackNoted Goodbye NoChoice \
    CallbackMornings CallbackAfternoons CallbackEvenings CallbackAnyTime CallbackMessage CallbackNoNumber CallbackConfirmed CallbackNotArranged; do
  speak "$(text "Voice$prompt")" "$prompt"
done
case "$key" in '*') name=star ;; '#') name=hash ;; *) name=$key ;; esac
speak "$(text VoiceLanguageMenuOption)" "LanguageMenuOption-$name"
ls -l "$out"
