# The README's commands from a clone the service account cannot enter: as
# root, in a directory of mode 0700 as /root is, the demo still holds the
# conversation, and the end-to-end harness's daemon and admin commands work
# (they become nobody, who must never need the clone).
. "$(dirname "$0")/lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root (only root's demo hands its database to nobody)"
	exit 0
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
home=$WORK/home
clone=$home/tilldesk
mkdir -p "$clone"
chmod 700 "$home" "$WORK"
# The sources as they are, and the build with its times, so make has nothing to do.
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	xargs -0 cp -a --parents -t "$clone")
[ ! -d "$root/build" ] || cp -a "$root/build" "$clone/"
su nobody -s /bin/sh -c "test -x '$clone'" 2>/dev/null && fail "nobody can enter $clone"
bash "$clone/tests/e2e/test_demo.sh" || fail "the demo from $clone"
TILLDESK_BIN=build/tilldesk python3 "$clone/tests/e2e/test_privileges.py" \
	Privileges.test_admin_commands_run_as_root_become_the_service_account_and_the_daemon_goes_on ||
	fail "the harness from $clone"
echo "ok: the demo and the harness from a clone nobody cannot enter"
