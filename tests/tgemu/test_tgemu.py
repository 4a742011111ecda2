#!/usr/bin/env python3
"""Self-test of tgemu (and a smoke test of console.py).

    python3 tests/tgemu/test_tgemu.py        (or: python3 -m unittest discover tests/tgemu)
"""

import http.client as httpclient
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tgemu  # noqa: E402

TOKEN = "4242:TEST-token-for-tgemu-selftest"


def start_emulator(*extra):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "tgemu.py"), "--port", "0",
                          "--token", TOKEN, *extra],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("tgemu listening on 127.0.0.1:"):
        p.kill()
        raise RuntimeError("emulator did not start: %r %s" % (line, p.stderr.read()))
    return p, "http://127.0.0.1:%d" % int(line.rsplit(":", 1)[1])


def stop_emulator(p):
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    p.stdout.close()
    p.stderr.close()


def http(method, url, body=None, headers=None, timeout=20):
    """Returns (status, headers, raw body bytes)."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def png(width, height):
    """A real PNG image of width x height (one grey row repeated)."""
    def chunk(kind, data):
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))
    rows = (b"\x00" + b"\x80" * width) * height
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big")
                    + b"\x08\x00\x00\x00\x00")
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def multipart(fields, files):
    """(body, content type) of a multipart/form-data request: fields
    {name: text}, files {name: (filename, mime, bytes)}."""
    boundary = uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                 % (boundary, name, value)).encode()
    for name, (filename, mime, data) in files.items():
        body += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                 "Content-Type: %s\r\n\r\n" % (boundary, name, filename, mime)).encode()
        body += data + b"\r\n"
    body += ("--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.base = start_emulator()

    @classmethod
    def tearDownClass(cls):
        stop_emulator(cls.proc)

    limits = False          # flood limits get in the way except where they are tested

    def setUp(self):
        self.ctl("reset")
        self.ctl("limits", {"on": self.limits})

    # Bot API helpers
    def api(self, method, token=TOKEN, **params):
        st, _, raw = http("POST", "%s/bot%s/%s" % (self.base, token, method),
                          json.dumps(params).encode(), {"Content-Type": "application/json"})
        obj = json.loads(raw)
        self.assertEqual(obj["ok"], st == 200, obj)
        if not obj["ok"]:
            self.assertEqual(obj["error_code"], st)
        return st, obj

    def ok(self, method, **params):
        st, obj = self.api(method, **params)
        self.assertEqual(st, 200, obj)
        return obj["result"]

    def err(self, method, code, description, **params):
        st, obj = self.api(method, **params)
        self.assertEqual((st, obj.get("description")), (code, description), obj)
        return obj

    # control helpers
    def ctl(self, name, body=None):
        st, _, raw = http("POST", "%s/control/%s" % (self.base, name),
                          json.dumps(body or {}).encode(), {"Content-Type": "application/json"})
        obj = json.loads(raw)
        self.assertEqual(st, 200, obj)
        return obj

    def ctl_get(self, name, **q):
        st, _, raw = http("GET", "%s/control/%s?%s" % (self.base, name, urllib.parse.urlencode(q)))
        self.assertEqual(st, 200, raw)
        return json.loads(raw)

    def user_says(self, uid, text, chat=None, name="Кассир", **kw):
        body = {"from": {"id": uid, "first_name": name}, "text": text}
        if chat is not None:
            body["chat"] = chat
        body.update(kw)
        return self.ctl("message", body)


class ApiBasics(Base):
    def test_get_me_token_and_unknown_method(self):
        me = self.ok("getMe")
        self.assertTrue(me["is_bot"])
        self.assertEqual(me["id"], 4242)
        self.err("getMe", 401, "Unauthorized", token="4242:wrong")
        self.err("noSuchMethod", 404, "Not Found")
        self.assertEqual(self.ok("GETME")["id"], 4242)      # method names are case-insensitive

    def test_all_request_encodings(self):
        self.user_says(10, "hi")
        u = "%s/bot%s/sendMessage" % (self.base, TOKEN)
        st, _, raw = http("GET", u + "?" + urllib.parse.urlencode({"chat_id": 10, "text": "get"}))
        self.assertEqual(json.loads(raw)["result"]["text"], "get")
        st, _, raw = http("POST", u, urllib.parse.urlencode({"chat_id": 10, "text": "форма"}).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(json.loads(raw)["result"]["text"], "форма")
        boundary = uuid.uuid4().hex
        body = ("--{b}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n10\r\n"
                "--{b}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nмульти\r\n"
                "--{b}--\r\n").format(b=boundary).encode()
        st, _, raw = http("POST", u, body, {"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(json.loads(raw)["result"]["text"], "мульти")
        self.assertEqual(self.ok("sendMessage", chat_id="10", text="json")["text"], "json")


class Updates(Base):
    def test_long_poll_returns_at_once_when_an_update_arrives(self):
        box = {}

        def poll():
            t0 = time.monotonic()
            box["r"] = self.ok("getUpdates", timeout=5)
            box["t"] = time.monotonic() - t0
        th = threading.Thread(target=poll)
        th.start()
        time.sleep(0.3)
        self.user_says(11, "привет")
        th.join(6)
        self.assertLess(box["t"], 1.5)
        self.assertEqual(box["r"][0]["message"]["text"], "привет")

    def test_long_poll_times_out_empty(self):
        t0 = time.monotonic()
        self.assertEqual(self.ok("getUpdates", timeout=1), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        t0 = time.monotonic()
        self.assertEqual(self.ok("getUpdates"), [])          # timeout 0: short poll
        self.assertLess(time.monotonic() - t0, 0.5)

    def test_offsets_confirm_and_negative_offset(self):
        ids = [self.user_says(12, "m%d" % i)["update_id"] for i in range(3)]
        got = self.ok("getUpdates")
        self.assertEqual([u["update_id"] for u in got], ids)
        self.assertEqual(len(self.ok("getUpdates", limit=1)), 1)
        self.assertEqual(self.ok("getUpdates", offset=ids[1])[0]["update_id"], ids[1])
        st = self.ctl_get("stats")
        self.assertEqual((st["getUpdates_confirmed_offset"], st["pending_updates"]), (ids[1], 2))
        self.assertEqual(self.ok("getUpdates", offset=ids[2] + 1), [])
        self.assertEqual(self.ctl_get("stats")["pending_updates"], 0)
        more = [self.user_says(12, "n%d" % i)["update_id"] for i in range(3)]
        last = self.ok("getUpdates", offset=-1)
        self.assertEqual([u["update_id"] for u in last], [more[2]])
        self.assertEqual([u["update_id"] for u in self.ok("getUpdates")], [more[2]])  # forgotten

    def test_allowed_updates_is_remembered(self):
        self.ok("getUpdates", allowed_updates=["callback_query"])
        self.user_says(13, "dropped")
        self.assertEqual(self.ok("getUpdates"), [])
        self.assertEqual(self.ctl_get("stats")["updates_filtered"], 1)
        self.ok("getUpdates", allowed_updates=[])           # back to the default set
        self.user_says(13, "kept")
        self.assertEqual(self.ok("getUpdates")[0]["message"]["text"], "kept")
        self.ctl("update", {"chat_member": {"chat": {"id": 13}}})   # excluded by default
        self.assertEqual(len(self.ok("getUpdates")), 1)

    def test_concurrent_get_updates_conflict(self):
        box = {}

        def first():
            box["first"] = self.api("getUpdates", timeout=5)
            box["t"] = time.monotonic()
        th = threading.Thread(target=first)
        th.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        second = self.api("getUpdates", timeout=1)
        th.join(6)
        st, obj = box["first"]
        self.assertEqual(st, 409)
        self.assertEqual(obj["description"], tgemu.CONFLICT_GETUPDATES)
        self.assertLess(box["t"] - t0, 0.5)          # the older poll is terminated at once
        self.assertEqual(second, (200, {"ok": True, "result": []}))

    def test_reset_does_not_break_a_long_poll(self):
        box = {}
        th = threading.Thread(target=lambda: box.setdefault("r", self.api("getUpdates", timeout=3)))
        th.start()
        time.sleep(0.2)
        self.ctl("reset")
        self.user_says(15, "после сброса")
        th.join(4)
        st, obj = box["r"]
        self.assertEqual((st, obj["result"][0]["message"]["text"]), (200, "после сброса"))

    def test_raw_update(self):
        r = self.ctl("update", {"edited_message": {"message_id": 1, "date": 1,
                                                   "chat": {"id": 14, "type": "private"},
                                                   "text": "x"}})
        self.assertIn("update_id", r["update"])
        self.assertEqual(self.ok("getUpdates")[0]["edited_message"]["text"], "x")


class Validation(Base):
    def setUp(self):
        super().setUp()
        self.user_says(20, "hi")

    def test_text_length_in_utf16_units(self):
        self.assertEqual(len(self.ok("sendMessage", chat_id=20, text="Ж" * 4096)["text"]), 4096)
        self.err("sendMessage", 400, "Bad Request: message is too long", chat_id=20, text="Ж" * 4097)
        self.ok("sendMessage", chat_id=20, text="😀" * 2048)
        self.err("sendMessage", 400, "Bad Request: message is too long", chat_id=20, text="😀" * 2049)
        self.ok("sendMessage", chat_id=20, text="<b>" + "Ж" * 4096 + "</b>", parse_mode="HTML")
        self.ok("sendMessage", chat_id=20, text="&lt;" * 4096, parse_mode="HTML")
        for empty in ("", "   \n ", None):
            kw = {"chat_id": 20}
            if empty is not None:
                kw["text"] = empty
            self.err("sendMessage", 400, "Bad Request: message text is empty", **kw)
        self.err("sendMessage", 400, "Bad Request: message text is empty", chat_id=20,
                 text="<b></b>", parse_mode="HTML")
        self.err("sendMessage", 400, "Bad Request: unsupported parse_mode", chat_id=20,
                 text="x", parse_mode="XML")
        self.err("sendMessage", 400, "Bad Request: chat_id is empty", text="x")

    def test_html_parsing(self):
        m = self.ok("sendMessage", chat_id=20, parse_mode="HTML",
                    text='<b>Заявка</b> &lt;№12&gt; &amp; &quot;ФН&quot; &#39;x&#x41;'
                         '<a href="https://t.me/x?a=1&amp;b=2">ссылка</a> <code>c</code> '
                         '<pre><code class="language-c">int x;</code></pre> '
                         '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler> '
                         '<blockquote expandable>q</blockquote><i>i</i><u>u</u><s>s</s>')
        self.assertEqual(m["text"], "Заявка <№12> & \"ФН\" 'xAссылка c int x; st qius")
        types = [e["type"] for e in m["entities"]]
        for t in ("bold", "text_link", "code", "pre", "spoiler", "expandable_blockquote",
                  "italic", "underline", "strikethrough"):
            self.assertIn(t, types)
        link = [e for e in m["entities"] if e["type"] == "text_link"][0]
        self.assertEqual(link["url"], "https://t.me/x?a=1&b=2")
        pre = [e for e in m["entities"] if e["type"] == "pre"][0]
        self.assertEqual(pre["language"], "c")
        sent = self.ctl_get("sent", chat_id=20)["messages"][-1]
        self.assertTrue(sent["raw_text"].startswith("<b>Заявка</b>"))
        self.assertEqual(sent["parse_mode"], "HTML")
        pre_ = "Bad Request: can't parse entities: "
        cases = [
            ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
            ("Привет <foo>", 'Unsupported start tag "foo" at byte offset 13'),
            ("a < b", 'Unsupported start tag "" at byte offset 2'),
            ("x <b", "Unclosed start tag at byte offset 2"),
            ("<b>жирный", "Can't find end tag corresponding to start tag b"),
            ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
            ("x</b>", "Unexpected end tag at byte offset 1"),
            ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
            ('<a href=x/>y</a>', "Unexpected end of name token at byte offset 8"),
            ("<b =1>x</b>", 'Empty attribute name in the tag "b" at byte offset 0'),
        ]
        for text, why in cases:
            self.err("sendMessage", 400, pre_ + why, chat_id=20, text=text, parse_mode="HTML")
        obj = self.api("sendMessage", chat_id=20, text="AT&T", parse_mode="HTML")[1]
        self.assertTrue(obj["description"].startswith(pre_ + 'Character "&" at byte offset 2'))
        self.assertEqual(self.ok("sendMessage", chat_id=20, text="AT&T <b>")["text"], "AT&T <b>")

    def test_every_call_is_checked_against_the_bot_api(self):
        self.user_says(21, "hi")
        st, obj = self.api("sendMessage", chat_id=21, text="x", reply_to_message_id=1)
        self.assertEqual((st, obj["description"]), (400, "Bad Request: tgemu: sendMessage has no "
                                                    "parameter reply_to_message_id (Bot API 10.1)"))
        st, obj = self.api("editMessageText", chat_id=21, message_id="seven", text="x")
        self.assertEqual(st, 400)
        self.assertIn("editMessageText's message_id must be an Integer", obj["description"])
        st, obj = self.api("sendMessage", chat_id=21, text="x", disable_notification="maybe")
        self.assertEqual(st, 400)
        self.assertIn("disable_notification must be a Boolean", obj["description"])
        self.ok("sendMessage", chat_id=21, text="x", disable_notification=True)

    def test_invalid_utf8(self):
        st, _, raw = http("POST", "%s/bot%s/sendMessage" % (self.base, TOKEN),
                          b"chat_id=20&text=%FF%FEabc",
                          {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((st, json.loads(raw)["description"]),
                         (400, "Bad Request: text must be encoded in UTF-8"))
        st, _, raw = http("POST", "%s/bot%s/sendMessage" % (self.base, TOKEN),
                          b'{"chat_id":20,"text":"\xc3\x28"}', {"Content-Type": "application/json"})
        self.assertEqual(st, 400)

    def test_callback_data_limit(self):
        def kb(data):
            return {"inline_keyboard": [[{"text": "Взять", "callback_data": data}]]}
        self.ok("sendMessage", chat_id=20, text="ok", reply_markup=kb("я" * 32))      # 64 bytes
        self.err("sendMessage", 400, "Bad Request: BUTTON_DATA_INVALID", chat_id=20, text="x",
                 reply_markup=kb("я" * 32 + "x"))
        self.err("sendMessage", 400, "Bad Request: can't parse inline keyboard button: Text "
                 "buttons are unallowed in the inline keyboard", chat_id=20, text="x",
                 reply_markup=kb(""))
        self.err("sendMessage", 400, "Bad Request: can't parse reply keyboard markup JSON object",
                 chat_id=20, text="x", reply_markup="{not json")
        self.ok("sendMessage", chat_id=20, text="fr", reply_markup={"force_reply": True})
        self.ok("sendMessage", chat_id=20, text="rk", reply_markup={"remove_keyboard": True})

    def test_chats_blocking_and_unknown(self):
        self.err("sendMessage", 400, "Bad Request: chat not found", chat_id=999, text="x")
        self.err("sendMessage", 400, "Bad Request: chat not found", chat_id="abc", text="x")
        self.ctl("group", {"id": -300, "title": "Инженеры", "type": "group"})
        self.user_says(21, "в группе", chat={"id": -300}, name="Инженер")
        self.err("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user",
                 chat_id=21, text="x")
        self.assertEqual(self.ok("getChat", chat_id=-300)["title"], "Инженеры")
        bot_id = self.ok("getMe")["id"]
        self.assertEqual(self.ok("getChatMember", chat_id=-300, user_id=bot_id)["status"], "member")
        self.assertEqual(self.ok("getChatMember", chat_id=-300, user_id=21)["status"], "member")
        self.assertEqual(self.ok("getChatMember", chat_id=-300, user_id=20)["status"], "left")
        self.err("getChatMember", 400, "Bad Request: user not found", chat_id=-300, user_id=777)
        self.err("getChatMember", 400, "Bad Request: chat not found", chat_id=-301, user_id=bot_id)
        self.ctl("kick", {"chat_id": -300})
        self.assertEqual(self.ok("getChatMember", chat_id=-300, user_id=bot_id)["status"], "kicked")
        self.ctl("kick", {"chat_id": -300, "kicked": False})
        self.ok("getUpdates", offset=-1)
        self.ok("getUpdates", offset=self.ok("getUpdates")[0]["update_id"] + 1)
        r = self.ctl("block", {"user_id": 20, "blocked": True})
        self.assertEqual(r["update"]["my_chat_member"]["new_chat_member"]["status"], "kicked")
        self.err("sendMessage", 403, "Forbidden: bot was blocked by the user", chat_id=20, text="x")
        self.ctl("block", {"user_id": 20, "blocked": False})
        self.ok("sendMessage", chat_id=20, text="снова")

    def test_group_migration(self):
        self.ctl("group", {"id": -400, "title": "Инженеры", "type": "group"})
        self.user_says(22, "x", chat={"id": -400})
        self.ok("sendMessage", chat_id=-400, text="до")
        r = self.ctl("migrate", {"chat_id": -400, "new_chat_id": -1000000000400})
        self.assertEqual(r["chat"]["type"], "supergroup")
        obj = self.err("sendMessage", 400, "Bad Request: group chat was upgraded to a supergroup chat",
                       chat_id=-400, text="после")
        self.assertEqual(obj["parameters"], {"migrate_to_chat_id": -1000000000400})
        ups = [u["message"] for u in self.ok("getUpdates") if "message" in u]
        self.assertEqual(ups[-2]["migrate_to_chat_id"], -1000000000400)
        self.assertEqual(ups[-2]["chat"]["id"], -400)
        self.assertEqual(ups[-1]["migrate_from_chat_id"], -400)
        self.assertEqual(ups[-1]["chat"]["id"], -1000000000400)
        self.assertEqual(self.ok("sendMessage", chat_id=-1000000000400, text="после")["chat"]["type"],
                         "supergroup")

    def test_edits_replies_and_history(self):
        kb = {"inline_keyboard": [[{"text": "Взять", "callback_data": "take:1"}]]}
        m = self.ok("sendMessage", chat_id=20, text="<b>Заявка</b>", parse_mode="HTML", reply_markup=kb)
        mid = m["message_id"]
        self.err("editMessageText", 400, "Bad Request: " + tgemu.NOT_MODIFIED, chat_id=20,
                 message_id=mid, text="<b>Заявка</b>", parse_mode="HTML", reply_markup=kb)
        self.err("editMessageText", 400, "Bad Request: message to edit not found", chat_id=20,
                 message_id=9999, text="x")
        self.err("editMessageText", 400, "Bad Request: message can't be edited", chat_id=20,
                 message_id=1, text="x")
        e = self.ok("editMessageText", chat_id=20, message_id=mid, text="Заявка взята")
        self.assertNotIn("reply_markup", e)           # no reply_markup: keyboard removed
        self.assertIn("edit_date", e)
        e = self.ok("editMessageReplyMarkup", chat_id=20, message_id=mid, reply_markup=kb)
        self.assertEqual(e["reply_markup"], kb)
        self.err("editMessageReplyMarkup", 400, "Bad Request: " + tgemu.NOT_MODIFIED, chat_id=20,
                 message_id=mid, reply_markup=kb)
        sent = self.ctl_get("sent", chat_id=20)["messages"][-1]
        self.assertEqual(sent["text"], "Заявка взята")
        self.assertEqual([h["raw_text"] for h in sent["history"]], ["<b>Заявка</b>", "Заявка взята"])
        self.err("sendMessage", 400, "Bad Request: message to be replied not found", chat_id=20,
                 text="x", reply_parameters={"message_id": 777})
        self.ok("sendMessage", chat_id=20, text="x", reply_parameters={
            "message_id": 777, "allow_sending_without_reply": True})
        r = self.ok("sendMessage", chat_id=20, text="ответ", reply_parameters={"message_id": 1})
        self.assertEqual(r["reply_to_message"]["text"], "hi")
        self.assertEqual(self.ok("sendMessage", chat_id=20, text="y", reply_parameters={"message_id": mid})
                         ["reply_to_message"]["message_id"], mid)

    def test_a_reply_may_quote_a_part_of_the_message_it_answers(self):
        m = self.ok("sendMessage", chat_id=20, text="🆕 <b>Новые</b>\n№2 · касса\n№3 · весы",
                    parse_mode="HTML")
        u = self.user_says(20, "проверьте", reply_to_message_id=m["message_id"], quote="№3 · весы")
        q = u["message"]["quote"]
        self.assertEqual((q["text"], q["is_manual"]), ("№3 · весы", True))
        self.assertEqual(q["position"], len("🆕 Новые\n№2 · касса\n".encode("utf-16-le")) // 2)
        self.assertEqual(u["message"]["reply_to_message"]["message_id"], m["message_id"])
        st, _, raw = http("POST", "%s/control/message" % self.base, json.dumps(
            {"from": {"id": 20}, "text": "x", "reply_to_message_id": m["message_id"],
             "quote": "№4"}).encode(), {"Content-Type": "application/json"})
        self.assertEqual(st, 400, raw)
        st, _, raw = http("POST", "%s/control/message" % self.base, json.dumps(
            {"from": {"id": 20}, "text": "x", "quote": "№2"}).encode(),
            {"Content-Type": "application/json"})
        self.assertEqual(st, 400, raw)

    def test_callback_queries(self):
        kb = {"inline_keyboard": [[{"text": "Взять", "callback_data": "take:1"}]]}
        m = self.ok("sendMessage", chat_id=20, text="card", reply_markup=kb)
        r = self.ctl("callback", {"from": {"id": 20, "first_name": "К"}, "chat_id": 20,
                                  "message_id": m["message_id"], "data": "take:1"})
        self.assertTrue(r["matched_button"])
        q = self.ok("getUpdates")[-1]["callback_query"]
        self.assertEqual((q["id"], q["data"], q["message"]["message_id"]),
                         (r["callback_query_id"], "take:1", m["message_id"]))
        self.assertTrue(self.ok("answerCallbackQuery", callback_query_id=q["id"], text="Взято"))
        self.err("answerCallbackQuery", 400, "Bad Request: " + tgemu.QUERY_TOO_OLD,
                 callback_query_id=q["id"])
        self.err("answerCallbackQuery", 400, "Bad Request: " + tgemu.QUERY_TOO_OLD,
                 callback_query_id="12345")
        a = self.ctl_get("callback_answers")
        self.assertEqual([x["text"] for x in a["answers"]], ["Взято"])
        self.assertEqual(a["unanswered"], [])

    def test_files_copy_and_wait(self):
        boundary = uuid.uuid4().hex
        data = png(64, 48) + bytes(range(256)) * 4 + b"\r\n--x\r\n"
        body = (("--%s\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n20\r\n"
                 "--%s\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n"
                 "Content-Type: image/jpeg\r\n\r\n" % (boundary, boundary)).encode()
                + data + ("\r\n--%s--\r\n" % boundary).encode())
        st, _, raw = http("POST", "%s/bot%s/sendPhoto" % (self.base, TOKEN), body,
                          {"Content-Type": "multipart/form-data; boundary=" + boundary})
        self.assertEqual(st, 200, raw)
        photo = json.loads(raw)["result"]["photo"]
        f = self.ok("getFile", file_id=photo[-1]["file_id"])
        st, _, got = http("GET", "%s/file/bot%s/%s" % (self.base, TOKEN, f["file_path"]))
        self.assertEqual((st, got), (200, data))
        self.err("getFile", 400, "Bad Request: invalid file_id", file_id="nope")
        self.ok("sendPhoto", chat_id=20, photo=photo[0]["file_id"], caption="по file_id")
        self.err("sendPhoto", 400, "Bad Request: message caption is too long", chat_id=20,
                 photo=photo[0]["file_id"], caption="x" * 1025)
        self.err("sendPhoto", 400, "Bad Request: wrong file identifier/HTTP URL specified",
                 chat_id=20, photo="AgACunknown")
        inj = self.ctl("message", {"from": {"id": 20}, "photo": True, "caption": "ошибка ФН"})
        self.assertEqual(inj["message"]["caption"], "ошибка ФН")
        self.ok("sendDocument", chat_id=20, document=inj["message"]["photo"][-1]["file_id"])
        c = self.ok("copyMessage", chat_id=20, from_chat_id=20, message_id=1)
        self.assertIn("message_id", c)
        self.err("copyMessage", 400, "Bad Request: message to copy not found", chat_id=20,
                 from_chat_id=20, message_id=4242)

        def later():
            time.sleep(0.3)
            self.ok("sendMessage", chat_id=20, text="позже")
        threading.Thread(target=later).start()
        since = self.ctl_get("sent")["last_seq"]
        w = self.ctl_get("wait", chat_id=20, count=1, since=since, timeout=5)
        self.assertTrue(w["ok"])
        self.assertEqual(w["messages"][0]["text"], "позже")
        w = self.ctl_get("wait", chat_id=20, count=99, timeout=0.2)
        self.assertFalse(w["ok"])

    def test_commands_and_webhook(self):
        self.assertTrue(self.ok("setMyCommands", commands=[{"command": "queue", "description": "Очередь"}]))
        self.assertEqual(self.ok("getMyCommands")[0]["command"], "queue")
        self.err("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID",
                 commands=[{"command": "Bad Name", "description": "x"}])
        st, obj = self.api("deleteWebhook")
        self.assertEqual((st, obj["result"]), (200, True))


class Uploads(Base):
    """Files uploaded as multipart/form-data, as the Bot API takes them."""

    def upload(self, method, fields, files):
        body, ctype = multipart(fields, files)
        st, _, raw = http("POST", "%s/bot%s/%s" % (self.base, TOKEN, method), body,
                          {"Content-Type": ctype})
        return st, json.loads(raw)

    def test_an_uploaded_photo_gets_telegrams_sizes_and_is_recorded(self):
        self.user_says(30, "hi")
        image = png(1600, 1200)
        st, obj = self.upload("sendPhoto", {"chat_id": "30", "caption": "<b>№7</b> фото",
                                            "parse_mode": "HTML"},
                              {"photo": ("чек.png", "image/png", image)})
        self.assertEqual(st, 200, obj)
        msg = obj["result"]
        self.assertEqual([(p["width"], p["height"]) for p in msg["photo"]],
                         [(90, 68), (320, 240), (800, 600), (1280, 960), (1600, 1200)])
        self.assertEqual(msg["caption"], "№7 фото")
        up, = self.ctl_get("uploads")["uploads"]
        self.assertEqual((up["method"], up["field"], up["filename"], up["mime"], up["size"],
                          up["status"], up["file_id"], up["chat_id"]),
                         ("sendPhoto", "photo", "чек.png", "image/png", len(image), 200,
                          msg["photo"][-1]["file_id"], "30"))
        self.assertEqual(up["sha256"], __import__("hashlib").sha256(image).hexdigest())
        # The file_id sends it again without an upload.
        self.ok("sendPhoto", chat_id=30, photo=msg["photo"][-1]["file_id"])
        self.assertEqual(len(self.ctl_get("uploads")["uploads"]), 1)

    def test_an_uploaded_document_keeps_its_name_and_bytes(self):
        self.user_says(31, "hi")
        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
        st, obj = self.upload("sendDocument", {"chat_id": "31", "caption": "акт"},
                              {"document": ("акт сверки.pdf", "application/pdf", pdf)})
        self.assertEqual(st, 200, obj)
        doc = obj["result"]["document"]
        self.assertEqual((doc["file_name"], doc["mime_type"], doc["file_size"]),
                         ("акт сверки.pdf", "application/pdf", len(pdf)))
        f = self.ok("getFile", file_id=doc["file_id"])
        st, _, got = http("GET", "%s/file/bot%s/%s" % (self.base, TOKEN, f["file_path"]))
        self.assertEqual((st, got), (200, pdf))
        self.assertEqual(self.ctl_get("uploads")["uploads"][0]["file_id"], doc["file_id"])

    def test_images_telegram_cannot_take_as_photos_are_refused_and_go_as_documents(self):
        self.user_says(32, "hi")
        not_an_image = b"\xff\xd8 this is no JPEG"
        st, obj = self.upload("sendPhoto", {"chat_id": "32"},
                              {"photo": ("a.jpg", "image/jpeg", not_an_image)})
        self.assertEqual((st, obj["description"]), (400, "Bad Request: IMAGE_PROCESS_FAILED"))
        st, obj = self.upload("sendPhoto", {"chat_id": "32"},
                              {"photo": ("tape.png", "image/png", png(100, 2100))})
        self.assertEqual((st, obj["description"]), (400, "Bad Request: PHOTO_INVALID_DIMENSIONS"))
        st, obj = self.upload("sendDocument", {"chat_id": "32"},
                              {"document": ("a.jpg", "image/jpeg", not_an_image)})
        self.assertEqual(st, 200, obj)
        ups = self.ctl_get("uploads")["uploads"]
        self.assertEqual([(u["method"], u["status"]) for u in ups],
                         [("sendPhoto", 400), ("sendPhoto", 400), ("sendDocument", 200)])
        self.assertEqual(ups[0]["description"], "Bad Request: IMAGE_PROCESS_FAILED")
        self.assertEqual(self.ctl_get("sent", chat_id=32)["messages"][-1]["kind"], "document")

    def test_an_uploaded_caption_is_limited_as_any_caption(self):
        self.user_says(33, "hi")
        st, obj = self.upload("sendDocument", {"chat_id": "33", "caption": "x" * 1025},
                              {"document": ("a.txt", "text/plain", b"a")})
        self.assertEqual((st, obj["description"]), (400, "Bad Request: message caption is too long"))

    def test_multipart_parts_are_checked_against_the_bot_api(self):
        self.assertEqual(self.ctl_get("uploads")["botapi"], "Bot API 10.1")
        self.user_says(34, "hi")
        st, obj = self.upload("sendPhoto", {"chat_id": "34"},
                              {"foto": ("a.png", "image/png", png(10, 10))})
        self.assertEqual((st, obj["description"]),
                         (400, "Bad Request: tgemu: sendPhoto takes no file foto (%s)"
                          % self.ctl_get("uploads")["botapi"]))
        st, obj = self.upload("sendDocument", {"chat_id": "34", "captoin": "x"},
                              {"document": ("a.txt", "text/plain", b"a")})
        self.assertEqual(st, 400)
        self.assertIn("sendDocument has no parameter captoin", obj["description"])
        # The chat_id and caption are parameters; a file attached by name is one too.
        st, obj = self.upload("sendDocument", {"chat_id": "34", "document": "attach://f1"},
                              {"f1": ("a.txt", "text/plain", b"a")})
        self.assertEqual(st, 200, obj)


class RateLimits(Base):
    limits = True

    def test_429_with_retry_after_per_chat_and_global(self):
        self.user_says(30, "hi")
        codes = [self.api("sendMessage", chat_id=30, text="m%d" % i) for i in range(40)]
        limited = [o for st, o in codes if st == 429]
        self.assertGreaterEqual(len(limited), 30)
        self.assertEqual(codes[0][0], 200)
        for o in limited:
            n = o["parameters"]["retry_after"]
            self.assertIsInstance(n, int)
            self.assertGreaterEqual(n, 1)
            self.assertEqual(o["description"], "Too Many Requests: retry after %d" % n)
        self.assertEqual(self.ctl_get("stats")["errors429"], len(limited))
        # across chats: 30 per second overall
        self.ctl("reset")
        self.ctl("limits", {"on": True})
        for uid in range(100, 140):
            self.user_says(uid, "hi")
        codes = [self.api("sendMessage", chat_id=uid, text="x")[0] for uid in range(100, 140)]
        self.assertIn(429, codes)
        self.assertEqual(codes.count(200), 30)

    def test_no_429_with_limits_off(self):
        self.ctl("limits", {"on": False})
        self.user_says(31, "hi")
        codes = [self.api("sendMessage", chat_id=31, text="m%d" % i)[0] for i in range(40)]
        self.assertEqual(codes, [200] * 40)
        self.assertEqual(self.ctl_get("stats")["errors429"], 0)
        self.ctl("limits", {"on": True})

    def test_calls_are_counted_when_they_arrived_not_when_a_thread_got_to_them(self):
        # 31 calls 35 ms apart (1.05 s): Telegram takes them all, however
        # bunched a busy machine's threads get to count them.
        lim = tgemu.Limiter(chat_per_second=100)
        arrivals = [1000.0 + 0.035 * i for i in range(31)]
        checked = arrivals[::2] + arrivals[1::2]      # out of order, all at once
        self.assertEqual([lim.check(i, False, now=t) for i, t in enumerate(checked)], [0] * 31)
        # 31 within one second are still too many, in whatever order they are counted.
        lim = tgemu.Limiter(chat_per_second=100)
        arrivals = [2000.0 + 0.03 * i for i in range(31)]
        codes = [lim.check(i, False, now=t) for i, t in enumerate(reversed(arrivals))]
        self.assertEqual(sum(1 for c in codes if c), 1)

    def test_a_call_that_arrives_while_the_emulator_is_stalled_counts_from_its_arrival(self):
        self.user_says(32, "hi")
        since = self.ctl_get("calls")["last_seq"]
        os.kill(self.proc.pid, signal.SIGSTOP)
        try:
            sent = time.time()
            done = threading.Thread(target=self.api, args=("sendMessage",),
                                    kwargs={"chat_id": 32, "text": "late"})
            done.start()
            time.sleep(0.3)
        finally:
            os.kill(self.proc.pid, signal.SIGCONT)
        done.join(10)
        call = [c for c in self.ctl_get("calls", since=since)["calls"]
                if c["method"] == "sendMessage"][0]
        self.assertLess(call["at"] - sent, 0.1, call)
        self.assertGreaterEqual(call["counted_at"] - sent, 0.25, call)

    def test_group_limit_20_per_minute(self):
        clock = [1000.0]
        real = tgemu.time.monotonic
        tgemu.time.monotonic = lambda: clock[0]
        try:
            lim = tgemu.Limiter()
            results = []
            for _ in range(21):
                clock[0] += 1.01
                results.append(lim.check(-5, True))
            self.assertEqual(results[:20], [0] * 20)
            self.assertGreater(results[20], 30)          # waits for the window to open
            self.assertEqual(lim.check(5, False), 0)     # other chats unaffected
        finally:
            tgemu.time.monotonic = real


class Faults(Base):
    def setUp(self):
        super().setUp()
        self.user_says(40, "hi")
        self.url = "%s/bot%s/sendMessage?chat_id=40&text=x" % (self.base, TOKEN)

    def fault(self, kind, method="sendMessage", count=1, **kw):
        self.ctl("fault", dict(method=method, kind=kind, count=count, **kw))

    def test_500(self):
        self.fault("500")
        st, _, raw = http("GET", self.url)
        self.assertEqual((st, json.loads(raw)["error_code"]), (500, 500))
        self.assertEqual(http("GET", self.url)[0], 200)       # count 1: next call is fine

    def test_html_502(self):
        self.fault("html")
        st, headers, raw = http("GET", self.url)
        self.assertEqual(st, 502)
        self.assertTrue(headers["Content-Type"].startswith("text/html"))
        self.assertRaises(ValueError, json.loads, raw)

    def test_bad_json(self):
        self.fault("badjson")
        st, _, raw = http("GET", self.url)
        self.assertEqual(st, 200)
        self.assertRaises(ValueError, json.loads, raw)

    def test_drop(self):
        self.fault("drop", count=2)
        for _ in range(2):
            with self.assertRaises((OSError, httpclient.HTTPException)):
                http("GET", self.url, timeout=5)
        self.assertEqual(http("GET", self.url)[0], 200)
        self.fault("drop", apply=True)                  # processed, then the answer is lost
        before = len(self.ctl_get("sent", chat_id=40)["messages"])
        with self.assertRaises((OSError, httpclient.HTTPException)):
            http("GET", self.url, timeout=5)
        self.assertEqual(len(self.ctl_get("sent", chat_id=40)["messages"]), before + 1)

    def test_delay(self):
        self.fault("delay", seconds=0.5)
        t0 = time.monotonic()
        self.assertEqual(http("GET", self.url)[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)

    def test_hold_until_released(self):
        self.fault("hold", apply=True)
        before = len(self.ctl_get("sent", chat_id=40)["messages"])
        done = []
        t = threading.Thread(target=lambda: done.append(http("GET", self.url)[0]))
        t.start()
        end = time.monotonic() + 5
        while len(self.ctl_get("sent", chat_id=40)["messages"]) == before:
            self.assertLess(time.monotonic(), end)
            time.sleep(0.02)
        time.sleep(0.3)
        self.assertEqual(done, [])                      # sent, but not answered
        self.ctl("release")
        t.join(5)
        self.assertEqual(done, [200])
        self.fault("hold", seconds=0.2)                 # or answered after seconds
        t0 = time.monotonic()
        self.assertEqual(http("GET", self.url)[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.15)
        self.fault("hold", seconds=5)                   # a release before the call drops the hold
        self.ctl("release")
        t0 = time.monotonic()
        self.assertEqual(http("GET", self.url)[0], 200)
        self.assertLess(time.monotonic() - t0, 2)
        self.fault("hold", seconds=0.5)                 # unless kept for the next call
        self.ctl("release", {"keep": True})
        t0 = time.monotonic()
        self.assertEqual(http("GET", self.url)[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.45)

    def test_429_and_method_filter(self):
        self.fault("429", method="*", count=2, seconds=7)
        st, _, raw = http("GET", self.url)
        obj = json.loads(raw)
        self.assertEqual((st, obj["parameters"]["retry_after"], obj["description"]),
                         (429, 7, "Too Many Requests: retry after 7"))
        self.assertEqual(self.api("getMe")[0], 429)
        self.assertEqual(self.api("getMe")[0], 200)
        self.fault("500", method="getUpdates")
        self.assertEqual(http("GET", self.url)[0], 200)
        self.assertEqual(self.api("getUpdates")[0], 500)
        self.assertGreaterEqual(self.ctl_get("stats")["faults_injected"], 3)

    def test_fault_for_one_chat_and_the_call_log(self):
        self.user_says(41, "hi")
        since = self.ctl_get("calls")["last_seq"]
        self.fault("429", chat_id=41, seconds=3)
        self.assertEqual(http("GET", self.url)[0], 200)             # chat 40: not this fault
        other = "%s/bot%s/sendMessage" % (self.base, TOKEN)
        st, _, raw = http("POST", other, json.dumps({"chat_id": 41, "text": "x"}).encode(),
                          {"Content-Type": "application/json"})
        self.assertEqual((st, json.loads(raw)["parameters"]["retry_after"]), (429, 3))
        calls = self.ctl_get("calls", since=since)["calls"]
        self.assertEqual([(c["method"], c["chat_id"], c["status"], c["fault"]) for c in calls],
                         [("sendMessage", 40, 200, None), ("sendMessage", 41, 429, "429")])
        self.assertLessEqual(calls[0]["at"], calls[0]["answered_at"])
        self.assertLessEqual(calls[0]["answered_at"], calls[1]["at"])


class StateAndConsole(unittest.TestCase):
    def test_state_file_survives_restart(self):
        d = tempfile.mkdtemp()
        try:
            sf = os.path.join(d, "state.json")
            p, base = start_emulator("--state-file", sf)
            http("POST", base + "/control/message",
                 json.dumps({"from": {"id": 50, "first_name": "A"}, "text": "hi"}).encode(),
                 {"Content-Type": "application/json"})
            stop_emulator(p)
            p, base = start_emulator("--state-file", sf)
            try:
                st, _, raw = http("GET", "%s/bot%s/sendMessage?chat_id=50&text=x" % (base, TOKEN))
                self.assertEqual(st, 200, raw)
                self.assertEqual(json.loads(raw)["result"]["message_id"], 2)
            finally:
                stop_emulator(p)
        finally:
            shutil.rmtree(d)

    def test_console_smoke_through_a_pipe(self):
        p, base = start_emulator()
        stop = threading.Event()

        def call(method, **kw):
            st, _, raw = http("POST", "%s/bot%s/%s" % (base, TOKEN, method),
                              json.dumps(kw).encode(), {"Content-Type": "application/json"})
            return json.loads(raw)

        def bot():          # a tiny echo bot with a button
            off = 0
            while not stop.is_set():
                try:
                    ups = call("getUpdates", offset=off, timeout=1).get("result", [])
                except OSError:
                    return
                for u in ups:
                    off = u["update_id"] + 1
                    if "message" in u:
                        m = u["message"]
                        call("sendMessage", chat_id=m["chat"]["id"], parse_mode="HTML",
                             text="<b>Эхо</b>: " + (m.get("text") or "фото"),
                             reply_markup={"inline_keyboard": [[{"text": "Взять",
                                                                 "callback_data": "take"}]]})
                    if "callback_query" in u:
                        q = u["callback_query"]
                        call("answerCallbackQuery", callback_query_id=q["id"], text="Готово")
                        call("editMessageText", chat_id=q["message"]["chat"]["id"],
                             message_id=q["message"]["message_id"], text="Взято")
        th = threading.Thread(target=bot)
        th.start()
        try:
            out = subprocess.run(
                [sys.executable, os.path.join(HERE, "console.py"), "--emu", base,
                 "--user", "60:Анна", "--engineer", "61:Иван", "--group", "-1000000000061",
                 "--settle", "0.3"],
                input="Касса не печатает\n/e беру\n/p 1\n/r 1 уточните\n/quit\n",
                capture_output=True, text=True, timeout=15)
        finally:
            stop.set()
            stop_emulator(p)
            th.join(3)
        o = out.stdout
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("cashier ◀ [1]", o)
        self.assertIn("Эхо: Касса не печатает", o)
        self.assertIn("[1] Взять", o)
        self.assertIn("group ◀ [2]", o)
        self.assertIn("(изменено / edited)", o)
        self.assertIn("Готово", o)
        self.assertIn("Эхо: уточните", o)


if __name__ == "__main__":
    unittest.main(verbosity=2)
