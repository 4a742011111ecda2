# `tilldesk backup` taken while another process writes yields a consistent
# file: integrity_check says ok and the copy holds a whole prefix of the
# writes (every organisation 1..N, no gaps, no half transaction).
. "$(dirname "$0")/lib.sh"

td init >/dev/null
td org add "Org 0" >/dev/null

(
	i=1
	while [ ! -e "$WORK/stop" ]; do
		td org add "Org $i" --owner "o$i@example.com" >/dev/null
		i=$((i + 1))
	done
) &
writer=$!

sleep 0.3
for n in 1 2 3 4 5; do
	td backup "$WORK/copy$n.db" >/dev/null
	[ -e "$WORK/copy$n.db.tmp" ] && fail "temporary file left behind"
	ok=$(sqlite3 "$WORK/copy$n.db" 'pragma integrity_check')
	expect_eq "$ok" "ok" "integrity of backup $n"
	consistent=$(sqlite3 "$WORK/copy$n.db" \
		"select count(*) = max(id) and (select count(*) from org_owners) = count(*) - 1 from orgs")
	expect_eq "$consistent" "1" "backup $n holds whole transactions"
	sleep 0.2
done
touch "$WORK/stop"
wait $writer

written=$(sqlite3 "$WORK/desk.db" 'select count(*) from orgs')
in_last=$(sqlite3 "$WORK/copy5.db" 'select count(*) from orgs')
[ "$written" -ge "$in_last" ] || fail "backup has more rows than the source"
[ "$in_last" -gt 1 ] || fail "the writer wrote nothing during the backups"
echo "ok: 5 backups during $written writes, all consistent"
