# Silences and alerts from the admin's chair: silence a till for the
# evening's work, a store's fiscal drive codes for a planned night, an УТМ
# code for a minute; list them, remove one early; every mistake refused
# with its reason and nothing written. Then the alerts the alerting wrote
# (rows put in as it writes them): listed firing first, shown with their
# history and the silences over them.
. "$(dirname "$0")/lib.sh"
td init >/dev/null
td org add "Ромашка" >/dev/null
td store add "Ромашка на Ленина" --org "Ромашка" --tz Europe/Moscow --hours 24/7 >/dev/null
td store add "Ромашка у моря" --org "Ромашка" --tz Asia/Vladivostok --hours 24/7 >/dev/null
td till add "Касса 1" --store "Ромашка на Ленина" >/dev/null
td till add "Касса 1" --store "Ромашка у моря" >/dev/null
td till add "Касса 2" --store "Ромашка у моря" >/dev/null
silences() { sqlite3 "$WORK/desk.db" "select count(*) from silences"; }
admin=$(logname 2>/dev/null || id -un)

# Refused, each with its reason, and nothing written.
refused() {   # refused EXIT TEXT ARGS...: exits EXIT and says TEXT on stderr
	want=$1 text=$2
	shift 2
	rc=0
	td "$@" >"$WORK/out" 2>"$WORK/err" || rc=$?
	[ "$rc" = "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$WORK/err")"
	grep -qF -- "$text" "$WORK/err" || fail "'$*' said: $(cat "$WORK/err"), not '$text'"
}
refused 2 "say what to silence: --till, --store or --code" silence add --for 2h --comment "работы"
refused 2 "say how long" silence add --store "Ромашка у моря" --comment "работы"
refused 2 "--for '0': a silence must last longer than zero" silence add --store "Ромашка у моря" --for 0 --comment x
refused 2 "duration '2x': use 90s, 15m, 4h, 2d" silence add --store "Ромашка у моря" --for 2x --comment x
refused 2 "say why: --comment TEXT" silence add --store "Ромашка у моря" --for 2h
refused 2 "code 'FN.*': use an agent's code" silence add --code "FN.*" --for 2h --comment x
refused 2 "code '*'" silence add --code "*" --for 2h --comment x
refused 1 "store 'Ромашка на Пушкина' not found" silence add --store "Ромашка на Пушкина" --for 2h --comment x
refused 1 "till 'Касса 9' not found" silence add --till "Касса 9" --for 2h --comment x
refused 1 "till 'Ромашка на Ленина/Касса 2' not found" silence add --till "Ромашка на Ленина/Касса 2" --for 2h --comment x
refused 1 "till 'Касса 1' is in several stores: write 'STORE/TILL' or its id" silence add --till "Касса 1" --for 2h --comment x
refused 2 "start --from '26.11.2026 22:00'" silence add --code fn.state --for 2h --from "26.11.2026 22:00" --comment x
refused 2 "the silence would end at 2020-01-01 02:00 UTC, which has passed" \
	silence add --code fn.state --for 2h --from "2020-01-01 00:00" --comment x
refused 2 "unknown option '--all'" silence add --all
expect_eq "$(silences)" "0" "silences after the refusals"

# Added: each prints its id, what it covers and when, by the store's clock.
td silence add --till "Ромашка на Ленина/Касса 1" --for 2h --comment "меняют ФН" >"$WORK/out"
grep -q "^Silence #1 added: till 'Ромашка на Ленина/Касса 1'; 20..-..-.. ..:.. – .*MSK\.$" "$WORK/out" ||
	fail "till silence: $(cat "$WORK/out")"
td silence add --store "Ромашка у моря" --code 'fn.*' --for 1d --from "2030-01-01 22:00" \
	--comment "плановая замена ФН ночью" >"$WORK/out"
grep -qF "Silence #2 added: store 'Ромашка у моря', code fn.*; 2030-01-01 22:00 – 2030-01-02 22:00 +10." "$WORK/out" ||
	fail "store silence: $(cat "$WORK/out")"
td silence add --code utm.down --for 90s --comment "УТМ перезапускают" | grep -q "^Silence #3 added: code utm.down; " ||
	fail "code silence"
# A till's id works as well as its store and name.
id=$(sqlite3 "$WORK/desk.db" "select t.id from tills t join stores s on s.id = t.store_id where s.name = 'Ромашка у моря' and t.name = 'Касса 2'")
td silence add --till "$id" --for 15m --comment "касса 2" | grep -q "^Silence #4 added: till 'Ромашка у моря/Касса 2'; " ||
	fail "till by id"
expect_eq "$(sqlite3 "$WORK/desk.db" "select created_by from silences where id = 1")" "$admin" "who added it"
expect_eq "$(sqlite3 "$WORK/desk.db" "select ends_at - starts_at from silences where id = 1")" "7200" "--for 2h"

td silence list >"$WORK/list"
expect_eq "$(sed -n 1p "$WORK/list" | tr -s ' ')" "id state covers when by comment" "list header"
grep -q "^1 *active *till 'Ромашка на Ленина/Касса 1' .* MSK *$admin *меняют ФН$" "$WORK/list" ||
	fail "list row 1: $(cat "$WORK/list")"
grep -q "^2 *scheduled *store 'Ромашка у моря', code fn.\* *2030-01-01 22:00 – 2030-01-02 22:00 +10 *$admin *плановая замена ФН ночью$" "$WORK/list" ||
	fail "list row 2: $(cat "$WORK/list")"
grep -q "^3 *active *code utm.down .* UTC " "$WORK/list" || fail "list row 3: $(cat "$WORK/list")"

# Removed early: recorded, gone from the list, kept with --all. Times are
# moved back as if they had passed: the till's silence began half an hour
# ago, the minute's silence is over.
sqlite3 "$WORK/desk.db" "update silences set starts_at = starts_at - 1800 where id = 1"
td silence remove 1 | grep -qF "Silence #1 (till 'Ромашка на Ленина/Касса 1') removed." || fail "remove"
[ -n "$(sqlite3 "$WORK/desk.db" "select removed_at from silences where id = 1")" ] || fail "removed_at not set"
sqlite3 "$WORK/desk.db" "update silences set starts_at = starts_at - 3600, ends_at = ends_at - 3600 where id = 3"
refused 1 "silence #1 was removed already" silence remove 1
refused 1 "silence #3 is over already" silence remove '#3'
refused 1 "silence '99' not found" silence remove 99
refused 2 "'first' is not a number" silence remove first
refused 2 "Usage: tilldesk silence remove ID" silence remove
expect_eq "$(sqlite3 "$WORK/desk.db" "select count(*) from silences where removed_at is not null")" "1" "removed rows"
td silence list >"$WORK/list"
expect_eq "$(tail -n +2 "$WORK/list" | cut -c1-4 | tr -d ' ' | tr '\n' ' ')" "4 2 " "live silences (by start)"
td silence list --all >"$WORK/all"
grep -q "^1 *removed " "$WORK/all" || fail "--all: $(cat "$WORK/all")"
grep -q "^3 *expired " "$WORK/all" || fail "--all: $(cat "$WORK/all")"

# The alerts, as the alerting writes them: the store at the sea is offline
# (its tills held under it), a drive expiring at Ленина, an old clock skew.
now=$(date +%s)
lenina=$(sqlite3 "$WORK/desk.db" "select id from stores where name = 'Ромашка на Ленина'")
sea=$(sqlite3 "$WORK/desk.db" "select id from stores where name = 'Ромашка у моря'")
till=$(sqlite3 "$WORK/desk.db" "select id from tills where store_id = $lenina")
sqlite3 "$WORK/desk.db" "
insert into alerts(id, store_id, till_id, code, check_name, state, severity, message, priority,
                   opened_at, last_seen_at, count, flapping, held_by, resolved_at) values
 (7, $lenina, $till, 'fn.expiring', 'fn', 'firing', 'warning', 'ФН: осталось 20 дней', 3, $now - 3600, $now - 60, 12, 0, null, null),
 (8, $sea, null, 'store.offline', 'heartbeat', 'firing', 'critical', 'нет связи с магазином', 1, $now - 600, $now - 60, 1, 0, null, null),
 (9, $sea, $id, 'fn.blocked', 'log', 'firing', 'critical', 'ФН заблокирован', 1, $now - 500, $now - 60, 3, 1, 8, null),
 (10, $lenina, $till, 'clock.skew', 'clock', 'resolved', 'warning', 'часы', 4, $now - 86400, $now - 80000, 3, 0, null, $now - 80000);
insert into alert_events(alert_id, at, kind, body) values
 (9, $now - 500, 'opened', 'critical P1'), (9, $now - 400, 'held', 'под алертом #8'), (9, $now - 300, 'flapping', null);"

td alert list >"$WORK/alerts"
expect_eq "$(tail -n +2 "$WORK/alerts" | cut -c1-6 | tr -d ' ' | tr '\n' ' ')" "8 9 7 10 " "alert order"
grep -q "^8 *Ромашка у моря *(store) *store.offline *firing *critical *P1 *1 " "$WORK/alerts" ||
	fail "store alert row: $(cat "$WORK/alerts")"
# Касса 2's silence covers 9; the store's scheduled one does not yet.
grep -q "^9 .* fn.blocked .* P1 .* - *silenced, held, flapping$" "$WORK/alerts" || fail "marks: $(cat "$WORK/alerts")"
grep -q "^7 .* fn.expiring *firing *warning *P3 *12 .* -$" "$WORK/alerts" || fail "alert 7: $(cat "$WORK/alerts")"
td alert list --firing --store "Ромашка на Ленина" >"$WORK/alerts"
expect_eq "$(tail -n +2 "$WORK/alerts" | cut -c1-6 | tr -d ' ' | tr '\n' ' ')" "7 " "--firing --store"
refused 1 "store 'Нигде' not found" alert list --store "Нигде"
refused 2 "'0' is not a number" alert list --limit 0

td alert show 9 >"$WORK/show"
grep -q "^Alert #9: fn.blocked$" "$WORK/show" || fail "show title: $(cat "$WORK/show")"
grep -q "^  state: *firing, critical, P1$" "$WORK/show" || fail "show state"
grep -q "^  till: *Касса 2$" "$WORK/show" || fail "show till"
grep -q "^  held under the store's alert #8$" "$WORK/show" || fail "show held"
grep -q "^  .*  held  *под алертом #8$" "$WORK/show" || fail "show history: $(cat "$WORK/show")"
grep -q "^  .*  flapping$" "$WORK/show" || fail "show history flapping"
sed -n '/^Silences over its time:/,$p' "$WORK/show" | grep -q "^4 *active *till 'Ромашка у моря/Касса 2' " ||
	fail "show silences: $(cat "$WORK/show")"
td alert show 7 >"$WORK/show"
sed -n '/^Silences over its time:/,$p' "$WORK/show" | grep -q "^1 *removed *till 'Ромашка на Ленина/Касса 1'" ||
	fail "the removed silence over alert 7: $(cat "$WORK/show")"
refused 1 "alert '77' not found" alert show 77
refused 2 "Usage: tilldesk alert show ID" alert show

# Every subcommand's help, and the same in Russian.
for cmd in "silence" "silence add" "silence list" "silence remove" "alert" "alert list" "alert show"; do
	# shellcheck disable=SC2086
	td $cmd --help | grep -q "^Usage: tilldesk $cmd" || fail "$cmd --help"
done
td --help | grep -q "silence add|list|remove" || fail "main help"
sed -i 's/^language = en/language = ru/' "$CFG"
td silence list | sed -n 1p | grep -q "что заглушено" || fail "Russian header"
td silence add --for 1h --comment x 2>&1 | grep -q "укажите, что заглушить" || fail "Russian refusal"
echo "ok: silences and alerts from the command line"
