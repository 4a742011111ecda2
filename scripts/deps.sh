#!/bin/sh
# Installs the Debian packages tilldesk's build and tests need, if any is
# missing. Idempotent and non-interactive; needs root (or sudo) only when
# something is actually missing.
set -eu

PACKAGES="build-essential pkg-config libinih-dev libsqlite3-dev libcurl4-openssl-dev
libjson-c-dev libpcre2-dev libssl-dev libstemmer-dev libsystemd-dev libcmocka-dev libmicrohttpd-dev sqlite3 tzdata python3 ca-certificates curl iproute2"
# The agent's end-to-end clock test sets the till's clock off with libfaketime.
PACKAGES="$PACKAGES faketime"
# E-mail: GMime and libESMTP (mail/); the tests' SMTP server and their certificates.
PACKAGES="$PACKAGES libgmime-3.0-dev libesmtp-dev python3-aiosmtpd openssl"
# E-mail in: the tests' IMAP server (tests/e2e/imap_harness.py) and setpriv to start it as nobody.
PACKAGES="$PACKAGES dovecot-imapd util-linux"

# The digest's end-to-end test renders its HTML letter with headless Chromium.
PACKAGES="$PACKAGES chromium-headless-shell"

# make fuzz: clang and its libFuzzer runtime (tests/fuzz/README.md).
PACKAGES="$PACKAGES clang libclang-rt-14-dev"
missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo -n"
else
	echo "deps: missing$missing; run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine may be empty or stale: retry after update.
$as_root apt-get install -y -q --no-install-recommends $missing ||
	{ $as_root apt-get update -q && $as_root apt-get install -y -q --no-install-recommends $missing; }
