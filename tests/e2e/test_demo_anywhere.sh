# The README's commands from any clone: as root in a directory of mode 0700
# (as /root is) that the service account cannot enter, the demo still holds
# the conversation and the end-to-end harness's daemon and admin commands
# work (they become nobody, who must never need the clone); and as an
# ordinary user (nobody, in a clone of its own) the demo works too.
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root (to try root's demo, which hands its database to nobody, and another user's)"
	exit 0
fi
case $BIN in */build-san/*)
	echo "skip: scripts/run.sh runs the plain build, which the plain pass has tried already"
	exit 0 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)

# The sources as they are, and the build with its times, so make has nothing to do.
copy_clone() {
	mkdir -p "$1"
	(cd "$root" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
		xargs -0 cp -a --parents -t "$1")
	[ ! -d "$root/build" ] || cp -a "$root/build" "$1/"
}

home=$WORK/home
copy_clone "$home/tilldesk"
chmod 700 "$home" "$WORK"
su nobody -s /bin/sh -c "test -x '$home/tilldesk'" 2>/dev/null && fail "nobody can enter $home"
bash "$home/tilldesk/tests/e2e/test_demo.sh" || fail "root's demo from $home/tilldesk"
TILLDESK_BIN=build/tilldesk python3 "$home/tilldesk/tests/e2e/test_privileges.py" \
	Privileges.test_admin_commands_run_as_root_become_the_service_account_and_the_daemon_goes_on ||
	fail "the harness from $home/tilldesk"

theirs=$(mktemp -d /tmp/tilldesk-e2e-user-XXXXXX)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$WORK" "$theirs"' EXIT
copy_clone "$theirs/tilldesk"
chown -R nobody: "$theirs"
su nobody -s /bin/sh -c "cd '$theirs/tilldesk' && HOME='$theirs' bash tests/e2e/test_demo.sh" ||
	fail "an ordinary user's demo from $theirs/tilldesk"
echo "ok: the demo from a clone nobody cannot enter, as root, and from an ordinary user's clone"
