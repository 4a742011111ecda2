# The owners' daily digest from the admin's chair: a day of an organisation
# with a store in Moscow and one in Vladivostok, each counted in its own
# day; `digest show` as text and as the letter's HTML, which Debian's
# headless Chromium renders with every figure in its DOM (a screenshot is
# kept: build/artefacts/test_digest_cli/digest.png, or $ARTEFACTS_DIR).
# `digest send` queues one letter to the owners, however often it is run.
. "$(dirname "$0")/lib.sh"
td init >/dev/null
td org add "Ромашка" --owner olga@example.com --owner boris@example.com >/dev/null
td store add "На Ленина" --org "Ромашка" --tz Europe/Moscow --hours 24/7 >/dev/null
td store add "У моря" --org "Ромашка" --tz Asia/Vladivostok --hours 24/7 >/dev/null
td till add "Касса 1" --store "На Ленина" >/dev/null
td till add "Касса 2" --store "У моря" >/dev/null
db() { sqlite3 "$WORK/desk.db" "$@"; }

# 2026-11-25: Moscow's day is 24th 21:00 to 25th 21:00 UTC, Vladivostok's 24th 14:00 to 25th 14:00.
t0=$(date -u -d 2026-11-25 +%s)
db "INSERT INTO people(id, name, role, created_at) VALUES (50, 'Иван', 'engineer', 0);
INSERT INTO kb_articles(id, slug, title, category, priority, body, digest, generation, updated_at)
  VALUES (1, 'ofd', 'Нет связи с ОФД', 'fiscal', 2, '', '', 1, 0);
INSERT INTO tickets(id, store_id, source, title, created_at, status, priority, kb_article_id) VALUES
  (1, 1, 'telegram', 'x', $t0 - 7200, 'closed', 2, 1),
  (2, 1, 'telegram', 'x', $t0 + 79200, 'new', 2, NULL),
  (3, 2, 'agent', 'x', $t0 - 32400, 'claimed', 2, 1),
  (4, 2, 'agent', 'x', $t0 + 54000, 'new', 2, NULL);
INSERT INTO ticket_events(ticket_id, at, actor_id, kind, status, priority, body) VALUES
  (1, $t0 - 7200, NULL, 'opened', 'new', 2, NULL), (2, $t0 + 79200, NULL, 'opened', 'new', 2, NULL),
  (3, $t0 - 32400, NULL, 'opened', 'new', 2, NULL), (4, $t0 + 54000, NULL, 'opened', 'new', 2, NULL),
  (1, $t0 - 3600, 50, 'claimed', 'claimed', 2, NULL), (1, $t0 + 3600, 50, 'resolved', 'resolved', 2, NULL),
  (3, $t0 - 30000, NULL, 'sla_breach', 'new', 2, 'reaction'),
  (1, $t0 + 7200, NULL, 'rated', 'closed', 2, '4'),
  (1, $t0 + 7260, NULL, 'message', 'closed', 2, 'Всё <работает> & спасибо');
INSERT INTO sla_timers(ticket_id, kind, budget, started_at, due_at, met_at, used, breached_at) VALUES
  (1, 'reaction', 900, $t0 - 7200, $t0 - 6300, $t0 - 3600, 540, NULL),
  (3, 'reaction', 900, $t0 - 32400, $t0 - 31500, NULL, NULL, $t0 - 30000);
INSERT INTO alerts(store_id, till_id, code, state, severity, priority, opened_at, last_seen_at) VALUES
  (2, 2, 'till.offline', 'firing', 'critical', 2, $t0 - 3600, $t0 - 3600);
INSERT INTO equipment(till_id, kind, model, serial, expires_on, created_at)
  VALUES (1, 'fn', 'ФН-1.1М', '9999078900012345', '2026-12-10', 0);"

# As text: 1 and 3 opened in their stores' 25th (2 and 4 on the 26th), 1 resolved, 3 open now.
td digest show --org "Ромашка" --date 2026-11-25 >"$WORK/digest.txt"
for want in "Ромашка — digest of 2026-11-25" "opened in the day: 2" "resolved in the day: 1" \
	"open now: 3" "reaction in time: 50% (1/2)" "breaches: 1" "tickets breached: #3" \
	"Нет связи с ОФД: 2" "Иван | 1 | 1 | 9 min" "2026-12-10 | На Ленина | Касса 1 | fn" \
	"У моря | Касса 2 |" "#1 | 4/5 | Всё <работает> & спасибо" "2026-11-25     2 ####"; do
	grep -qF -- "$want" "$WORK/digest.txt" || fail "text: no '$want' in: $(cat "$WORK/digest.txt")"
done
# `report sla` for the same day prints the same share.
td report sla --from 2026-11-25 --to 2026-11-25 --org "Ромашка" | grep "^total " | grep -qF "50% (1/2)" ||
	fail "report sla differs"

# As HTML, rendered by Chromium: the figures are in its DOM, the cashier's words escaped.
td digest show --org "Ромашка" --date 2026-11-25 --format html >"$WORK/digest.html"
grep -qF "Всё &lt;работает&gt; &amp; спасибо" "$WORK/digest.html" || fail "the comment is not escaped"
CHROME=${CHROME:-chromium-headless-shell}
chrome() {
	timeout 60 "$CHROME" --no-sandbox --disable-gpu --user-data-dir="$WORK/chrome" "$@" \
		2>>"$WORK/chrome.log"
}
chrome --dump-dom "file://$WORK/digest.html" >"$WORK/dom.html" || fail "chromium: $(tail -5 "$WORK/chrome.log")"
for want in "<td " ">opened in the day</td>" ">2</td>" ">50% (1/2)</td>" ">#3</td>" \
	">Всё &lt;работает&gt; &amp; спасибо</td>" ">9999078900012345</td>" ">2026-11-25</td>"; do
	grep -qF -- "$want" "$WORK/dom.html" || fail "DOM: no '$want'"
done
grep -q "<td width=\"300\" height=\"14\" bgcolor=\"#2f6fb3\"" "$WORK/dom.html" || fail "DOM: no bar"
ARTEFACTS_DIR=${ARTEFACTS_DIR:-$PWD/build/artefacts/test_digest_cli}
mkdir -p "$ARTEFACTS_DIR"
chrome --window-size=700,2000 --screenshot="$ARTEFACTS_DIR/digest.png" "file://$WORK/digest.html" >/dev/null ||
	fail "chromium screenshot"
[ -s "$ARTEFACTS_DIR/digest.png" ] || fail "no screenshot"
cp "$WORK/digest.html" "$ARTEFACTS_DIR/digest.html"

# Sent: one letter to both owners, once.
td digest send --org "Ромашка" --date 2026-11-25 | grep -qF "is queued (digest:1:2026-11-25)" || fail "send"
td digest send --org "Ромашка" --date 2026-11-25 | grep -qF "was queued before" || fail "send again"
expect_eq "$(db "select count(*) from letters where ref like 'digest:1:2026-11-25:%'")" "1" "letters"
expect_eq "$(db "select group_concat(addr) from (select addr from letter_rcpts order by addr)")" \
	"boris@example.com,olga@example.com" "recipients"
rc=0
td digest show --org "Ромашка" --format pdf 2>"$WORK/err" || rc=$?
expect_eq "$rc" "2" "a format it does not know"
grep -qF "unknown format 'pdf'; use text or html" "$WORK/err" || fail "format: $(cat "$WORK/err")"
echo "ok: digest cli (screenshot: $ARTEFACTS_DIR/digest.png)"
