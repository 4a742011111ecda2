# Shared by the end-to-end shell tests: a scratch directory, a config file
# pointing at a database inside it, and small assertions.
set -eu

BIN=${TILLDESK_BIN:-build/tilldesk}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
WORK=$(mktemp -d /tmp/tilldesk-e2e-XXXXXX)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$WORK"' EXIT
CFG=$WORK/tilldesk.ini
cat >"$CFG" <<INI
[general]
database = $WORK/desk.db
language = en
[telegram]
bot_username = till_help_bot
INI

td() { "$BIN" -c "$CFG" "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
