#!/bin/sh
# Refresh the kiosk's translation source from the code, then compile it.
# Translate new entries in kiosk/i18n/kiosk_en.ts (pyside6-linguist, or by hand) in between.
set -e
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/pyside6-lupdate" kiosk/*.py kiosk/views/*.py -no-obsolete -source-language fr \
    -target-language en -ts kiosk/i18n/kiosk_en.ts
"$BIN/pyside6-lrelease" kiosk/i18n/kiosk_en.ts -qm kiosk/i18n/kiosk_en.qm
