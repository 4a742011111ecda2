#!/bin/sh
# The README's run command: installs what is missing, builds, and starts
# tilldesk on its embedded defaults in ./demo/ — a database with a demo
# chain (one organisation, two stores, tills and a fiscal drive), shown
# through the admin commands.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -s all
mkdir -p demo
export TILLDESK_CONFIG=${TILLDESK_CONFIG:-}
cd demo
td() { ../build/tilldesk "$@"; }
td init
if ! td org list | grep -q "Ромашка"; then
	td org add "Ромашка" --tier standard --owner owner@romashka.example
	td store add "Ромашка на Ленина" --org "Ромашка" --tz Europe/Moscow \
		--hours "Mon-Fri 09:00-21:00, Sat-Sun 10:00-18:00" --address "Москва, ул. Ленина, 1"
	td store add "Ромашка 24" --org "Ромашка" --tz Asia/Vladivostok --hours "24/7" \
		--address "Владивосток, Светланская ул., 10"
	td till add "Касса 1" --store "Ромашка на Ленина"
	td equipment add --till "Касса 1" --kind fn --model "ФН-1.1М 15" \
		--serial 7380440700123456 --expires 2027-03-01
	td equipment add --till "Касса 1" --kind kkt --model "АТОЛ 30Ф" --serial 00106712345678
fi
echo
td org list
echo
td store list
echo
td till list
echo
td equipment list
echo
echo "tilldesk: database demo/tilldesk.db; try: build/tilldesk --help"
