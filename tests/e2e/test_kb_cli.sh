# The knowledge base from an author's chair: import (idempotent, all or
# nothing with file:line errors), the shipped articles' own regression
# check, search, and a conversation in the terminal with `tilldesk chat`.
. "$(dirname "$0")/lib.sh"
sed -i 's/^language = en/language = ru/' "$CFG"
ARTICLES=$(cd "$(dirname "$0")/../.." && pwd)/kb/articles
td init >/dev/null

out=$(td kb import "$ARTICLES")
n=$(ls "$ARTICLES"/*.md | wc -l)
[ "$n" -ge 30 ] || fail "only $n shipped articles"
echo "$out" | grep -q "Статей: $n (новых $n," || fail "first import: $out"
td kb import "$ARTICLES" | grep -q "без изменений $n, снято 0" || fail "second import changed something"

# The shipped articles' example phrases find their own articles (CI gate: 90%).
td kb test --min 90 >"$WORK/test.out" || { cat "$WORK/test.out"; fail "kb test below 90%"; }
tail -1 "$WORK/test.out"

# Search: the error code ranks its article first, confidently; chatter finds nothing sure.
td kb search "ошибка ФН 235" | sed -n 2p | grep -q "fn-storage-exhausted .*100% ✓" || fail "search 235"
for q in "сколько стоит молоко" "спасибо все получилось" "можно уйти пораньше" \
	 "во сколько сегодня обед" "как пройти в бухгалтерию" "кто сегодня работает на второй кассе"; do
	td kb search "$q" | grep -q "✓" && fail "a confident answer to chatter: $q"
done
# Everyday words find the general article; a pattern hit shows the title too.
td kb search "не печатает чеки" | sed -n 2p | grep -q "printer-not-printing .*✓ .*Принтер не печатает чек" ||
	fail "не печатает чеки: $(td kb search 'не печатает чеки')"

# A broken directory: every error as file:line, and nothing imported.
mkdir "$WORK/bad"
cp "$ARTICLES"/printer-no-paper.md "$WORK/bad/a.md"
cp "$ARTICLES"/printer-no-paper.md "$WORK/bad/b.md"            # the same id twice
printf -- '---\nid: Bad Id\ntitle: x\ncategory: погода\npriority: P9\npattern: ошибк(\nexample: x\n---\nтело\n' >"$WORK/bad/c.md"
if td kb import "$WORK/bad" 2>"$WORK/err"; then fail "a bad directory was imported"; fi
grep -q "b.md:2: id 'printer-no-paper' is already used by .*a.md" "$WORK/err" || fail "duplicate: $(cat "$WORK/err")"
grep -q "c.md:2: id 'Bad Id'" "$WORK/err" || fail "bad id: $(cat "$WORK/err")"
grep -q "c.md:4: unknown category" "$WORK/err" || fail "category"
grep -q "c.md:5: priority must be" "$WORK/err" || fail "priority"
grep -q "c.md:6: pattern: bad pattern" "$WORK/err" || fail "pattern"
grep -q "ничего не загружено" "$WORK/err" || fail "nothing imported message"
td kb import "$ARTICLES" | grep -q "без изменений $n, снято 0" || fail "the bad import changed something"

# Retiring: an article removed from the directory is no longer offered.
mkdir "$WORK/fewer" && cp "$ARTICLES"/*.md "$ARTICLES"/aliases.txt "$WORK/fewer/" && rm "$WORK/fewer/fn-storage-exhausted.md"
td kb import "$WORK/fewer" | grep -q "снято 1" || fail "retire"
td kb search "ошибка ФН 235" | grep -q "fn-storage-exhausted" && fail "a retired article was found"
td kb import "$ARTICLES" | grep -q "изменённых 1" || fail "an article brought back is updated"

# The author talks to the dialog engine as a cashier, without Telegram.
printf 'ошибка фн 235\n/p 1\nкак дела\n/my\n/p 9\n/quit\n' | td chat 2>"$WORK/chat.err" >"$WORK/chat.out"
grep -q "Ошибка ФН 235" "$WORK/chat.out" || fail "chat: no article: $(cat "$WORK/chat.out")"
grep -q "\[1\] Помогло" "$WORK/chat.out" || fail "chat: no buttons"
grep -q "Рад, что получилось" "$WORK/chat.out" || fail "chat: helped"
grep -q "Заявка №1 принята" "$WORK/chat.out" || fail "chat: vague words open a ticket"
grep -Eq "№1 · P3 · новая · срок 20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} · как дела" "$WORK/chat.out" || fail "chat: /my"
grep -q "Нет такой кнопки" "$WORK/chat.out" || fail "chat: a missing button"
td kb stats | grep -Eq "fn-storage-exhausted +1 +1 +0" || fail "stats: $(td kb stats)"
td kb stats | grep -q "Решено без заявки: 1 из 2 обращений (50.0%)" || fail "stats total"
# Nothing of the chat waits in the outbox for a daemon to send.
expect_eq "$(sqlite3 "$WORK/desk.db" "select count(*) from outbox where state = 'pending'")" "0" "pending rows"
echo "kb cli: ok"
