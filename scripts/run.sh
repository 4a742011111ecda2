#!/bin/sh
# The README's run command. Installs what is missing, builds, and starts
# tilldesk on its embedded defaults in ./demo/.
#
# With a bot token (TILLDESK_TELEGRAM_TOKEN, or telegram.token in
# $TILLDESK_CONFIG) it serves real Telegram. Without one it starts the
# bundled Bot API emulator, a demo chain with a registered cashier and
# engineer, the daemon, and a terminal where you play both people.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s all
root=$PWD
mkdir -p demo
cd demo
td() { "$root/build/tilldesk" "$@"; }

if [ -n "${TILLDESK_CONFIG:-}" ] || [ -n "${TILLDESK_TELEGRAM_TOKEN:-}" ]; then
	# As root with a token but no config, the daemon becomes nobody, whose
	# database lives in a directory of its own under /var/tmp, kept between
	# runs (its path in demo/state) while it is still nobody's alone.
	if [ "$(id -u)" -eq 0 ] && [ -z "${TILLDESK_CONFIG:-}" ]; then
		state=$(cat state 2>/dev/null || :)
		if [ -z "$state" ] || [ -L "$state" ] || [ "$(stat -c %U:%a "$state" 2>/dev/null)" != nobody:700 ]; then
			state=$(mktemp -d /var/tmp/tilldesk-XXXXXX)
			chown nobody: "$state"
			echo "$state" >state
		fi
		umask 077
		printf '[general]\ndatabase = %s/tilldesk.db\nuser = nobody\n' "$state" >bot.ini
		export TILLDESK_CONFIG=$PWD/bot.ini
		echo "run.sh: the database is $state/tilldesk.db (the daemon runs as nobody)"
	fi
	td init
	td kb import "$root/kb/articles"
	exec "$root/build/tilldesk" serve
fi
rm -f demo.db demo.db-wal demo.db-shm

# The daemon never runs as root. As root it becomes nobody, who may not be
# able to enter this clone (under /root, say): its database goes to a fresh
# directory of nobody's own, removed when the demo ends. Logs stay here.
db=$PWD/demo.db
run_as=
state=
if [ "$(id -u)" -eq 0 ]; then
	id nobody >/dev/null 2>&1 || { echo "run.sh: as root the demo needs the account nobody" >&2; exit 1; }
	state=$(mktemp -d /tmp/tilldesk-demo-XXXXXX)
	chown nobody: "$state"
	db=$state/demo.db
	run_as="user = nobody"
fi

# No token: everything local. The emulator's token is not a secret, but the file is ours alone.
port=18080
while ss -ltn 2>/dev/null | grep -q ":$port "; do port=$((port + 1)); done
# The agents' endpoint on its usual port, or the next free one.
ingest=8461
while ss -ltn 2>/dev/null | grep -q ":$ingest "; do ingest=$((ingest + 1)); done
umask 077
cat >demo.ini <<INI
[general]
database = $db
log_level = info
$run_as
[ingest]
listen = 127.0.0.1:$ingest
[telegram]
token = 123456789:AAE-tgemu-test-token-not-a-secret-00
api_url = http://127.0.0.1:$port
bot_username = tilldesk_emu_bot
engineers_chat = -100100
poll_timeout = 5s
INI
export TILLDESK_CONFIG=$PWD/demo.ini
python3 "$root/tests/tgemu/tgemu.py" --port "$port" >emu.log 2>&1 &
emu=$!
# set -e holds in the trap too: a process already gone must not stop the cleanup.
trap 'kill $emu ${serve:-} 2>/dev/null || :; wait 2>/dev/null || :; [ -z "$state" ] || rm -rf "$state"' EXIT INT TERM
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -qs listening emu.log && break; sleep 0.3; done

ctl() { curl -s -X POST "http://127.0.0.1:$port/control/$1" -d "$2" >/dev/null; }
td init >/dev/null
td kb import "$root/kb/articles" >/dev/null
if ! td org list | grep -q "Ромашка"; then
	td org add "Ромашка" --owner owner@romashka.example >/dev/null
	td store add "Ромашка на Ленина" --org "Ромашка" --tz Europe/Moscow \
		--hours "Mon-Fri 09:00-21:00, Sat-Sun 10:00-18:00" --address "Москва, ул. Ленина, 1" >/dev/null
	td till add "Касса 1" --store "Ромашка на Ленина" >/dev/null
	td equipment add --till "Касса 1" --kind fn --model "ФН-1.1М 15" \
		--serial 7380440700123456 --expires 2027-03-01 >/dev/null
fi
ctl group '{"id":-100100,"title":"Инженеры","type":"group"}'
cashier=$(td invite --role cashier --store "Ромашка на Ленина" | grep -o 'start=[a-z2-7]*' | cut -d= -f2)
engineer=$(td invite --role engineer | grep -o 'start=[a-z2-7]*' | cut -d= -f2)
"$root/build/tilldesk" serve 2>serve.log &
serve=$!
# Until it polls: a daemon that stopped at start says why here, not only in its log.
i=0
until grep -q "connected as" serve.log; do
	if ! kill -0 "$serve" 2>/dev/null || [ $i -ge 150 ]; then
		echo "run.sh: tilldesk serve did not start (demo/serve.log):" >&2
		tail -20 serve.log >&2
		exit 1
	fi
	i=$((i + 1))
	sleep 0.1
done
ctl message "{\"from\":{\"id\":501,\"first_name\":\"Анна\"},\"text\":\"/start $cashier\"}"
ctl message "{\"from\":{\"id\":601,\"first_name\":\"Иван\"},\"text\":\"/start $engineer\"}"
echo "tilldesk runs against the local emulator (log: demo/serve.log)."
echo "You are the cashier Анна and the engineer Иван. Type /help for the console's commands."
python3 "$root/tests/tgemu/console.py" --emu "http://127.0.0.1:$port" \
	--user 501:Анна --engineer 601:Иван --group -100100
