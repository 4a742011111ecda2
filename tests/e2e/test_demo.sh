# The README's run command without a token: the demo against the bundled
# emulator, driven through the console by a pipe — a cashier reports, the
# engineer claims, replies, closes; the cashier confirms and rates.
. "$(dirname "$0")/lib.sh"
case $BIN in */build-san/*)
	echo "skip: scripts/run.sh runs the plain build, which the plain pass has tried already"
	exit 0 ;;
esac
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$root/demo"
# After each step the console waits for what the bot answers (a text a
# message or its edit shows), never a fixed time, and presses buttons and
# replies to messages by what they show: the cashier's reply and the
# group's card travel at once, so their numbers depend on which lands first.
out=$(cd "$root" && printf '%s\n' \
	"Касса гудит и пахнет гарью" "/wait Касса сейчас работает? 15" \
	"/p «Нет, касса стоит»" "/wait срочный приоритет P1 15" \
	"/p «Взять»" "/wait Закрыть 15" \
	"/r «Статус:» Замените рулон бумаги" "/wait Замените рулон бумаги 15" \
	"/p «Закрыть»" "/wait опишите решение 15" \
	"/r «опишите решение» Заменили рулон" "/wait Работает ✅ 15" \
	"/p «Работает ✅»" "/wait Оцените 15" \
	"/p «5»" "/wait Спасибо за оценку 15" \
	"/quit" | TILLDESK_CONFIG= timeout 120 scripts/run.sh 2>&1) ||
	{ printf '%s\n' "$out" | tail -40; fail "demo: scripts/run.sh failed"; }
for want in "Заявка №1 принята" "взял инженер Иван" "Замените рулон бумаги" \
	"решена" "Заменили рулон" "Оцените" "Спасибо за оценку: 5"; do
	case $out in *"$want"*) ;; *) printf '%s\n' "$out" | tail -40; fail "demo: no '$want'" ;; esac
done
echo "ok: the demo holds a conversation"
