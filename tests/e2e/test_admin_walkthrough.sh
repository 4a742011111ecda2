# The README's walk through a new client, run as a new admin would, in
# Russian: every command succeeds, and the lists show what was described.
. "$(dirname "$0")/lib.sh"
sed -i 's/^language = en/language = ru/' "$CFG"

td init | grep -q "готова" || fail "init"
td org add "Ромашка" --tier gold --owner director@romashka.ru | grep -q "Организация #1" || fail "org add"
td store add "Ромашка на Ленина" --org "Ромашка" --tz Europe/Moscow \
	--hours "Mon-Fri 09:00-21:00, Sat-Sun 10:00-18:00" --address "Москва, ул. Ленина, 1" >/dev/null
token=$(td till add "Касса 1" --store "Ромашка на Ленина" | grep -o 'tdk_[a-z2-7]*')
[ ${#token} -eq 56 ] || fail "agent token '$token'"
td equipment add --till "Касса 1" --kind fn --model "ФН-1.1М 15" \
	--serial 7380440700123456 --expires 2027-03-01 >/dev/null
link=$(td invite --role cashier --store "Ромашка на Ленина" | grep -o 'https://t.me/till_help_bot?start=[a-z2-7]*')
[ -n "$link" ] || fail "invite link"
td backup "$WORK/copy.db" >/dev/null

td org list | grep -q "director@romashka.ru" || fail "org list"
td store list | grep -q "Mon-Fri 09:00-21:00, Sat-Sun 10:00-18:00" || fail "store list"
td till list | grep -q "Касса 1" || fail "till list"
td equipment list --expiring-within 3650d | grep -q "7380440700123456" || fail "equipment list"
expect_eq "$(sqlite3 "$WORK/copy.db" 'select count(*) from tills')" "1" "tills in the backup"

# Secrets are stored hashed: neither the token nor the invite code is in the file.
code=${link##*=}
grep -c "$token" "$WORK/desk.db" >/dev/null && fail "agent token stored in clear"
grep -c "$code" "$WORK/desk.db" >/dev/null && fail "invite code stored in clear"

# A config typo stops every command with file:line.
printf '[general]\ndatabase = %s\nlangauge = ru\n' "$WORK/desk.db" >"$WORK/bad.ini"
out=$("$BIN" -c "$WORK/bad.ini" org list 2>&1) && fail "typo accepted"
case $out in *"bad.ini:3: unknown key 'langauge' in [general]"*) ;; *) fail "typo message: $out" ;; esac

# The token from the environment never shows in config check.
TILLDESK_TELEGRAM_TOKEN=123456:SECRET td config check | grep -q SECRET && fail "token printed"
# The daemon refuses to run as root without an account to become.
if [ "$(id -u)" -eq 0 ]; then
	out=$(TILLDESK_TELEGRAM_TOKEN=1:x td serve 2>&1) && fail "serve ran as root"
	case $out in *"serve не работает от root"*) ;; *) fail "root refusal: $out" ;; esac
fi
echo "ok: README walk-through"
