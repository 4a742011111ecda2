"""Files that came with letters reach the engineers' chat: the sender
uploads the kept bytes (a JPEG as a photo, a PDF as a document under its
own name), remembers Telegram's file_id so that the next send goes by it,
names a file too large to keep in a line of text, and sends an image
Telegram refuses as a photo as a document instead.

The e-mail intake is another part of the desk; here a letter's files are
put in the database as it would keep them (storage/attachments.c), with
the notices the ticket engine queues for them ("att:ID" as the file)."""
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import unittest
import urllib.request
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import CASHIER, GROUP, TOKEN, DeskTest  # noqa: E402


def jpeg(width, height, body=b""):
    """A JPEG's headers (SOI, JFIF, a baseline SOF of width x height) and body."""
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8" + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + body + b"\xff\xd9")


def png(width, height):
    def chunk(kind, data):
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">II", width, height) + b"\x08\x00\x00\x00\x00")
            + chunk(b"IDAT", zlib.compress((b"\x00" + b"\x80" * width) * height))
            + chunk(b"IEND", b""))


def text_arg(s):
    """One plain-text argument of a notice, in its stored form (core/notice.h)."""
    return "t%d:%s," % (len(s.encode()), s)


class Attachments(DeskTest):
    def setUp(self):
        super().setUp()
        d = self.desk
        d.cashier_says("Не печатает чек")
        d.wait_text(GROUP, "Заявка №1")
        self.ticket = int(d.sql("select max(id) from tickets"))

    def keep(self, name, mime, data, size=None):
        """A file kept with the ticket, as the e-mail intake keeps it; its id."""
        with sqlite3.connect(self.desk.db, timeout=10) as db:
            cur = db.execute("insert into attachments(ticket_id, name, mime, size, data, created_at)"
                             " values (?, ?, ?, ?, ?, strftime('%s'))",
                             (self.ticket, name, mime, len(data) if data is not None else size, data))
            return cur.lastrowid

    def show(self, att_id, chat_id=GROUP, kind=None, caption=None):
        """Queues the notice the engine writes for a file of a letter: «💬 №N, кассир Анна»
        (or a caption of its own)."""
        key, args = ("BOT_CASHIER_SAYS", text_arg(str(self.ticket)) + text_arg("Анна"))
        if caption is not None:
            key, args = None, text_arg(caption)
        with sqlite3.connect(self.desk.db, timeout=10) as db:
            db.execute("insert into outbox(channel, chat_id, method, payload, created_at, kind,"
                       " msg_key, args, ref, ticket_id, link_role)"
                       " values ('telegram', ?, '', '', strftime('%s'), ?, ?, ?, ?, ?, 'relay')",
                       (chat_id, kind or "document", key, args, "att:%d" % att_id, self.ticket))
        self.desk.cashier_says("/help")   # wakes the sender

    def uploads(self):
        return self.desk.control("uploads")["uploads"]

    def download(self, file_id):
        req = urllib.request.Request("%s/bot%s/getFile" % (self.desk.url, TOKEN),
                                     data=json.dumps({"file_id": file_id}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            f = json.loads(r.read())["result"]
        with urllib.request.urlopen("%s/file/bot%s/%s" % (self.desk.url, TOKEN, f["file_path"])) as r:
            return r.read()

    def test_a_jpeg_arrives_as_a_photo_and_a_pdf_as_a_document_with_their_bytes(self):
        d = self.desk
        photo = jpeg(640, 480, os.urandom(5000))
        pdf = b"%PDF-1.4\n" + os.urandom(20000) + b"\n%%EOF\n"
        self.show(self.keep("касса.jpg", "image/jpeg", photo), kind="photo")
        self.show(self.keep("акт сверки.pdf", "application/pdf", pdf))

        p = d.wait_for(GROUP, lambda m: m["kind"] == "photo", what="the photo")
        self.assertEqual(p["text"], "💬 №%d, кассир Анна" % self.ticket)
        self.assertEqual(self.download(p["file_id"]), photo)
        doc = d.wait_for(GROUP, lambda m: m["kind"] == "document", what="the PDF")
        self.assertEqual(doc["message"]["document"]["file_name"], "акт сверки.pdf")
        self.assertEqual(doc["message"]["document"]["mime_type"], "application/pdf")
        self.assertEqual(self.download(doc["file_id"]), pdf)
        self.assertEqual(doc["text"], "💬 №%d, кассир Анна" % self.ticket)

        ups = self.uploads()
        self.assertEqual([(u["method"], u["filename"], u["sha256"]) for u in ups],
                         [("sendPhoto", "касса.jpg", hashlib.sha256(photo).hexdigest()),
                          ("sendDocument", "акт сверки.pdf", hashlib.sha256(pdf).hexdigest())])
        # Telegram's file_ids are remembered (with the row sent, once its answer is read):
        # the photo's largest size's, the document's.
        d.settled()
        self.assertEqual(d.sql("select file_kind || ' ' || file_id from attachments order by id"),
                         "photo %s\ndocument %s" % (p["file_id"], doc["file_id"]))
        # Cards and relays of the ticket find replies to the file too.
        self.assertEqual(d.sql("select count(*) from tg_links where chat_id = %d and message_id in"
                               " (%d, %d)" % (GROUP, p["message_id"], doc["message_id"])), "2")

    def test_the_second_send_of_a_file_goes_by_its_file_id(self):
        d = self.desk
        photo = jpeg(1024, 768, os.urandom(3000))
        att = self.keep("касса.jpg", "image/jpeg", photo)
        self.show(att, kind="photo")
        first = d.wait_for(GROUP, lambda m: m["kind"] == "photo", what="the photo")
        d.settled()
        calls_before = d.control("calls")["last_seq"]
        self.show(att, chat_id=CASHIER, kind="photo")
        again = d.wait_for(CASHIER, lambda m: m["kind"] == "photo", what="the photo again")
        self.assertEqual(again["file_id"], first["file_id"])
        self.assertEqual(len(self.uploads()), 1, "the file was uploaded a second time")
        calls = [c for c in d.control("calls", query="?since=%d" % calls_before)["calls"]
                 if c["method"] == "sendPhoto"]
        self.assertEqual([c["status"] for c in calls], [200])

    def test_a_file_id_telegram_no_longer_knows_is_forgotten_and_the_bytes_go_again(self):
        d = self.desk
        pdf = b"%PDF-1.4\n" + os.urandom(1000) + b"\n%%EOF\n"
        att = self.keep("акт.pdf", "application/pdf", pdf)
        # Sent once by another bot (the token changed since): its file_id means nothing here.
        d.sql("update attachments set file_id = 'BQACAgIAAxkBAA-another-bots',"
              " file_kind = 'document' where id = %d" % att)
        self.show(att)
        doc = d.wait_for(GROUP, lambda m: m["kind"] == "document", what="the PDF")
        self.assertEqual(self.download(doc["file_id"]), pdf)
        self.assertEqual([u["method"] for u in self.uploads()], ["sendDocument"])
        d.settled()
        self.assertEqual(d.sql("select file_id from attachments where id = %d" % att), doc["file_id"])

    def test_an_upload_told_to_wait_goes_after_retry_after_once(self):
        d = self.desk
        photo = jpeg(800, 600, os.urandom(2000))
        d.control("fault", {"method": "sendPhoto", "kind": "429", "seconds": 2})
        calls_before = d.control("calls")["last_seq"]
        self.show(self.keep("касса.jpg", "image/jpeg", photo), kind="photo")
        p = d.wait_for(GROUP, lambda m: m["kind"] == "photo", what="the photo")
        self.assertEqual(self.download(p["file_id"]), photo)
        calls = [c for c in d.control("calls", query="?since=%d" % calls_before)["calls"]
                 if c["method"] == "sendPhoto"]
        self.assertEqual([c["status"] for c in calls], [429, 200])
        self.assertGreaterEqual(calls[1]["at"] - calls[0]["answered_at"], 1.9)
        self.assertEqual([u["status"] for u in self.uploads()], [200])

    def test_a_caption_too_long_for_a_file_follows_it_as_a_message(self):
        d = self.desk
        words = "Касса не печатает чек, лента заправлена. " * 40
        pdf = b"%PDF-1.4\n" + os.urandom(1000) + b"\n%%EOF\n"
        self.show(self.keep("акт.pdf", "application/pdf", pdf), caption=words.strip())
        doc = d.wait_for(GROUP, lambda m: m["kind"] == "document", what="the PDF")
        self.assertEqual(doc["text"], "")
        self.assertEqual(self.download(doc["file_id"]), pdf)
        d.wait_text(GROUP, "лента заправлена. Касса")
        d.settled()
        self.assertEqual(d.sql("select parts_sent || ' ' || state from outbox where ref like 'att:%'"),
                         "1 sent")

    def test_a_file_over_the_cap_is_named_in_a_line_of_text(self):
        d = self.desk
        self.show(self.keep("архив кассы.zip", "application/zip", None, size=30 * 1024 * 1024))
        m = d.wait_text(GROUP, "архив кассы.zip")
        self.assertEqual(m["kind"], "text")
        self.assertEqual(m["text"], "💬 №%d, кассир Анна\n📎 архив кассы.zip, 30.0 МБ — не сохранён"
                                    " (больше imap.attachment_max)" % self.ticket)
        self.assertEqual(self.uploads(), [])
        d.settled()
        self.assertEqual(d.sql("select state from outbox where ref like 'att:%'"), "sent")

    def test_a_file_that_is_gone_is_named_by_its_reference(self):
        d = self.desk
        self.show(4242)
        m = d.wait_text(GROUP, "att:4242")
        self.assertIn("не сохранён", m["text"])

    def test_a_photo_telegram_refuses_arrives_as_a_document(self):
        d = self.desk
        tape = png(100, 2100)      # a receipt tape: 21 times as tall as wide
        self.show(self.keep("лента.png", "image/png", tape), kind="photo")
        doc = d.wait_for(GROUP, lambda m: m["kind"] == "document", what="the tape as a document")
        self.assertEqual(doc["message"]["document"]["file_name"], "лента.png")
        self.assertEqual(doc["text"], "💬 №%d, кассир Анна" % self.ticket)
        self.assertEqual(self.download(doc["file_id"]), tape)
        self.assertEqual([(u["method"], u["status"], u["description"]) for u in self.uploads()],
                         [("sendPhoto", 400, "Bad Request: PHOTO_INVALID_DIMENSIONS"),
                          ("sendDocument", 200, None)])
        d.settled()
        self.assertEqual(d.sql("select state from outbox where ref like 'att:%'"), "sent")
        self.assertEqual(d.sql("select file_kind from attachments"), "document")
        self.assertEqual(len([m for m in d.sent(GROUP) if m["kind"] in ("photo", "document")]), 1)


    def test_an_engineer_lists_a_tickets_files_and_takes_the_original(self):
        d = self.desk
        pdf = b"%PDF-1.4\n" + os.urandom(3000) + b"\n%%EOF\n"
        kept = self.keep("акт сверки.pdf", "application/pdf", pdf)
        big = self.keep("архив.zip", "application/zip", None, size=30 * 1024 * 1024)
        show = d.cli("ticket", "show", str(self.ticket)).stdout
        self.assertIn("Файлы:\n  %d  акт сверки.pdf, %d байт, сохранён\n" % (kept, len(pdf)), show)
        self.assertIn("  %d  архив.zip, %d байт, не сохранён (больше imap.attachment_max)\n"
                      % (big, 30 * 1024 * 1024), show)
        r = subprocess.run([harness.BIN, "-c", d.cfg, "ticket", "file", str(kept)],
                           capture_output=True)
        self.assertEqual((r.returncode, r.stdout), (0, pdf), r.stderr)
        out = os.path.join(d.dir, "copy.pdf")
        d.cli("ticket", "file", str(kept), "--out", out)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), pdf)
        r = d.cli("ticket", "file", str(big), check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("не сохранён", r.stderr)
        r = d.cli("ticket", "file", "4242", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("4242", r.stderr)


if __name__ == "__main__":
    unittest.main()
