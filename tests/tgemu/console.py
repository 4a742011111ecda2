#!/usr/bin/env python3
"""Console for tgemu: play a cashier (private chat) and an engineer (group) at once.

    python3 tests/tgemu/console.py --emu http://127.0.0.1:PORT \\
        --user ID:NAME --engineer ID:NAME --group ID

Every message the bot sends to either chat is printed as it arrives, with its
inline buttons numbered. Type /help for the commands. Works with stdin from a
pipe too: each line is executed in turn, and after each one the console waits
until the bot has been quiet for --settle seconds.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HELP = """\
Команды (commands):
  текст                кассир пишет боту (the cashier writes to the bot)
  /c текст             то же самое (same)
  /e текст             инженер пишет в группе (the engineer writes in the group)
  /r N текст           ответ на сообщение бота №N (reply to bot message N;
                       from the engineer in the group, from the cashier in private)
  /r «ТЕКСТ» текст     ответ на последнее сообщение, где видно ТЕКСТ
                       (reply to the latest message showing TEXT)
  /p N                 нажать кнопку N последнего сообщения с кнопками
                       (press button N of the last message with buttons)
  /p N.K               нажать кнопку K сообщения №N (press button K of message N)
  /p «ТЕКСТ»           нажать последнюю кнопку, на которой написано ТЕКСТ
                       (press the latest button labelled TEXT)
  /photo подпись       кассир шлёт фото с подписью (the cashier sends a photo)
  /wait N [сек]        ждать, пока сообщений станет N (wait for N bot messages)
  /wait ТЕКСТ [сек]    ждать, пока сообщение (или его правка) не покажет ТЕКСТ
                       (wait until a message, as sent or edited, shows TEXT)
  /sleep сек           пауза (pause)
  /list                показать все сообщения заново (show all messages again)
  /help                эта справка (this help)
  /quit                выход (quit)
Любая другая строка на «/» (например /start КОД) уходит боту от кассира.
(Any other line starting with "/", e.g. /start CODE, goes to the bot as the cashier.)"""

CONSOLE_COMMANDS = {"/c", "/e", "/r", "/p", "/photo", "/wait", "/sleep", "/list", "/help",
                    "/h", "/quit", "/q", "/exit"}


class Emu:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, timeout=15):
        url = self.base + path
        data = None
        headers = {}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            try:
                obj = json.loads(e.read().decode("utf-8"))
            except ValueError:
                obj = {}
            raise RuntimeError(obj.get("error") or obj.get("description") or str(e))

    def get(self, path, **q):
        return self.call("GET", path + ("?" + urllib.parse.urlencode(q) if q else ""))

    def post(self, path, body):
        return self.call("POST", path, body)


def parse_who(s, what):
    if ":" not in s:
        raise argparse.ArgumentTypeError("%s must be ID:NAME" % what)
    i, name = s.split(":", 1)
    try:
        uid = int(i)
    except ValueError:
        raise argparse.ArgumentTypeError("%s: ID must be an integer" % what)
    return {"id": uid, "first_name": name or ("User%d" % uid)}


STYLE = {"bold": ("\033[1m", "\033[22m"), "italic": ("\033[3m", "\033[23m"),
         "underline": ("\033[4m", "\033[24m"), "strikethrough": ("\033[9m", "\033[29m"),
         "code": ("\033[36m", "\033[39m"), "pre": ("\033[36m", "\033[39m"),
         "spoiler": ("\033[7m", "\033[27m"), "text_link": ("\033[4m", "\033[24m"),
         "blockquote": ("\033[2m", "\033[22m"),
         "expandable_blockquote": ("\033[2m", "\033[22m")}


def render(text, entities, color):
    """Text + UTF-16 entities -> terminal text (ANSI styles when color is on)."""
    if not entities:
        return text
    idx = []                    # utf16 offset -> python index
    for i, ch in enumerate(text):
        idx.append(i)
        if ord(ch) > 0xFFFF:
            idx.append(i)
    idx.append(len(text))
    inserts = {}                # python index -> [(order, string)]
    for n, e in enumerate(entities):
        try:
            a = idx[e["offset"]]
            b = idx[min(e["offset"] + e["length"], len(idx) - 1)]
        except (KeyError, IndexError, TypeError):
            continue
        on, off = STYLE.get(e.get("type"), ("", ""))
        tail = ""
        if e.get("type") == "text_link" and e.get("url"):
            tail = " <%s>" % e["url"]
        if color and on:
            inserts.setdefault(a, []).append((1, n, on))
            inserts.setdefault(b, []).append((0, -n, off + tail))
        elif tail:
            inserts.setdefault(b, []).append((0, -n, tail))
    out = []
    for i in range(len(text) + 1):
        for _, _, s in sorted(inserts.get(i, [])):
            out.append(s)
        if i < len(text):
            out.append(text[i])
    return "".join(out)


class Console:
    def __init__(self, a):
        self.a = a
        self.emu = Emu(a.emu)
        self.cashier = a.user
        self.engineer = a.engineer
        self.group = a.group
        self.color = sys.stdout.isatty() and not a.no_color and os.environ.get("NO_COLOR") is None
        self.interactive = sys.stdin.isatty()
        self.plock = threading.Lock()
        self.items = []             # console number - 1 -> dict(chat_id, message_id, buttons, where)
        self.by_key = {}            # (chat_id, message_id) -> console number
        self.last_buttons = None
        self.since = 0
        self.last_activity = time.monotonic()
        self.my_queries = {}        # callback_query_id -> console label
        self.seen_answers = 0
        self.stop = threading.Event()
        self.prompt = "› "
        self.in_input = False       # the main thread is waiting in input()

    # ---- output

    def out(self, text):
        with self.plock:
            if self.interactive and self.in_input:
                sys.stdout.write("\r\033[K" + text + "\n")
                try:
                    import readline
                    buf = readline.get_line_buffer()
                except ImportError:
                    buf = ""
                sys.stdout.write(self.prompt + buf)
            else:
                sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def b(self, s):
        return "\033[1m%s\033[22m" % s if self.color else s

    def where(self, chat_id):
        if chat_id == self.cashier["id"]:
            return "cashier"
        if chat_id == self.group:
            return "group"
        return None

    def show(self, m, again=False):
        key = (m["chat_id"], m["message_id"])
        where = self.where(m["chat_id"])
        if where is None:
            return
        num = self.by_key.get(key)
        edited = False
        if num is None:
            self.items.append({})
            num = len(self.items)
            self.by_key[key] = num
        else:
            edited = not again
        item = self.items[num - 1]
        item.update({"chat_id": m["chat_id"], "message_id": m["message_id"],
                     "buttons": m.get("buttons") or [], "where": where,
                     "deleted": bool(m.get("deleted"))})
        if item["buttons"] and not m.get("deleted"):
            self.last_buttons = num
        when = time.strftime("%H:%M:%S", time.localtime(m.get("edit_date") or m.get("date")
                                                        or time.time()))
        arrow = "✖" if m.get("deleted") else "◀"
        head = "%s %s [%d] %s" % (where, arrow, num, when)
        if m.get("deleted"):
            head += "  (удалено / deleted)"
        elif edited:
            head += "  (изменено / edited)"
        lines = [self.b(head)]
        if m.get("reply_to_message_id"):
            rnum = self.by_key.get((m["chat_id"], m["reply_to_message_id"]))
            lines.append("  ↪ в ответ на (reply to) %s" % (
                "[%d]" % rnum if rnum else "сообщение #%d" % m["reply_to_message_id"]))
        body = render(m.get("text") or "", m.get("entities") or [], self.color)
        if m.get("kind") == "photo":
            body = "[фото / photo] " + body
        elif m.get("kind") == "document":
            doc = (m.get("message") or {}).get("document") or {}
            body = "[файл / file %s] %s" % (doc.get("file_name", ""), body)
        for ln in body.split("\n"):
            lines.append("  " + ln)
        if item["buttons"] and not m.get("deleted"):
            lines.append("  " + "  ".join("[%d] %s%s" % (i + 1, bt.get("text", ""),
                                                         " (%s)" % bt["url"] if bt.get("url") else "")
                                          for i, bt in enumerate(item["buttons"])))
        item["shown"] = "\n".join(lines)
        self.last_activity = time.monotonic()
        self.out(item["shown"])

    # ---- background polling

    def poll_once(self):
        r = self.emu.get("/control/sent", since=self.since)
        for m in r.get("messages", []):
            self.show(m)
        self.since = max(self.since, r.get("last_seq", self.since))
        if self.my_queries:
            ans = self.emu.get("/control/callback_answers").get("answers", [])
            for x in ans[self.seen_answers:]:
                label = self.my_queries.pop(x["callback_query_id"], None)
                if label and (x.get("text") or x.get("url")):
                    kind = "⚠ alert" if x.get("show_alert") else "ⓘ"
                    self.out("  %s %s: %s" % (kind, label, x.get("text") or x.get("url")))
                    self.last_activity = time.monotonic()
            self.seen_answers = len(ans)

    def follow_migration(self):
        for c in self.emu.get("/control/chats").get("chats", []):
            if c["id"] == self.group and c.get("migrated_to"):
                self.out("  (группа стала супергруппой / group migrated: %d → %d)"
                         % (self.group, c["migrated_to"]))
                self.group = c["migrated_to"]

    def poller(self):
        n = 0
        errors = 0
        while not self.stop.is_set():
            try:
                self.poll_once()
                n += 1
                if n % 8 == 0:
                    self.follow_migration()
                errors = 0
            except Exception as e:      # keep the console alive
                errors += 1
                if errors == 1 or errors % 40 == 0:
                    self.out("! эмулятор недоступен (emulator unreachable): %s" % e)
            self.stop.wait(0.25)

    # ---- actions

    def say(self, who, chat_id, text, reply_to=None, photo=False):
        body = {"from": who, "chat": {"id": chat_id}}
        if chat_id != who["id"]:
            body["chat"]["type"] = self.a.group_type
        if photo:
            body["photo"] = True
            if text:
                body["caption"] = text
        else:
            body["text"] = text
        if reply_to:
            body["reply_to_message_id"] = reply_to
        self.emu.post("/control/message", body)

    def item(self, num):
        if not 1 <= num <= len(self.items):
            raise ValueError("нет сообщения [%d] (no message %d)" % (num, num))
        return self.items[num - 1]

    def shown(self, text):
        """The newest message that shows text (as sent or edited)."""
        for it in reversed(self.items):
            if not it.get("deleted") and text in it.get("shown", ""):
                return it
        raise ValueError("нет сообщения с «%s» (no message shows '%s')" % (text, text))

    def labelled(self, text):
        """The newest message with a button labelled text, and that button's number."""
        for num in range(len(self.items), 0, -1):
            if self.items[num - 1].get("deleted"):
                continue
            for k, btn in enumerate(self.items[num - 1]["buttons"], 1):
                if text in btn.get("text", ""):
                    return num, k
        raise ValueError("нет кнопки «%s» (no button '%s')" % (text, text))

    def press(self, arg):
        if arg.startswith("«") and arg.endswith("»"):
            mnum, bnum = self.labelled(arg[1:-1])
        elif "." in arg:
            mnum, bnum = (int(x) for x in arg.split(".", 1))
        else:
            if self.last_buttons is None:
                raise ValueError("нет сообщений с кнопками (no message with buttons)")
            mnum, bnum = self.last_buttons, int(arg)
        it = self.item(mnum)
        if not 1 <= bnum <= len(it["buttons"]):
            raise ValueError("у сообщения [%d] нет кнопки %d (message %d has no button %d)"
                             % (mnum, bnum, mnum, bnum))
        btn = it["buttons"][bnum - 1]
        if btn.get("url"):
            self.out("  ссылка (link): %s" % btn["url"])
            return
        if "callback_data" not in btn:
            raise ValueError("кнопка без callback_data (button has no callback_data)")
        who = self.engineer if it["where"] == "group" else self.cashier
        r = self.emu.post("/control/callback", {"from": who, "chat_id": it["chat_id"],
                                                "message_id": it["message_id"],
                                                "data": btn["callback_data"]})
        self.my_queries[r["callback_query_id"]] = "%s нажал (pressed) «%s»" % (
            "инженер" if who is self.engineer else "кассир", btn.get("text", ""))

    def wait_quiet(self, settle, limit=10.0):
        t0 = time.monotonic()
        while True:
            now = time.monotonic()
            if now - max(t0, self.last_activity) >= settle or now - t0 >= limit:
                return
            time.sleep(0.05)

    def execute(self, line):
        """Returns False to quit."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return True
        head, _, rest = line.strip().partition(" ")
        cmd = head.lower()
        if not self.interactive:
            self.out("» " + line.strip())
        if cmd not in CONSOLE_COMMANDS:
            self.say(self.cashier, self.cashier["id"], line.strip())
            return True
        if cmd in ("/quit", "/q", "/exit"):
            return False
        if cmd in ("/help", "/h"):
            self.out(HELP)
        elif cmd == "/c":
            self.say(self.cashier, self.cashier["id"], rest)
        elif cmd == "/e":
            self.say(self.engineer, self.group, rest)
        elif cmd == "/r":
            if rest.startswith("«") and "»" in rest:
                what, _, text = rest[1:].partition("»")
                it, text = self.shown(what), text.strip()
            else:
                n, _, text = rest.partition(" ")
                it = self.item(int(n))
            who = self.engineer if it["where"] == "group" else self.cashier
            self.say(who, it["chat_id"], text, reply_to=it["message_id"])
        elif cmd == "/p":
            self.press(rest.strip())
        elif cmd == "/photo":
            self.say(self.cashier, self.cashier["id"], rest, photo=True)
        elif cmd == "/wait":
            parts = rest.split()
            limit = 10.0
            if len(parts) > 1 and parts[-1].replace(".", "", 1).isdigit():
                limit = float(parts.pop())
            if parts[0].isdigit():
                want = int(parts[0])
                what = "%d" % want
                seen = lambda: len(self.items) >= want      # noqa: E731
            else:
                # What the chats show now: an edit replaces the message it edits.
                what = " ".join(parts)
                seen = lambda: any(what in it.get("shown", "") for it in self.items)  # noqa: E731
            t0 = time.monotonic()
            while not seen() and time.monotonic() - t0 < limit:
                time.sleep(0.05)
            if not seen():
                self.out("! не дождались (timed out): %s (%d)" % (what, len(self.items)))
        elif cmd == "/sleep":
            time.sleep(float(rest or "1"))
        elif cmd == "/list":
            r = self.emu.get("/control/sent", since=0)
            for m in r.get("messages", []):
                self.show(m, again=True)
        return True

    def run(self):
        try:
            self.emu.post("/control/group", {"id": self.group, "title": self.a.group_title,
                                             "type": self.a.group_type})
            if not self.a.history:
                self.since = self.emu.get("/control/sent", since=2 ** 62).get("last_seq", 0)
        except Exception as e:
            print("! нет связи с эмулятором (cannot reach the emulator at %s): %s"
                  % (self.a.emu, e), file=sys.stderr)
            return 2
        t = threading.Thread(target=self.poller, daemon=True)
        t.start()
        self.out("tilldesk: консоль эмулятора Telegram (Telegram emulator console)\n"
                 "кассир (cashier) %s, инженер (engineer) %s, группа (group) %d — /help"
                 % (self.cashier["first_name"], self.engineer["first_name"], self.group))
        settle = self.a.settle if self.a.settle is not None else (0 if self.interactive else 1.0)
        try:
            if self.interactive:
                try:
                    import readline  # noqa: F401  (line editing)
                except ImportError:
                    pass
                while True:
                    self.in_input = True
                    try:
                        line = input(self.prompt)
                    except EOFError:
                        break
                    finally:
                        self.in_input = False
                    try:
                        if not self.execute(line):
                            break
                    except Exception as e:
                        self.out("! %s" % e)
            else:
                for line in sys.stdin:
                    try:
                        if not self.execute(line):
                            break
                    except Exception as e:
                        self.out("! %s" % e)
                    if settle:
                        self.wait_quiet(settle)
                if settle:
                    self.wait_quiet(settle)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
            t.join(1.0)
            try:
                self.poll_once()
            except Exception:
                pass
        if self.interactive:
            print()
        return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Play a cashier and an engineer against a bot connected to tgemu.")
    ap.add_argument("--emu", required=True, help="emulator base URL, e.g. http://127.0.0.1:8081")
    ap.add_argument("--user", "--cashier", dest="user", required=True,
                    type=lambda s: parse_who(s, "--user"), help="cashier as ID:NAME")
    ap.add_argument("--engineer", required=True, type=lambda s: parse_who(s, "--engineer"),
                    help="engineer as ID:NAME")
    ap.add_argument("--group", required=True, type=int, help="engineers' group chat id (negative)")
    ap.add_argument("--group-title", default="Инженеры (engineers)")
    ap.add_argument("--group-type", choices=("group", "supergroup"), default="supergroup")
    ap.add_argument("--settle", type=float, default=None,
                    help="after each piped line, wait until the bot is quiet this long "
                         "(default 1.0 for a pipe, 0 interactively)")
    ap.add_argument("--history", action="store_true", help="also show messages sent before start")
    ap.add_argument("--no-color", action="store_true")
    a = ap.parse_args(argv)
    if a.group >= 0:
        ap.error("--group must be negative (a group chat id)")
    return Console(a).run()


if __name__ == "__main__":
    sys.exit(main())
