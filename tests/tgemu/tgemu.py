#!/usr/bin/env python3
"""tgemu - a local Telegram Bot API emulator for tilldesk's tests and demo.

    python3 tests/tgemu/tgemu.py --port PORT [--token TOKEN] [--bot-username NAME]
                                 [--limits on|off] [--state-file F] [--verbose]
                                 [--delay MS] [--jitter MS]

Serves the Bot API at http://127.0.0.1:PORT/bot<TOKEN>/<method> and files at
/file/bot<TOKEN>/<path>, plus a test-only control API under /control/.
Prints "tgemu listening on 127.0.0.1:PORT" on stdout once ready.
Standard library only (Python 3.11). See README.md next to this file.
"""

import argparse
import base64
import bisect
import email.message
import hashlib
import json
import math
import os
import random
import re
import secrets
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_TOKEN = "123456789:AAE-tgemu-test-token-not-a-secret-00"
DEFAULT_USERNAME = "tilldesk_emu_bot"

# Linux's SO_TIMESTAMPNS (also SCM_TIMESTAMPNS); Python does not name it.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BODY = 60 * 1024 * 1024
LONG_POLL_MAX = 50

# getUpdates: types delivered when allowed_updates is empty / never given.
ALL_UPDATE_TYPES = [
    "message", "edited_message", "channel_post", "edited_channel_post",
    "business_connection", "business_message", "edited_business_message",
    "deleted_business_messages", "message_reaction", "message_reaction_count",
    "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
    "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost",
]
DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}

CONFLICT_GETUPDATES = ("Conflict: terminated by other getUpdates request; "
                       "make sure that only one bot instance is running")
NOT_MODIFIED = ("message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup "
                "of the message")
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
            b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0"
            b"</center>\r\n</body>\r\n</html>\r\n")

FAULT_KINDS = ("500", "html", "badjson", "drop", "delay", "429", "hold")

# Telegram's limits on uploads (Bot API: sendPhoto, sendDocument).
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10000         # width + height
MAX_PHOTO_RATIO = 20
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
# The sizes Telegram makes of an uploaded photo (longest side), smallest first.
PHOTO_SIZE_STEPS = (90, 320, 800, 1280, 2560)

# The Bot API description every call is checked against (--botapi): the
# first of these that exists; botapi-10.1.json beside this file holds the
# published description's methods and their parameters.
BOTAPI_PATHS = (os.environ.get("TGEMU_BOTAPI", ""),
                os.path.join(os.path.dirname(os.path.abspath(__file__)), "botapi-10.1.json"))
CALL_LOG_MAX = 20000        # /control/calls keeps the newest calls


# --------------------------------------------------------------------------
# errors and small helpers

class ApiError(Exception):
    """An error answered as {"ok":false,"error_code":..,"description":..}."""

    def __init__(self, code, description, parameters=None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(msg, **parameters):
    return ApiError(400, "Bad Request: " + msg, parameters or None)


class ControlError(Exception):
    pass


def utf16_len(s):
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def valid_utf8(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def td_int(s):
    """Integer parsing the way the Bot API does it: a leading numeric prefix, else 0."""
    if s is None:
        return 0
    m = re.match(r"\s*([+-]?\d+)", s)
    return int(m.group(1)) if m else 0


def td_int_strict(s):
    if s is None:
        return None
    s = s.strip()
    if re.fullmatch(r"[+-]?\d{1,19}", s):
        return int(s)
    return None


def td_bool(s):
    if s is None:
        return False
    return s.strip().lower() in ("true", "1", "yes")


def now_unix():
    return int(time.time())


# --------------------------------------------------------------------------
# HTML parse mode (mirrors TDLib's parse_html; byte offsets in errors)

class HtmlError(Exception):
    pass


_TD_SPACE = (0x20, 0x09, 0x0D, 0x0A, 0x00, 0x0B)
_HTML_TAGS = {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
              "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote"}
_NAMED = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}


def _is_alpha(c):
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c):
    return 0x30 <= c <= 0x39


def _is_hex(c):
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _decode_entity(b, pos):
    """Returns (code point, new position) or (0, pos) if not an entity."""
    n = len(b)

    def at(k):
        return b[k] if k < n else 0

    end = pos + 1
    res = 0
    if at(pos + 1) == 0x23:                 # '#'
        end += 1
        if at(pos + 2) == 0x78:             # 'x'
            end += 1
            while _is_hex(at(end)):
                res = res * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while _is_digit(at(end)):
                res = res * 10 + at(end) - 0x30
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(at(end)):
            end += 1
        res = _NAMED.get(bytes(b[pos + 1:end]), 0)
        if not res:
            return 0, pos
    if at(end) == 0x3B:                     # ';'
        end += 1
    return res, end


def parse_html(text, strict_amp=True):
    """Parses Telegram HTML. Returns (plain text, entities); raises HtmlError."""
    b = text.encode("utf-8")
    n = len(b)

    def at(k):
        return b[k] if k < n else 0

    out = bytearray()
    utf16 = 0
    entities = []
    stack = []          # [tag, argument, utf16 offset, out position]
    i = 0
    while i < n:
        c = b[i]
        if c == 0x26:                                   # '&'
            code, newpos = _decode_entity(b, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                out += chr(code).encode("utf-8", "surrogatepass")
                i = newpos
                continue
            if strict_amp:
                raise HtmlError('Character "&" at byte offset %d must be escaped as '
                                '"&amp;" (tgemu strict mode; real Telegram keeps a '
                                'bare "&" as text)' % i)
        if c != 0x3C:                                   # not '<'
            if (c & 0xC0) != 0x80:
                utf16 += 2 if c >= 0xF0 else 1
            out.append(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != 0x2F:                               # start tag
            while at(i) not in _TD_SPACE and at(i) != 0x3E:
                i += 1
            if at(i) == 0:
                raise HtmlError("Unclosed start tag at byte offset %d" % begin)
            tag = b[begin + 1:i].decode("utf-8", "replace").lower()
            if tag not in _HTML_TAGS:
                raise HtmlError('Unsupported start tag "%s" at byte offset %d' % (tag, begin))
            argument = ""
            expandable = False
            while at(i) != 0x3E:
                while at(i) != 0 and at(i) in _TD_SPACE:
                    i += 1
                if at(i) == 0x3E:
                    break
                abegin = i
                while at(i) not in _TD_SPACE and at(i) != 0x3D and at(i) != 0x3E:
                    i += 1
                aname = b[abegin:i].decode("utf-8", "replace")
                if not aname:
                    raise HtmlError('Empty attribute name in the tag "%s" at byte offset %d'
                                    % (tag, begin))
                while at(i) != 0 and at(i) in _TD_SPACE:
                    i += 1
                if at(i) != 0x3D:
                    if tag == "blockquote" and aname.lower() == "expandable":
                        expandable = True
                        continue
                    if at(i) == 0:
                        raise HtmlError("Unclosed start tag at byte offset %d" % begin)
                    raise HtmlError('Expected equal sign in declaration of an attribute of '
                                    'the tag "%s" at byte offset %d' % (tag, begin))
                i += 1
                while at(i) != 0 and at(i) in _TD_SPACE:
                    i += 1
                if at(i) == 0:
                    raise HtmlError('Unclosed start tag "%s" at byte offset %d' % (tag, begin))
                if at(i) not in (0x27, 0x22):
                    tbegin = i
                    while (_is_digit(at(i)) or _is_alpha(at(i)) or at(i) in (0x2E, 0x2D)):
                        i += 1
                    value = b[tbegin:i].decode("utf-8", "replace").lower()
                    if at(i) not in _TD_SPACE and at(i) != 0x3E:
                        raise HtmlError("Unexpected end of name token at byte offset %d" % tbegin)
                else:
                    quote = at(i)
                    i += 1
                    vbytes = bytearray()
                    while at(i) != quote and at(i) != 0:
                        if at(i) == 0x26:
                            code, newpos = _decode_entity(b, i)
                            if code:
                                vbytes += chr(code).encode("utf-8", "surrogatepass")
                                i = newpos
                                continue
                        vbytes.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = vbytes.decode("utf-8", "replace")
                if at(i) == 0:
                    raise HtmlError("Unclosed start tag at byte offset %d" % begin)
                if tag == "a" and aname == "href":
                    argument = value
                elif tag == "code" and aname == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and aname == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and aname == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise HtmlError('Tag "span" must have class "tg-spoiler" at byte offset %d' % begin)
            if tag == "blockquote" and expandable:
                argument = "expandable"
            stack.append([tag, argument, utf16, len(out)])
            i += 1                                      # skip '>'
        else:                                           # end tag
            if not stack:
                raise HtmlError("Unexpected end tag at byte offset %d" % begin)
            while at(i) not in _TD_SPACE and at(i) != 0x3E:
                i += 1
            end_tag = b[begin + 2:i].decode("utf-8", "replace").lower()
            while at(i) in _TD_SPACE and at(i) != 0:
                i += 1
            if at(i) != 0x3E:
                raise HtmlError("Unclosed end tag at byte offset %d" % begin)
            tag, argument, off, outpos = stack[-1]
            if end_tag and end_tag != tag:
                raise HtmlError('Unmatched end tag at byte offset %d, expected "</%s>", found "</%s>"'
                                % (begin, tag, end_tag))
            length = utf16 - off
            if length > 0:
                ent = None
                if tag in ("i", "em"):
                    ent = {"type": "italic"}
                elif tag in ("b", "strong"):
                    ent = {"type": "bold"}
                elif tag in ("s", "strike", "del"):
                    ent = {"type": "strikethrough"}
                elif tag in ("u", "ins"):
                    ent = {"type": "underline"}
                elif tag in ("tg-spoiler", "span"):
                    ent = {"type": "spoiler"}
                elif tag == "tg-emoji":
                    if not re.fullmatch(r"\d{1,19}", argument or "") or int(argument) == 0:
                        raise HtmlError("Invalid custom emoji identifier specified")
                    ent = {"type": "custom_emoji", "custom_emoji_id": argument}
                elif tag == "a":
                    url = argument or out[outpos:].decode("utf-8", "replace")
                    url = _checked_link(url)
                    if url:
                        ent = {"type": "text_link", "url": url}
                elif tag == "pre":
                    last = entities[-1] if entities else None
                    if (last and last["type"] == "code" and last["offset"] == off
                            and last["length"] == length and last.get("_lang")):
                        last["type"] = "pre"
                        last["language"] = last.pop("_lang")
                    else:
                        ent = {"type": "pre"}
                elif tag == "code":
                    last = entities[-1] if entities else None
                    if (last and last["type"] == "pre" and last["offset"] == off
                            and last["length"] == length and argument):
                        last["language"] = argument
                    else:
                        ent = {"type": "code"}
                        if argument:
                            ent["_lang"] = argument
                elif tag == "blockquote":
                    ent = {"type": "expandable_blockquote" if argument == "expandable"
                           else "blockquote"}
                if ent is not None:
                    ent["offset"] = off
                    ent["length"] = length
                    entities.append(ent)
            stack.pop()
            i += 1
    if stack:
        raise HtmlError("Can't find end tag corresponding to start tag %s" % stack[-1][0])
    for e in entities:
        e.pop("_lang", None)
    try:
        plain = bytes(out).decode("utf-8")
    except UnicodeDecodeError:
        raise HtmlError("Text contains invalid Unicode characters after decoding HTML "
                        "entities, check for unmatched surrogate code units")
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, [{k: e[k] for k in _entity_key_order(e)} for e in entities]


def _entity_key_order(e):
    keys = ["offset", "length", "type"]
    return keys + [k for k in e if k not in keys]


def _checked_link(url):
    url = url.strip()
    if not url:
        return ""
    m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if m:
        if m.group(1).lower() not in ("http", "https", "tg", "ton", "ftp"):
            return ""
        return url
    if url.lower().startswith("tg:"):
        return url
    if re.match(r"[^\s/]+\.[^\s/]+", url):
        return "http://" + url
    return ""


def bot_command_entities(text):
    ents = []
    for m in re.finditer(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])",
                         text):
        ents.append({"offset": utf16_len(text[:m.start()]),
                     "length": utf16_len(m.group(0)), "type": "bot_command"})
    return ents


def trim_text(plain, entities):
    """Telegram strips leading and trailing whitespace of a message."""
    stripped = plain.strip(" \t\r\n\x0b\x0c")
    if stripped == plain:
        return plain, entities
    lead = utf16_len(plain[:len(plain) - len(plain.lstrip(" \t\r\n\x0b\x0c"))])
    total = utf16_len(stripped)
    out = []
    for e in entities:
        start = max(0, e["offset"] - lead)
        end = min(total, e["offset"] + e["length"] - lead)
        if end > start:
            e = dict(e)
            e["offset"] = start
            e["length"] = end - start
            out.append(e)
    return stripped, out


# --------------------------------------------------------------------------
# request parameters

class Params:
    """Bot API call arguments from the query string, a JSON, urlencoded or multipart body."""

    def __init__(self):
        self.values = {}
        self.files = {}

    def has(self, key):
        v = self.values.get(key)
        return v is not None and v != ""

    def str(self, key, default=None):
        v = self.values.get(key)
        if v is None:
            return default
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return v
        return json.dumps(v, ensure_ascii=False)

    def int(self, key, default=0):
        s = self.str(key)
        if s is None or s == "":
            return default
        return td_int(s)

    def bool(self, key):
        return td_bool(self.str(key))

    def json(self, key, error):
        v = self.values.get(key)
        if v is None or v == "":
            return None
        if isinstance(v, (dict, list)):
            return v
        if isinstance(v, str):
            try:
                return json.loads(v)
            except ValueError:
                raise bad_request(error)
        return v


def parse_multipart(body, ctype):
    msg = email.message.Message()
    msg["content-type"] = ctype
    boundary = msg.get_param("boundary")
    if not boundary:
        raise bad_request("can't parse multipart/form-data request: boundary not found")
    delim = b"--" + boundary.encode("latin-1")
    fields, files = {}, {}
    chunks = body.split(delim)
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        elif chunk.startswith(b"\n"):
            chunk = chunk[1:]
        sep = chunk.find(b"\r\n\r\n")
        seplen = 4
        if sep < 0:
            sep = chunk.find(b"\n\n")
            seplen = 2
        if sep < 0:
            continue
        head = chunk[:sep].decode("utf-8", "replace")
        data = chunk[sep + seplen:]
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        part = email.message.Message()
        for line in re.split(r"\r?\n", head):
            if ":" in line:
                k, v = line.split(":", 1)
                part[k.strip()] = v.strip()
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_param("filename", header="content-disposition")
        if filename is not None:
            files[name] = {"filename": filename,
                           "mime": part.get_content_type() if part["content-type"] else
                           "application/octet-stream",
                           "data": bytes(data)}
        else:
            fields[name] = data.decode("utf-8", "surrogateescape")
    return fields, files


def image_size(data):
    """(width, height) of a JPEG, PNG or WebP image from its header; None
    when the bytes are none of these (Telegram: IMAGE_PROCESS_FAILED)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3fff, h & 0x3fff
        if chunk == b"VP8L" and data[20] == 0x2f:
            b = struct.unpack("<I", data[21:25])[0]
            return (b & 0x3fff) + 1, ((b >> 14) & 0x3fff) + 1
        if chunk == b"VP8X":
            return (1 + int.from_bytes(data[24:27], "little"),
                    1 + int.from_bytes(data[27:30], "little"))
        return None
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xff:
            return None
        marker = data[i + 1]
        if marker == 0xff:
            i += 1
            continue
        if marker in (0x01,) or 0xd0 <= marker <= 0xd9:
            i += 2
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf):
            if i + 9 > len(data):
                return None
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h) if w and h else None
        i += 2 + length
    return None


def _is_integer(v):
    if isinstance(v, bool):
        return False
    if isinstance(v, int):
        return True
    return isinstance(v, str) and re.fullmatch(r"-?[0-9]+", v) is not None


def load_botapi(path):
    """{method (lower case): {parameter: [types]}} from the Bot API's
    machine-readable description, and its version; ({}, None) without one."""
    for p in ([path] if path else BOTAPI_PATHS):
        if p and os.path.exists(p):
            with open(p, "r", encoding="utf-8") as f:
                d = json.load(f)
            methods = {}
            for name, m in d.get("methods", {}).items():
                methods[name.lower()] = {fld["name"]: fld.get("types", [])
                                         for fld in m.get("fields", [])}
            return methods, d.get("version")
    if path:
        raise SystemExit("tgemu: no Bot API description at %s" % path)
    return {}, None


# --------------------------------------------------------------------------
# rate limits

class Window:
    """Arrival times within the last span seconds, kept sorted: calls are
    checked in the order their threads get the lock, not always the order
    they arrived in."""

    def __init__(self, span):
        self.span, self.times = span, []

    def fullest(self, now):
        """Of the spans that would hold an arrival at now, the fullest:
        how many arrived in it, and the first of them. With calls counted
        in arrival order, the span just up to now."""
        # one starting at now itself, holding what arrived after it
        best = (bisect.bisect_left(self.times, now + self.span)
                - bisect.bisect_left(self.times, now), now)
        lo = bisect.bisect_right(self.times, now - self.span)
        hi = bisect.bisect_right(self.times, now)
        for i in range(lo, hi):
            n = bisect.bisect_left(self.times, self.times[i] + self.span) - i
            best = max(best, (n, self.times[i]), key=lambda b: b[0])
        return best

    def add(self, now):
        bisect.insort(self.times, now)
        # forget what no later arrival can count (allowing for late checks)
        cut = bisect.bisect_right(self.times, self.times[-1] - 2 * self.span)
        del self.times[:cut]


class Limiter:
    def __init__(self, group_per_minute=20, chat_per_second=1.0):
        self.group_per_minute = group_per_minute
        self.chat_per_second = chat_per_second
        self.reset()

    def reset(self):
        self.chat = {}          # chat_id -> [tokens, last]
        self.group = {}         # chat_id -> Window (60 s)
        self.glob = Window(1.0)

    def check(self, chat_id, is_group, count_global=True, count_group=True, now=None):
        """Returns 0 if allowed (and counts it) or the retry_after in seconds.
        now: when the call arrived (time.monotonic()), by default now."""
        if now is None:
            now = time.monotonic()
        waits = []
        tokens, last = self.chat.get(chat_id, [3.0, now])
        tokens = min(3.0, tokens + max(0.0, now - last) * self.chat_per_second)
        last = max(last, now)
        if tokens < 1.0:
            waits.append((1.0 - tokens) / self.chat_per_second)
        gq = None
        if is_group and count_group:
            gq = self.group.setdefault(chat_id, Window(60.0))
            n, first = gq.fullest(now)
            if n >= self.group_per_minute:
                waits.append(first + 60.0 - now)
        if count_global:
            n, first = self.glob.fullest(now)
            if n >= 30:
                waits.append(first + 1.0 - now)
        if waits:
            self.chat[chat_id] = [tokens, last]
            return max(1, int(math.ceil(max(waits))))
        self.chat[chat_id] = [tokens - 1.0, last]
        if gq is not None:
            gq.add(now)
        if count_global:
            self.glob.add(now)
        return 0


# --------------------------------------------------------------------------
# the emulator

class DropConnection(Exception):
    pass


class RawResponse(Exception):
    def __init__(self, status, body, ctype):
        super().__init__(status)
        self.status = status
        self.body = body
        self.ctype = ctype


METHODS = {}


def api(name):
    def deco(fn):
        METHODS[name.lower()] = (name, fn)
        return fn
    return deco


class Emulator:
    def __init__(self, token=DEFAULT_TOKEN, username=DEFAULT_USERNAME, limits=True,
                 state_file=None, verbose=False, html_strict=True, callback_expiry=0,
                 first_update_id=None, group_limit=20, chat_rate=1.0, delay_ms=0.0,
                 jitter_ms=0.0, botapi=None):
        self.token = token
        # Uploads are checked against the Bot API's description when there is one.
        self.botapi, self.botapi_version = load_botapi(botapi) if botapi != "none" else ({}, None)
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 123456789
        self.username = username
        self.limits_default = limits
        self.state_file = state_file
        self.verbose = verbose
        self.html_strict = html_strict
        self.callback_expiry = callback_expiry
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.limiter = Limiter(group_limit, chat_rate)
        # The handler's thread: when its call reached "Telegram" (time.monotonic())
        self.arrival = threading.local()
        self.delay_ms, self.jitter_ms = delay_ms, jitter_ms
        self.poller = None
        self.terminated = set()
        self.next_conflict = 0.0
        self.dirty = False
        first = first_update_id if first_update_id else random.randint(100000000, 899999999)
        self.s = self._fresh_state(first)
        self._reset_runtime()
        if state_file and os.path.exists(state_file):
            with open(state_file, "r", encoding="utf-8") as f:
                self.s = json.load(f)

    # ---- state

    def _fresh_state(self, next_update_id):
        return {
            "next_update_id": next_update_id,
            "updates": [],              # [[update_id, update], ...]
            "allowed_updates": None,
            "users": {},
            "blocked": {},
            "chats": {},
            "files": {},
            "paths": {},
            "file_counter": 0,
            "callbacks": {},
            "answers": [],
            "sent": [],                 # [[chat_id, message_id], ...] in send order
            "seq": 0,
            "commands": {},
            "webhook": "",
        }

    def _reset_runtime(self):
        self.limits_on = self.limits_default
        self.faults = []
        self.released = getattr(self, "released", None)
        if self.released:
            self.released.set()     # a reset lets every held answer go
        self.released = threading.Event()   # see the fault "hold" and c_release
        self.uploads = []       # every file uploaded, see c_uploads
        self.call_log = []      # one entry per Bot API call, oldest first (see c_calls)
        self.call_seq = 0
        self.stats = {"calls": {}, "errors": {}, "errors429": 0, "errors429_by_chat": {},
                      "faults_injected": 0, "updates_filtered": 0}
        self.in_flight = 0          # Bot API calls being served now (getUpdates aside)
        self.max_in_flight = 0
        self.max_in_flight_chat = {}    # chat_id -> most calls for it served at once
        self.in_flight_chat = {}
        self.limiter.reset()
        self.next_conflict = 0.0

    def _changed(self):
        self.dirty = True
        self.cond.notify_all()

    def save(self):
        if not self.state_file:
            return
        with self.lock:
            if not self.dirty:
                return
            data = json.dumps(self.s, ensure_ascii=False)
            self.dirty = False
        tmp = self.state_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, self.state_file)

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("tgemu: %s\n" % msg)
            sys.stderr.flush()

    # ---- objects

    def bot_user(self):
        return {"id": self.bot_id, "is_bot": True, "first_name": "tilldesk (tgemu)",
                "username": self.username}

    def _chat(self, chat_id):
        return self.s["chats"].get(str(chat_id))

    def _user_obj(self, u):
        if not isinstance(u, dict) or not isinstance(u.get("id"), int) or isinstance(u.get("id"), bool):
            raise ControlError("from.id (integer) is required")
        if u["id"] <= 0:
            raise ControlError("from.id must be positive")
        old = self.s["users"].get(str(u["id"]), {})
        obj = {"id": u["id"], "is_bot": bool(u.get("is_bot", False)),
               "first_name": u.get("first_name") or old.get("first_name") or "User%d" % u["id"]}
        for k in ("last_name", "username", "language_code"):
            if u.get(k) or old.get(k):
                obj[k] = u.get(k) or old.get(k)
        for v in obj.values():
            if isinstance(v, str) and not valid_utf8(v):
                raise ControlError("invalid UTF-8 in user fields")
        self.s["users"][str(u["id"])] = obj
        return obj

    def _new_chat(self, chat):
        rec = {"chat": chat, "next_id": 1, "messages": {}, "migrated_to": None,
               "kicked": False}
        self.s["chats"][str(chat["id"])] = rec
        return rec

    def _private_chat(self, user):
        rec = self._chat(user["id"])
        chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
        for k in ("last_name", "username"):
            if user.get(k):
                chat[k] = user[k]
        if rec is None:
            rec = self._new_chat(chat)
        else:
            rec["chat"] = chat
        return rec

    def _full_message(self, cr, rec, with_reply=True):
        obj = json.loads(json.dumps(rec["obj"]))
        if with_reply and rec.get("reply_to"):
            r = cr["messages"].get(str(rec["reply_to"]))
            if r and not r.get("deleted"):
                obj["reply_to_message"] = self._full_message(cr, r, with_reply=False)
        return obj

    def _queue_update(self, kind, payload):
        allowed = self.s["allowed_updates"]
        if allowed:
            ok = kind in allowed
        else:
            ok = kind not in DEFAULT_EXCLUDED
        if not ok:
            self.stats["updates_filtered"] += 1
            self._changed()
            return None
        uid = self.s["next_update_id"]
        self.s["next_update_id"] += 1
        upd = {"update_id": uid, kind: payload}
        self.s["updates"].append([uid, upd])
        self._changed()
        return upd

    def _store_message(self, cr, obj, by_bot, reply_to=None, extra=None):
        mid = cr["next_id"]
        cr["next_id"] += 1
        obj["message_id"] = mid
        rec = {"obj": obj, "bot": by_bot, "reply_to": reply_to}
        if extra:
            rec.update(extra)
        cr["messages"][str(mid)] = rec
        return rec

    # ---- files

    def _new_file(self, kind, data, name=None, mime=None, width=None, height=None):
        self.s["file_counter"] += 1
        n = self.s["file_counter"]
        prefix = {"photo": "AgACAgIAAxkBAA", "document": "BQACAgIAAxkBAA"}[kind]
        fid = prefix + base64.urlsafe_b64encode(secrets.token_bytes(42)).decode().rstrip("=")
        fuid = "AQAD" + base64.urlsafe_b64encode(secrets.token_bytes(9)).decode()
        if kind == "photo":
            path = "photos/file_%d.jpg" % n
        else:
            ext = ""
            if name and "." in name:
                ext = "." + re.sub(r"[^A-Za-z0-9]", "", name.rsplit(".", 1)[1])[:8]
            path = "documents/file_%d%s" % (n, ext)
        rec = {"file_id": fid, "file_unique_id": fuid, "kind": kind, "path": path,
               "size": len(data), "data": base64.b64encode(data).decode()}
        if name:
            rec["file_name"] = name
        if mime:
            rec["mime_type"] = mime
        if width:
            rec["width"] = width
            rec["height"] = height
        self.s["files"][fid] = rec
        self.s["paths"][path] = fid
        return rec

    def _new_photo(self, data, dims=None):
        """The sizes of a new photo: an uploaded one (dims known) as Telegram
        scales it, smallest first, the largest at most 2560 on its longer
        side; an injected one 320x240 and 1280x960."""
        if dims is None:
            steps = [(320, 240, data[:2048]), (1280, 960, data)]
        else:
            w, h = dims
            longest = max(w, h)
            steps = []
            for side in PHOTO_SIZE_STEPS:
                k = min(1.0, side / longest)
                steps.append((max(1, round(w * k)), max(1, round(h * k)), data))
                if side >= longest:
                    break
        recs = [self._new_file("photo", d, width=w, height=h) for w, h, d in steps]
        sizes = [r["file_id"] for r in recs]
        for r in recs:
            r["set"] = sizes
        return self._photo_sizes(sizes)

    def _check_photo(self, data):
        """Refuses an upload Telegram could not take as a photo; its (width, height)."""
        if len(data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        dims = image_size(data)
        if dims is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        w, h = dims
        if w + h > MAX_PHOTO_SIDES or max(w, h) > MAX_PHOTO_RATIO * min(w, h):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return dims

    def _photo_sizes(self, ids):
        out = []
        for fid in ids:
            f = self.s["files"][fid]
            out.append({"file_id": fid, "file_unique_id": f["file_unique_id"],
                        "file_size": f["size"], "width": f["width"], "height": f["height"]})
        return out

    def _document_obj(self, f):
        d = {"file_name": f.get("file_name", "file"),
             "mime_type": f.get("mime_type", "application/octet-stream"),
             "file_id": f["file_id"], "file_unique_id": f["file_unique_id"],
             "file_size": f["size"]}
        return d

    # ---- chat access

    def _resolve_chat(self, chat_id_str, write=True, what="chat_id"):
        if chat_id_str is None or chat_id_str.strip() == "":
            raise bad_request("%s is empty" % what)
        if not valid_utf8(chat_id_str):
            raise bad_request("strings must be encoded in UTF-8")
        s = chat_id_str.strip()
        cr = None
        if s.startswith("@"):
            for c in self.s["chats"].values():
                if c["chat"]["type"] != "private" and c["chat"].get("username", "").lower() == s[1:].lower():
                    cr = c
                    break
            if cr is None:
                raise bad_request("chat not found")
        else:
            cid = td_int_strict(s)
            if cid is None:
                raise bad_request("chat not found")
            cr = self._chat(cid)
            if cr is None:
                if cid > 0 and str(cid) in self.s["users"]:
                    raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
                raise bad_request("chat not found")
        if write:
            if cr.get("migrated_to"):
                raise bad_request("group chat was upgraded to a supergroup chat",
                                  migrate_to_chat_id=cr["migrated_to"])
            ctype = cr["chat"]["type"]
            if ctype == "private" and self.s["blocked"].get(str(cr["chat"]["id"])):
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if cr.get("kicked"):
                raise ApiError(403, "Forbidden: bot was kicked from the %s chat"
                               % ("supergroup" if ctype == "supergroup" else "group"))
        return cr

    def _rate(self, cr, edit=False):
        if not self.limits_on:
            return
        chat = cr["chat"]
        is_group = chat["type"] in ("group", "supergroup")
        self.arrival.counted = time.time()
        wait = self.limiter.check(chat["id"], is_group, count_global=not edit,
                                  count_group=not edit, now=getattr(self.arrival, "at", None))
        if wait:
            self.stats["errors429"] += 1
            k = str(chat["id"])
            self.stats["errors429_by_chat"][k] = self.stats["errors429_by_chat"].get(k, 0) + 1
            raise ApiError(429, "Too Many Requests: retry after %d" % wait, {"retry_after": wait})

    # ---- text

    def _render(self, raw, parse_mode, limit, what):
        """Returns (plain, entities, mode) or raises."""
        if not valid_utf8(raw):
            raise bad_request("text must be encoded in UTF-8")
        mode = (parse_mode or "").strip()
        lm = mode.lower()
        if lm == "html":
            try:
                plain, ents = parse_html(raw, strict_amp=self.html_strict)
            except HtmlError as e:
                raise bad_request("can't parse entities: %s" % e)
            mode = "HTML"
        elif lm in ("", "none"):
            plain, ents = raw, []
            mode = None
        elif lm in ("markdown", "markdownv2"):
            plain, ents = raw, []       # not parsed by tgemu (see README)
            mode = "MarkdownV2" if lm == "markdownv2" else "Markdown"
        else:
            raise bad_request("unsupported parse_mode")
        plain, ents = trim_text(plain, ents)
        if what == "text" and plain == "":
            raise bad_request("message text is empty")
        if utf16_len(plain) > limit:
            raise bad_request("message is too long" if what == "text"
                              else "message caption is too long")
        return plain, ents, mode

    def _text_param(self, p):
        raw = p.str("text")
        if raw is None or raw == "":
            raise bad_request("message text is empty")
        return raw, self._render(raw, p.str("parse_mode"), MAX_TEXT, "text")

    def _caption_param(self, p):
        raw = p.str("caption")
        if raw is None or raw == "":
            return None, ("", [], None)
        return raw, self._render(raw, p.str("parse_mode"), MAX_CAPTION, "caption")

    # ---- markup

    def _markup(self, p):
        v = p.json("reply_markup", "can't parse reply keyboard markup JSON object")
        if v is None:
            return None
        if not isinstance(v, dict):
            raise bad_request("object expected as reply markup")
        if "inline_keyboard" in v:
            kb = v["inline_keyboard"]
            if not isinstance(kb, list) or not all(isinstance(r, list) for r in kb):
                raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be '
                                  'an Array of Arrays')
            total = 0
            rows = []
            for row in kb:
                out = []
                for btn in row:
                    out.append(self._inline_button(btn))
                    total += 1
                rows.append(out)
            if total > 100:
                raise bad_request("reply markup is too long")
            return {"inline_keyboard": rows}
        if "keyboard" in v:
            kb = v["keyboard"]
            if not isinstance(kb, list) or not all(isinstance(r, list) for r in kb):
                raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array '
                                  'of Arrays')
            for row in kb:
                for btn in row:
                    if isinstance(btn, dict):
                        if not isinstance(btn.get("text"), str):
                            raise bad_request("can't parse keyboard button: Field \"text\" must "
                                              "be of type String")
                    elif not isinstance(btn, str):
                        raise bad_request("can't parse keyboard button: KeyboardButton must be "
                                          "a String or an Object")
            return v
        if "remove_keyboard" in v or "hide_keyboard" in v or "force_reply" in v:
            return v
        return None

    def _inline_button(self, btn):
        pre = "can't parse inline keyboard button: "
        if not isinstance(btn, dict):
            raise bad_request(pre + "InlineKeyboardButton must be an Object")
        if "text" not in btn:
            raise bad_request(pre + "Can't find field \"text\"")
        if not isinstance(btn["text"], str):
            raise bad_request(pre + "Field \"text\" must be of type String")
        if not valid_utf8(btn["text"]):
            raise bad_request("strings must be encoded in UTF-8")
        out = {"text": btn["text"]}
        if "callback_data" in btn and btn["callback_data"] not in (None, ""):
            data = btn["callback_data"]
            if not isinstance(data, str):
                raise bad_request(pre + "Field \"callback_data\" must be of type String")
            if not valid_utf8(data) or len(data.encode("utf-8")) > MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            out["callback_data"] = data
            return out
        if btn.get("url"):
            url = btn["url"]
            if not isinstance(url, str):
                raise bad_request(pre + "Field \"url\" must be of type String")
            m = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
            if m and m.group(1).lower() not in ("http", "https", "tg", "ton"):
                raise bad_request("inline keyboard button URL '%s' is invalid: Unsupported URL "
                                  "protocol" % url)
            if not _checked_link(url):
                raise bad_request("inline keyboard button URL '%s' is invalid: Wrong HTTP URL" % url)
            out["url"] = url
            return out
        for k in ("login_url", "switch_inline_query", "switch_inline_query_current_chat",
                  "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app",
                  "copy_text"):
            if k in btn and btn[k] is not None:
                out[k] = btn[k]
                return out
        raise bad_request(pre + "Text buttons are unallowed in the inline keyboard")

    # ---- replies

    def _reply_target(self, p, cr):
        mid = 0
        allow = p.bool("allow_sending_without_reply")
        rp = p.json("reply_parameters", "can't parse reply parameters JSON object")
        if rp is not None:
            if not isinstance(rp, dict):
                raise bad_request("object expected as reply parameters")
            mid = td_int(str(rp.get("message_id", 0)))
            allow = allow or bool(rp.get("allow_sending_without_reply"))
            rchat = rp.get("chat_id")
            if rchat is not None and str(rchat) != str(cr["chat"]["id"]):
                if not allow:
                    raise bad_request("message to be replied not found")
                return None
        elif p.has("reply_to_message_id"):
            mid = p.int("reply_to_message_id")
        if mid <= 0:
            return None
        r = cr["messages"].get(str(mid))
        if r is None or r.get("deleted"):
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return mid

    # ---- bot messages

    def _send(self, cr, method, content, p, markup, reply_to):
        """content: dict of Message fields (text/entities or photo/document/caption)."""
        obj = {"message_id": 0, "from": self.bot_user(), "chat": dict(cr["chat"]),
               "date": now_unix()}
        obj.update(content["fields"])
        if markup and "inline_keyboard" in markup:
            obj["reply_markup"] = markup
        lpo = self._link_preview(p) if p is not None else None
        if isinstance(lpo, dict) and "text" in obj:
            obj["link_preview_options"] = lpo
        if p is not None and p.bool("protect_content"):
            obj["has_protected_content"] = True
        self.s["seq"] += 1
        extra = {
            "method": method, "kind": content["kind"], "raw_text": content.get("raw"),
            "parse_mode": content.get("mode"), "markup": markup,
            "disable_notification": bool(p.bool("disable_notification")) if p else False,
            "link_preview_options": lpo if isinstance(lpo, dict) else None,
            "disable_web_page_preview": bool(p.bool("disable_web_page_preview")) if p else False,
            "seq": self.s["seq"], "updated_seq": self.s["seq"], "history": [],
        }
        rec = self._store_message(cr, obj, True, reply_to, extra)
        self.s["sent"].append([cr["chat"]["id"], obj["message_id"]])
        self._changed()
        return rec

    def _view(self, cr, rec):
        o = rec["obj"]
        v = {"seq": rec.get("seq"), "updated_seq": rec.get("updated_seq"),
             "chat_id": cr["chat"]["id"], "chat_type": cr["chat"]["type"],
             "message_id": o["message_id"], "method": rec.get("method"),
             "kind": rec.get("kind"), "date": o.get("date"), "edit_date": o.get("edit_date"),
             "text": o.get("text", o.get("caption", "")),
             "raw_text": rec.get("raw_text"), "parse_mode": rec.get("parse_mode"),
             "entities": o.get("entities", o.get("caption_entities", [])),
             "reply_markup": rec.get("markup"),
             "buttons": _buttons(rec.get("markup")),
             "reply_to_message_id": rec.get("reply_to"),
             "disable_notification": rec.get("disable_notification", False),
             "link_preview_options": rec.get("link_preview_options"),
             "deleted": bool(rec.get("deleted")),
             "history": rec.get("history", []),
             "message": self._full_message(cr, rec)}
        if rec.get("kind") == "photo":
            v["file_id"] = o["photo"][-1]["file_id"]
        elif rec.get("kind") == "document":
            v["file_id"] = o["document"]["file_id"]
        return v

    # ---- Bot API methods (called with the lock held)

    @api("getMe")
    def m_get_me(self, p):
        u = self.bot_user()
        u.update({"can_join_groups": True, "can_read_all_group_messages": False,
                  "supports_inline_queries": False, "can_connect_to_business": False,
                  "has_main_web_app": False})
        return u

    @api("logOut")
    def m_log_out(self, p):
        return True

    @api("close")
    def m_close(self, p):
        return True

    @api("deleteWebhook")
    def m_delete_webhook(self, p):
        had = bool(self.s["webhook"])
        self.s["webhook"] = ""
        if p.bool("drop_pending_updates"):
            self.s["updates"] = []
        self._changed()
        return True, ("Webhook was deleted" if had else "Webhook is already deleted")

    @api("setWebhook")
    def m_set_webhook(self, p):
        url = p.str("url", "")
        if url and not url.lower().startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.s["webhook"] = url
        if url:
            self._abort_long_poll()
        self._changed()
        return True, ("Webhook was set" if url else "Webhook was deleted")

    @api("getWebhookInfo")
    def m_get_webhook_info(self, p):
        return {"url": self.s["webhook"], "has_custom_certificate": False,
                "pending_update_count": len(self.s["updates"])}

    def _commands_key(self, p):
        scope = p.json("scope", "can't parse BotCommandScope JSON object")
        st = scope.get("type", "default") if isinstance(scope, dict) else "default"
        return "%s|%s" % (st, p.str("language_code", ""))

    @api("setMyCommands")
    def m_set_my_commands(self, p):
        cmds = p.json("commands", "can't parse commands JSON object")
        if cmds is None:
            raise bad_request("parameter \"commands\" is required")
        if not isinstance(cmds, list):
            raise bad_request("field \"commands\" must be an Array")
        if len(cmds) > 100:
            raise bad_request("too many commands specified")
        out = []
        for c in cmds:
            if not isinstance(c, dict) or not isinstance(c.get("command"), str) \
                    or not isinstance(c.get("description"), str):
                raise bad_request("can't parse BotCommand: expected an Object with fields "
                                  "\"command\" and \"description\" of type String")
            name = c["command"].lstrip("/")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not (1 <= utf16_len(c["description"]) <= 256) or not valid_utf8(c["description"]):
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            out.append({"command": name, "description": c["description"]})
        self.s["commands"][self._commands_key(p)] = out
        self._changed()
        return True

    @api("getMyCommands")
    def m_get_my_commands(self, p):
        return self.s["commands"].get(self._commands_key(p), [])

    @api("deleteMyCommands")
    def m_delete_my_commands(self, p):
        self.s["commands"].pop(self._commands_key(p), None)
        self._changed()
        return True

    def _link_preview(self, p):
        lpo = p.json("link_preview_options", "can't parse link preview options JSON object")
        if lpo is not None and not isinstance(lpo, dict):
            raise bad_request("object expected as link preview options")
        return lpo

    @api("sendMessage")
    def m_send_message(self, p):
        raw, (plain, ents, mode) = self._text_param(p)
        self._link_preview(p)
        markup = self._markup(p)
        cr = self._resolve_chat(p.str("chat_id"))
        reply_to = self._reply_target(p, cr)
        self._rate(cr)
        fields = {"text": plain}
        if ents:
            fields["entities"] = ents
        rec = self._send(cr, "sendMessage",
                         {"kind": "text", "fields": fields, "raw": raw, "mode": mode},
                         p, markup, reply_to)
        return self._full_message(cr, rec)

    def _input_file(self, p, field, kind):
        up = p.files.get(field)
        ref = None
        if up is None:
            ref = p.str(field)
            if ref and ref.startswith("attach://"):
                up = p.files.get(ref[len("attach://"):])
                if up is None:
                    raise bad_request("wrong file identifier/HTTP URL specified")
        if up is not None:
            if not up["data"]:
                raise bad_request("file must be non-empty")
            if kind == "photo":
                return self._new_photo(up["data"], self._check_photo(up["data"]))
            if len(up["data"]) > MAX_DOCUMENT_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._document_obj(self._new_file("document", up["data"],
                                                     name=up["filename"] or "file",
                                                     mime=up["mime"]))
        if ref is None or ref.strip() == "":
            raise bad_request("there is no %s in the request" % kind)
        ref = ref.strip()
        if re.match(r"https?://", ref, re.I):
            raise bad_request("failed to get HTTP URL content")
        f = self.s["files"].get(ref)
        if f is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if kind == "photo":
            if f["kind"] != "photo":
                raise bad_request("type of file mismatch")
            return self._photo_sizes(f["set"])
        if f["kind"] == "photo":
            # a photo re-sent as a document keeps its bytes
            return self._document_obj(self._new_file("document", base64.b64decode(f["data"]),
                                                     name="photo.jpg", mime="image/jpeg"))
        return self._document_obj(f)

    def _uploaded(self, p, kind):
        """The file part a call uploads as its kind (directly or by attach://), or None."""
        up = p.files.get(kind)
        ref = p.str(kind) or ""
        if up is None and ref.startswith("attach://"):
            up = p.files.get(ref[len("attach://"):])
        return up

    def _send_media(self, p, kind, method):
        """Sends a photo or document; an upload is noted, taken or refused (c_uploads)."""
        up = self._uploaded(p, kind)
        try:
            msg = self._send_media_now(p, kind, method)
        except ApiError as e:
            if up is not None:
                self._note_upload(p, kind, method, up, e.code, e.description, None)
            raise
        if up is not None:
            f = msg[kind][-1] if kind == "photo" else msg[kind]
            self._note_upload(p, kind, method, up, 200, None, f["file_id"])
        return msg

    def _note_upload(self, p, kind, method, up, status, description, file_id):
        self.uploads.append({"seq": len(self.uploads) + 1, "method": method, "field": kind,
                             "chat_id": p.str("chat_id"), "filename": up["filename"],
                             "mime": up["mime"], "size": len(up["data"]),
                             "sha256": hashlib.sha256(up["data"]).hexdigest(),
                             "caption": p.str("caption"), "status": status,
                             "description": description, "file_id": file_id})

    def check_call(self, method, p):
        """Every call checked against the Bot API's description: a parameter
        the method does not have, or an Integer or Boolean one that is not
        one, fails the test instead of being ignored as Telegram would."""
        params = self.botapi.get(method.lower())
        if params is None:
            return
        for name, v in p.values.items():
            types = params.get(name)
            if types is None:
                raise bad_request("tgemu: %s has no parameter %s (%s)"
                                  % (method, name, self.botapi_version))
            if v is None or name in p.files:
                continue
            if types == ["Integer"] and not _is_integer(v):
                raise bad_request("tgemu: %s's %s must be an Integer, not %r (%s)"
                                  % (method, name, v, self.botapi_version))
            if types == ["Boolean"] and not (isinstance(v, bool) or v in ("true", "false", "True", "False", "1", "0")):
                raise bad_request("tgemu: %s's %s must be a Boolean, not %r (%s)"
                                  % (method, name, v, self.botapi_version))

    def check_upload(self, method, p):
        """A multipart call checked against the Bot API's description: every
        field a parameter of method, every file a parameter that takes an
        InputFile (or named by attach:// in one), with a file name. A
        misspelt field fails the test instead of being ignored."""
        params = self.botapi.get(method.lower())
        attached = {v[len("attach://"):] for v in p.values.values()
                    if isinstance(v, str) and v.startswith("attach://")}
        for name, up in p.files.items():
            if not up["filename"]:
                raise bad_request("tgemu: the file part %s has no filename" % name)
            if params is None or name in attached:
                continue
            if "InputFile" not in params.get(name, []):
                raise bad_request("tgemu: %s takes no file %s (%s)"
                                  % (method, name, self.botapi_version))
        if params is not None:
            for name in p.values:
                if name not in params:
                    raise bad_request("tgemu: %s has no parameter %s (%s)"
                                      % (method, name, self.botapi_version))

    def _send_media_now(self, p, kind, method):
        raw, (plain, ents, mode) = self._caption_param(p)
        markup = self._markup(p)
        cr = self._resolve_chat(p.str("chat_id"))
        media = self._input_file(p, kind, kind)
        reply_to = self._reply_target(p, cr)
        self._rate(cr)
        fields = {kind: media}
        if plain:
            fields["caption"] = plain
            if ents:
                fields["caption_entities"] = ents
        rec = self._send(cr, method, {"kind": kind, "fields": fields, "raw": raw, "mode": mode},
                         p, markup, reply_to)
        return self._full_message(cr, rec)

    @api("sendPhoto")
    def m_send_photo(self, p):
        return self._send_media(p, "photo", "sendPhoto")

    @api("sendDocument")
    def m_send_document(self, p):
        return self._send_media(p, "document", "sendDocument")

    @api("sendChatAction")
    def m_send_chat_action(self, p):
        self._resolve_chat(p.str("chat_id"))
        if not p.has("action"):
            raise bad_request("parameter \"action\" is required")
        return True

    @api("copyMessage")
    def m_copy_message(self, p):
        src_cr = self._resolve_chat(p.str("from_chat_id"), write=False, what="from_chat_id")
        cr = self._resolve_chat(p.str("chat_id"))
        mid = p.int("message_id")
        src = src_cr["messages"].get(str(mid)) if mid > 0 else None
        if src is None or src.get("deleted"):
            raise bad_request("message to copy not found")
        so = src["obj"]
        fields = {}
        raw = so.get("text")
        mode = None
        if "text" in so:
            kind = "text"
            fields["text"] = so["text"]
            if so.get("entities"):
                fields["entities"] = so["entities"]
            raw = src.get("raw_text") or so["text"]
            mode = src.get("parse_mode")
        elif "photo" in so or "document" in so:
            kind = "photo" if "photo" in so else "document"
            fields[kind] = so[kind]
            if p.values.get("caption") is not None:
                raw, (plain, ents, mode) = self._caption_param(p)
                if plain:
                    fields["caption"] = plain
                    if ents:
                        fields["caption_entities"] = ents
            elif so.get("caption"):
                fields["caption"] = so["caption"]
                if so.get("caption_entities"):
                    fields["caption_entities"] = so["caption_entities"]
                raw = src.get("raw_text") or so["caption"]
                mode = src.get("parse_mode")
        else:
            raise bad_request("message can't be copied")
        markup = self._markup(p)
        reply_to = self._reply_target(p, cr)
        self._rate(cr)
        rec = self._send(cr, "copyMessage", {"kind": kind, "fields": fields, "raw": raw,
                                            "mode": mode}, p, markup, reply_to)
        return {"message_id": rec["obj"]["message_id"]}

    def _edit_target(self, p):
        if p.has("inline_message_id") and not p.has("chat_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        cr = self._resolve_chat(p.str("chat_id"))
        mid = p.int("message_id")
        rec = cr["messages"].get(str(mid)) if mid > 0 else None
        if rec is None or rec.get("deleted"):
            raise bad_request("message to edit not found")
        if not rec["bot"]:
            raise bad_request("message can't be edited")
        return cr, rec

    def _apply_edit(self, cr, rec, method, new_fields, markup, raw, mode, drop_keys):
        o = rec["obj"]
        old_markup_inline = o.get("reply_markup")
        new_inline = markup if markup and "inline_keyboard" in markup else None
        same_content = all(o.get(k) == v for k, v in new_fields.items()) and \
            all(k not in o for k in drop_keys)
        if same_content and old_markup_inline == new_inline:
            raise bad_request(NOT_MODIFIED)
        rec["history"].append({"text": o.get("text", o.get("caption", "")),
                               "raw_text": rec.get("raw_text"),
                               "parse_mode": rec.get("parse_mode"),
                               "entities": o.get("entities", o.get("caption_entities", [])),
                               "reply_markup": rec.get("markup"),
                               "date": o.get("edit_date", o.get("date")),
                               "replaced_by": method})
        for k in drop_keys:
            o.pop(k, None)
        o.update(new_fields)
        if new_inline is not None:
            o["reply_markup"] = new_inline
        else:
            o.pop("reply_markup", None)
        rec["markup"] = markup if new_inline is not None else None
        if raw is not None:
            rec["raw_text"] = raw
            rec["parse_mode"] = mode
        o["edit_date"] = now_unix()
        self.s["seq"] += 1
        rec["updated_seq"] = self.s["seq"]
        self._changed()
        return self._full_message(cr, rec)

    @api("editMessageText")
    def m_edit_message_text(self, p):
        raw, (plain, ents, mode) = self._text_param(p)
        markup = self._markup(p)
        cr, rec = self._edit_target(p)
        if "text" not in rec["obj"]:
            raise bad_request("there is no text in the message to edit")
        self._rate(cr, edit=True)
        fields = {"text": plain}
        drop = []
        if ents:
            fields["entities"] = ents
        else:
            drop.append("entities")
        return self._apply_edit(cr, rec, "editMessageText", fields, markup, raw, mode, drop)

    @api("editMessageCaption")
    def m_edit_message_caption(self, p):
        raw, (plain, ents, mode) = self._caption_param(p)
        markup = self._markup(p)
        cr, rec = self._edit_target(p)
        if "text" in rec["obj"]:
            raise bad_request("there is no caption in the message to edit")
        self._rate(cr, edit=True)
        fields, drop = {}, []
        if plain:
            fields["caption"] = plain
        else:
            drop.append("caption")
        if ents:
            fields["caption_entities"] = ents
        else:
            drop.append("caption_entities")
        return self._apply_edit(cr, rec, "editMessageCaption", fields, markup, raw or "", mode, drop)

    @api("editMessageReplyMarkup")
    def m_edit_message_reply_markup(self, p):
        markup = self._markup(p)
        cr, rec = self._edit_target(p)
        self._rate(cr, edit=True)
        return self._apply_edit(cr, rec, "editMessageReplyMarkup", {}, markup, None, None, [])

    @api("deleteMessage")
    def m_delete_message(self, p):
        cr = self._resolve_chat(p.str("chat_id"))
        mid = p.int("message_id")
        rec = cr["messages"].get(str(mid)) if mid > 0 else None
        if rec is None or rec.get("deleted"):
            raise bad_request("message to delete not found")
        rec["deleted"] = True
        if rec["bot"]:
            self.s["seq"] += 1
            rec["updated_seq"] = self.s["seq"]
        self._changed()
        return True

    @api("answerCallbackQuery")
    def m_answer_callback_query(self, p):
        qid = p.str("callback_query_id")
        if qid is None or qid == "":
            raise bad_request("parameter \"callback_query_id\" is required")
        q = self.s["callbacks"].get(qid)
        if q is None or q["answered"] or (
                self.callback_expiry and time.time() - q["created"] > self.callback_expiry):
            raise bad_request(QUERY_TOO_OLD)
        text = p.str("text", "")
        if not valid_utf8(text):
            raise bad_request("text must be encoded in UTF-8")
        if utf16_len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        q["answered"] = True
        self.s["answers"].append({
            "callback_query_id": qid, "text": text, "show_alert": p.bool("show_alert"),
            "url": p.str("url"), "cache_time": p.int("cache_time"),
            "answered_at": time.time(), "data": q["data"], "from_id": q["from_id"],
            "chat_id": q["chat_id"], "message_id": q["message_id"]})
        self._changed()
        return True

    @api("getFile")
    def m_get_file(self, p):
        fid = (p.str("file_id") or "").strip()
        f = self.s["files"].get(fid)
        if f is None:
            raise bad_request("invalid file_id")
        return {"file_id": f["file_id"], "file_unique_id": f["file_unique_id"],
                "file_size": f["size"], "file_path": f["path"]}

    @api("getChat")
    def m_get_chat(self, p):
        cid = td_int_strict(p.str("chat_id") or "")
        if cid and cid > 0 and self._chat(cid) is None and str(cid) in self.s["users"]:
            u = self.s["users"][str(cid)]      # seen in a group: the bot knows the user
            c = {"id": cid, "first_name": u["first_name"], "type": "private"}
            for k in ("last_name", "username"):
                if u.get(k):
                    c[k] = u[k]
            c["accent_color_id"] = 0
            return c
        cr = self._resolve_chat(p.str("chat_id"), write=False)
        c = dict(cr["chat"])
        c["accent_color_id"] = 0
        c["max_reaction_count"] = 11
        if c["type"] == "group" and cr.get("migrated_to"):
            c["migrated_to_chat_id"] = cr["migrated_to"]   # tgemu extra
        return c

    @api("getChatMember")
    def m_get_chat_member(self, p):
        # Returns a ChatMember: the bot is "member" of its groups, or "kicked"
        # (ChatMemberBanned) after /control/kick; a user is "member" of their
        # private chat and of a group they wrote in, else "left"; an unknown
        # user is "user not found", as on the real server.
        cr = self._resolve_chat(p.str("chat_id"), write=False)
        raw = p.str("user_id")
        uid = td_int_strict(raw or "")
        if raw is None or raw.strip() == "":
            raise bad_request("parameter \"user_id\" is required")
        if uid is None or uid <= 0:
            raise bad_request("invalid user_id specified")
        if uid == self.bot_id:
            user = self.bot_user()
            if cr.get("kicked"):
                return {"status": "kicked", "user": user, "until_date": 0}
            return {"status": "member", "user": user}
        user = self.s["users"].get(str(uid))
        if user is None:
            raise bad_request("user not found")
        if cr["chat"]["type"] == "private":
            status = "member" if cr["chat"]["id"] == uid else "left"
        else:
            wrote = any(not r["bot"] and r["obj"].get("from", {}).get("id") == uid
                        for r in cr["messages"].values())
            status = "member" if wrote else "left"
        return {"status": status, "user": user}

    @api("getUpdates")
    def m_get_updates(self, p):
        # handled specially in call(): needs to wait without holding the lock forever
        raise AssertionError("unreachable")

    # ---- getUpdates

    def _head(self):
        q = self.s["updates"]
        return q[0][0] if q else self.s["next_update_id"]

    def _apply_offset(self, offset):
        head, tail = self._head(), self.s["next_update_id"]
        if offset < 0:
            offset = max(head, tail + offset)
        if offset <= 0 or offset <= head:
            return
        if offset > tail:
            return          # "in the future": nothing forgotten, read from head
        before = len(self.s["updates"])
        self.s["updates"] = [u for u in self.s["updates"] if u[0] >= offset]
        if len(self.s["updates"]) != before:
            self._changed()

    def _abort_long_poll(self):
        if self.poller is not None:
            self.terminated.add(self.poller)
            self.poller = None
            self.cond.notify_all()

    def get_updates(self, p):
        offset = p.int("offset", 0)
        limit = min(max(p.int("limit", 100), 1), 100)
        timeout = min(max(p.int("timeout", 0), 0), LONG_POLL_MAX)
        au = p.json("allowed_updates", "can't parse allowed_updates JSON object")
        with self.cond:
            if self.s["webhook"]:
                raise ApiError(409, "Conflict: can't use getUpdates method while webhook is "
                               "active; use deleteWebhook to delete the webhook first")
            if isinstance(au, list):
                self.s["allowed_updates"] = [x for x in au if isinstance(x, str)] or None
                self._changed()
            self._apply_offset(offset)
            ups = [u[1] for u in self.s["updates"][:limit]]
            if ups or timeout == 0:
                return ups
            me = object()
            self._abort_long_poll()
            self.poller = me
            deadline = time.monotonic() + timeout
            try:
                while True:
                    if me in self.terminated:
                        self.terminated.discard(me)
                        now = time.monotonic()
                        delay = 0.0
                        if now < self.next_conflict:
                            delay = 3.0
                        else:
                            self.next_conflict = now + 3.0
                        break
                    ups = [u[1] for u in self.s["updates"][:limit]]
                    if ups:
                        return ups
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return []
                    self.cond.wait(left)
            finally:
                if self.poller is me:
                    self.poller = None
        if delay:
            time.sleep(delay)
        raise ApiError(409, CONFLICT_GETUPDATES)

    # ---- dispatch

    def take_fault(self, method, chat_id=None):
        with self.lock:
            for f in self.faults:
                if f.get("chat_id") is not None and str(f["chat_id"]) != str(chat_id):
                    continue
                if f["count"] > 0 and (f["method"] == "*" or f["method"] == method.lower()):
                    f["count"] -= 1
                    self.stats["faults_injected"] += 1
                    self.faults = [x for x in self.faults if x["count"] > 0]
                    return dict(f)
        return None

    def call(self, method, p):
        """Runs one Bot API method. Returns (result, description) or raises ApiError."""
        entry = METHODS.get(method.lower())
        if entry is None:
            raise ApiError(404, "Not Found")
        name, fn = entry
        if name == "getUpdates":
            return self.get_updates(p), None
        with self.cond:
            res = fn(self, p)
        if isinstance(res, tuple):
            return res
        return res, None

    def count_call(self, method):
        entry = METHODS.get(method.lower())
        name = entry[0] if entry else method
        with self.lock:
            self.stats["calls"][name] = self.stats["calls"].get(name, 0) + 1

    def log_call(self, method, chat_id, status, started, fault):
        """Notes one Bot API call: when it arrived and was answered (wall clock), to whom."""
        entry = METHODS.get(method.lower())
        try:
            chat = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            chat = None
        with self.lock:
            self.call_seq += 1
            self.call_log.append({"seq": self.call_seq, "method": entry[0] if entry else method,
                                  "chat_id": chat, "status": status, "fault": fault,
                                  "at": started, "answered_at": time.time(),
                                  # when this thread got to count it against the limits
                                  "counted_at": getattr(self.arrival, "counted", None)})
            del self.call_log[:-CALL_LOG_MAX]

    def count_error(self, code):
        with self.lock:
            k = str(code)
            self.stats["errors"][k] = self.stats["errors"].get(k, 0) + 1

    # ---- control API

    def c_message(self, body):
        with self.cond:
            user = self._user_obj(body.get("from"))
            chat = body.get("chat") or {"id": user["id"]}
            if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
                raise ControlError("chat.id (integer) is required")
            cid = chat["id"]
            if cid == user["id"] or chat.get("type") == "private":
                if cid != user["id"]:
                    raise ControlError("a private chat's id must equal from.id")
                cr = self._private_chat(user)
                if self.s["blocked"].get(str(user["id"])):
                    # writing to the bot again means the user unblocked ("restarted") it
                    self.c_block({"user_id": user["id"], "blocked": False})
            else:
                cr = self._chat(cid)
                if cr is None:
                    if cid > 0:
                        raise ControlError("unknown chat %d (create groups with /control/group)" % cid)
                    ctype = chat.get("type") or ("supergroup" if str(cid).startswith("-100")
                                                 else "group")
                    cr = self._new_chat({"id": cid, "title": chat.get("title") or "Group %d" % cid,
                                         "type": ctype})
                if cr.get("migrated_to"):
                    raise ControlError("chat %d was migrated to %d" % (cid, cr["migrated_to"]))
                if cr.get("kicked"):
                    raise ControlError("the bot is not a member of chat %d" % cid)
            obj = {"message_id": 0, "from": user, "chat": dict(cr["chat"]),
                   "date": int(body.get("date") or now_unix())}
            kind = None
            text = body.get("text")
            if text is not None:
                if not isinstance(text, str) or not valid_utf8(text):
                    raise ControlError("text must be a valid UTF-8 string")
                if text == "":
                    raise ControlError("text must not be empty")
                obj["text"] = text
                ents = body.get("entities")
                if ents is None:
                    ents = bot_command_entities(text)
                if ents:
                    obj["entities"] = ents
                kind = "text"
            if body.get("photo") is not None and body.get("photo") is not False:
                obj["photo"] = self._control_photo(body["photo"])
                kind = "photo"
            if body.get("document") is not None:
                obj["document"] = self._control_document(body["document"])
                kind = "document"
            if kind is None:
                raise ControlError("one of text, photo or document is required")
            if kind != "text" and body.get("caption"):
                if not valid_utf8(body["caption"]):
                    raise ControlError("caption must be valid UTF-8")
                obj["caption"] = body["caption"]
                if "text" in obj:
                    raise ControlError("text and photo/document are exclusive; use caption")
            reply_to = body.get("reply_to_message_id")
            if reply_to is not None:
                r = cr["messages"].get(str(reply_to))
                if r is None or r.get("deleted"):
                    raise ControlError("message %s not found in chat %d" % (reply_to, cid))
            quote = body.get("quote")
            if quote is not None:
                # A TextQuote: a part of the replied message's text, as a
                # client sends it when the user selects it and replies.
                if reply_to is None:
                    raise ControlError("quote needs reply_to_message_id")
                whole = r["obj"].get("text", r["obj"].get("caption", ""))
                at = whole.find(quote) if isinstance(quote, str) and quote else -1
                if at < 0:
                    raise ControlError("quote is not a part of message %s" % reply_to)
                obj["quote"] = {"text": quote, "position": utf16_len(whole[:at]),
                                "is_manual": True}
            rec = self._store_message(cr, obj, False, reply_to)
            msg = self._full_message(cr, rec)
            upd = self._queue_update("message", msg)
            return {"update": upd, "update_id": upd["update_id"] if upd else None,
                    "message": msg}

    def _blob(self, spec, default):
        if isinstance(spec, dict):
            if "data_base64" in spec:
                return base64.b64decode(spec["data_base64"])
            if "content" in spec:
                return str(spec["content"]).encode("utf-8")
            return default
        if isinstance(spec, str):
            return spec.encode("utf-8")
        return default

    def _control_photo(self, spec):
        if isinstance(spec, dict) and spec.get("file_id"):
            f = self.s["files"].get(spec["file_id"])
            if f is None or f["kind"] != "photo":
                raise ControlError("unknown photo file_id")
            return self._photo_sizes(f["set"])
        fake = b"\xff\xd8\xff\xe0tgemu fake jpeg " + secrets.token_bytes(64) + b"\xff\xd9"
        return self._new_photo(self._blob(spec, fake))

    def _control_document(self, spec):
        if not isinstance(spec, dict):
            spec = {"content": str(spec)}
        if spec.get("file_id"):
            f = self.s["files"].get(spec["file_id"])
            if f is None:
                raise ControlError("unknown document file_id")
            return self._document_obj(f)
        data = self._blob(spec, b"tgemu document\n")
        f = self._new_file("document", data, name=spec.get("file_name", "file.txt"),
                           mime=spec.get("mime_type", "text/plain"))
        return self._document_obj(f)

    def c_callback(self, body):
        with self.cond:
            user = self._user_obj(body.get("from"))
            cid = body.get("chat_id", user["id"])
            cr = self._chat(cid)
            if cr is None:
                raise ControlError("unknown chat %s" % cid)
            mid = body.get("message_id")
            rec = cr["messages"].get(str(mid))
            if rec is None or rec.get("deleted"):
                raise ControlError("message %s not found in chat %s" % (mid, cid))
            data = body.get("data")
            if not isinstance(data, str):
                raise ControlError("data (string) is required")
            qid = str(random.randint(10**18, 9 * 10**18))
            msg = self._full_message(cr, rec)
            cq = {"id": qid, "from": user, "message": msg,
                  "chat_instance": str(int(hashlib.sha1(str(cid).encode()).hexdigest()[:15], 16)),
                  "data": data}
            matched = data in [b.get("callback_data") for b in _buttons(rec.get("markup"))]
            self.s["callbacks"][qid] = {"answered": False, "created": time.time(), "data": data,
                                        "from_id": user["id"], "chat_id": cid,
                                        "message_id": mid}
            upd = self._queue_update("callback_query", cq)
            return {"callback_query_id": qid, "update": upd, "matched_button": matched}

    def c_update(self, body):
        with self.cond:
            body = dict(body or {})
            body.pop("update_id", None)
            if len(body) != 1:
                raise ControlError("the update must have exactly one field besides update_id")
            kind, payload = next(iter(body.items()))
            if isinstance(payload, dict):
                chat = payload.get("chat")
                frm = payload.get("from")
                if isinstance(frm, dict) and isinstance(frm.get("id"), int) and not frm.get("is_bot"):
                    self._user_obj(frm)
                if isinstance(chat, dict) and isinstance(chat.get("id"), int) \
                        and self._chat(chat["id"]) is None and chat.get("type"):
                    if chat["type"] == "private":
                        if isinstance(frm, dict) and frm.get("id") == chat["id"]:
                            self._private_chat(self.s["users"][str(chat["id"])])
                    else:
                        self._new_chat(dict(chat))
            upd = self._queue_update(kind, payload)
            return {"update": upd}

    def c_group(self, body):
        with self.cond:
            cid = body.get("id")
            if not isinstance(cid, int) or cid >= 0:
                raise ControlError("id must be a negative integer")
            ctype = body.get("type", "group")
            if ctype not in ("group", "supergroup"):
                raise ControlError("type must be group or supergroup")
            chat = {"id": cid, "title": body.get("title") or "Group %d" % cid, "type": ctype}
            if body.get("username") and ctype == "supergroup":
                chat["username"] = body["username"]
            cr = self._chat(cid)
            if cr is None:
                cr = self._new_chat(chat)
            else:
                cr["chat"] = chat
            self._changed()
            return {"chat": chat}

    def c_migrate(self, body):
        with self.cond:
            old, new = body.get("chat_id"), body.get("new_chat_id")
            cr = self._chat(old)
            if cr is None or cr["chat"]["type"] != "group":
                raise ControlError("chat_id must be an existing basic group")
            if cr.get("migrated_to"):
                raise ControlError("already migrated")
            if not isinstance(new, int) or not str(new).startswith("-100") or self._chat(new):
                raise ControlError("new_chat_id must be a new -100... id")
            frm = body.get("from")
            user = self._user_obj(frm) if frm else {
                "id": 1087968824, "is_bot": True, "first_name": "Group",
                "username": "GroupAnonymousBot"}
            ncr = self._new_chat({"id": new, "title": cr["chat"]["title"], "type": "supergroup"})
            m1 = {"message_id": 0, "from": user, "chat": dict(cr["chat"]), "date": now_unix(),
                  "migrate_to_chat_id": new}
            r1 = self._store_message(cr, m1, False)
            cr["migrated_to"] = new
            ncr["migrated_from"] = old
            m2 = {"message_id": 0, "from": user, "chat": dict(ncr["chat"]), "date": now_unix(),
                  "migrate_from_chat_id": old}
            r2 = self._store_message(ncr, m2, False)
            u1 = self._queue_update("message", self._full_message(cr, r1))
            u2 = self._queue_update("message", self._full_message(ncr, r2))
            return {"chat": ncr["chat"], "updates": [u for u in (u1, u2) if u]}

    def c_block(self, body):
        with self.cond:
            uid = body.get("user_id")
            if str(uid) not in self.s["users"]:
                raise ControlError("unknown user %s" % uid)
            blocked = bool(body.get("blocked", True))
            was = bool(self.s["blocked"].get(str(uid)))
            if blocked:
                self.s["blocked"][str(uid)] = True
            else:
                self.s["blocked"].pop(str(uid), None)
            upd = None
            cr = self._chat(uid)
            if was != blocked and cr is not None and body.get("emit", True):
                old_s, new_s = ("member", "kicked") if blocked else ("kicked", "member")
                bot = self.bot_user()

                def member(status):
                    m = {"user": bot, "status": status}
                    if status == "kicked":
                        m["until_date"] = 0
                    return m
                upd = self._queue_update("my_chat_member", {
                    "chat": dict(cr["chat"]), "from": self.s["users"][str(uid)],
                    "date": now_unix(), "old_chat_member": member(old_s),
                    "new_chat_member": member(new_s)})
            self._changed()
            return {"blocked": blocked, "update": upd}

    def c_kick(self, body):
        with self.cond:
            cr = self._chat(body.get("chat_id"))
            if cr is None or cr["chat"]["type"] == "private":
                raise ControlError("chat_id must be an existing group")
            cr["kicked"] = bool(body.get("kicked", True))
            self._changed()
            return {"kicked": cr["kicked"]}

    def c_fault(self, body):
        kind = str(body.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ControlError("kind must be one of " + ", ".join(FAULT_KINDS))
        method = str(body.get("method") or "*")
        count = body.get("count", 1)
        if not isinstance(count, int) or count < 1:
            raise ControlError("count must be a positive integer")
        seconds = body.get("seconds", 60 if kind == "hold" else 1)
        if not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError("seconds must be a non-negative number")
        chat_id = body.get("chat_id")
        if chat_id is not None and not isinstance(chat_id, int):
            raise ControlError("chat_id must be an integer")
        f = {"method": method.lower(), "kind": kind, "count": count, "seconds": seconds,
             "apply": bool(body.get("apply", False)), "chat_id": chat_id}
        with self.lock:
            self.faults.append(f)
            return {"faults": [dict(x) for x in self.faults]}

    def c_latency(self, body):
        ms, jitter = body.get("ms", 0), body.get("jitter_ms", 0)
        for v in (ms, jitter):
            if not isinstance(v, (int, float)) or v < 0 or v > 60000:
                raise ControlError("ms and jitter_ms must be numbers from 0 to 60000")
        if jitter > ms:
            raise ControlError("jitter_ms must not exceed ms")
        with self.lock:
            self.delay_ms, self.jitter_ms = float(ms), float(jitter)
            if body.get("reset_peak", True):
                self.max_in_flight = 0
                self.max_in_flight_chat = {}
            return {"ms": self.delay_ms, "jitter_ms": self.jitter_ms}

    def one_way(self):
        """Seconds a request (or its answer) spends on the network: half the
        round trip, give or take half the jitter, drawn for each direction."""
        with self.lock:
            d, j = self.delay_ms, self.jitter_ms
        if d <= 0:
            return 0.0
        return max(0.0, d / 2 + random.uniform(-j / 2, j / 2)) / 1000.0

    def enter(self, chat_id):
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if chat_id is not None:
                k = str(chat_id)
                n = self.in_flight_chat.get(k, 0) + 1
                self.in_flight_chat[k] = n
                self.max_in_flight_chat[k] = max(self.max_in_flight_chat.get(k, 0), n)

    def leave(self, chat_id):
        with self.lock:
            self.in_flight -= 1
            if chat_id is not None:
                k = str(chat_id)
                self.in_flight_chat[k] -= 1
                if not self.in_flight_chat[k]:
                    del self.in_flight_chat[k]

    def c_release(self, body):
        """Lets every answer held by a fault "hold" go, and drops the hold
        faults no call has taken yet (unless keep): a test releases when its
        scene is set, and a call that comes after that (a slow bot) must not
        be held."""
        with self.lock:
            if not (body or {}).get("keep"):
                self.faults = [f for f in self.faults if f["kind"] != "hold"]
            released, self.released = self.released, threading.Event()
        released.set()
        return {}

    def c_limits(self, body):
        with self.lock:
            self.limits_on = bool(body.get("on", True))
            if not self.limits_on:
                self.limiter.reset()
            return {"on": self.limits_on}

    def c_reset(self, body):
        with self.cond:
            # update ids keep counting; a bot's long poll in flight keeps waiting
            self.s = self._fresh_state(self.s["next_update_id"])
            self._reset_runtime()
            self._changed()
            return {}

    def _bot_records(self, chat_id=None):
        out = []
        for cid, mid in self.s["sent"]:
            if chat_id is not None and cid != chat_id:
                continue
            cr = self._chat(cid)
            rec = cr["messages"].get(str(mid)) if cr else None
            if rec:
                out.append((cr, rec))
        return out

    def c_sent(self, q):
        chat_id = _qint(q, "chat_id")
        since = _qint(q, "since") or 0
        with self.lock:
            msgs = [self._view(cr, rec) for cr, rec in self._bot_records(chat_id)
                    if rec.get("updated_seq", 0) > since]
            return {"messages": msgs, "last_seq": self.s["seq"]}

    def c_history(self, q):
        chat_id = _qint(q, "chat_id")
        with self.lock:
            cr = self._chat(chat_id)
            if cr is None:
                raise ControlError("unknown chat")
            msgs = []
            for mid in sorted(cr["messages"], key=int):
                rec = cr["messages"][mid]
                m = self._full_message(cr, rec)
                m["_by_bot"] = rec["bot"]
                m["_deleted"] = bool(rec.get("deleted"))
                msgs.append(m)
            return {"chat": cr["chat"], "migrated_to": cr.get("migrated_to"),
                    "messages": msgs}

    def c_callback_answers(self, q):
        with self.lock:
            unanswered = [dict(id=k, **{x: v[x] for x in ("data", "from_id", "chat_id",
                                                            "message_id", "created")})
                          for k, v in self.s["callbacks"].items() if not v["answered"]]
            return {"answers": list(self.s["answers"]), "unanswered": unanswered}

    def c_stats(self, q):
        with self.lock:
            return {"calls": dict(self.stats["calls"]), "errors": dict(self.stats["errors"]),
                    "errors429": self.stats["errors429"],
                    "errors429_by_chat": dict(self.stats["errors429_by_chat"]),
                    "faults_injected": self.stats["faults_injected"],
                    "faults_pending": [dict(f) for f in self.faults],
                    "updates_filtered": self.stats["updates_filtered"],
                    "getUpdates_confirmed_offset": self._head(),
                    "pending_updates": len(self.s["updates"]),
                    "next_update_id": self.s["next_update_id"],
                    "allowed_updates": self.s["allowed_updates"],
                    "long_polling": self.poller is not None,
                    "limits": self.limits_on,
                    "delay_ms": self.delay_ms, "jitter_ms": self.jitter_ms,
                    "in_flight": self.in_flight, "max_in_flight": self.max_in_flight,
                    "max_in_flight_per_chat": max(self.max_in_flight_chat.values(), default=0),
                    "messages_sent": len(self.s["sent"])}

    def c_uploads(self, q):
        since = _qint(q, "since") or 0
        with self.lock:
            return {"uploads": [dict(u) for u in self.uploads if u["seq"] > since],
                    "botapi": self.botapi_version}

    def c_calls(self, q):
        since = _qint(q, "since") or 0
        with self.lock:
            return {"calls": [dict(c) for c in self.call_log if c["seq"] > since],
                    "last_seq": self.call_seq}

    def c_updates(self, q):
        with self.lock:
            return {"updates": [u[1] for u in self.s["updates"]]}

    def c_chats(self, q):
        with self.lock:
            return {"chats": [dict(c["chat"], migrated_to=c.get("migrated_to"),
                                   kicked=c.get("kicked", False),
                                   blocked=bool(self.s["blocked"].get(str(c["chat"]["id"]))))
                              for c in self.s["chats"].values()],
                    "commands": self.s["commands"]}

    def c_wait(self, q):
        chat_id = _qint(q, "chat_id")
        count = _qint(q, "count") or 1
        since = _qint(q, "since") or 0
        timeout = min(float(q.get("timeout", ["10"])[0] or 10), 120.0)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                recs = [(cr, r) for cr, r in self._bot_records(chat_id)
                        if r.get("seq", 0) > since and not r.get("deleted")]
                if len(recs) >= count:
                    return {"ok": True, "count": len(recs),
                            "messages": [self._view(cr, r) for cr, r in recs]}
                left = deadline - time.monotonic()
                if left <= 0:
                    return {"ok": False, "timed_out": True, "count": len(recs),
                            "messages": [self._view(cr, r) for cr, r in recs]}
                self.cond.wait(left)


def _qint(q, key):
    v = q.get(key, [None])[0]
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise ControlError("%s must be an integer" % key)


def _buttons(markup):
    out = []
    if markup and isinstance(markup.get("inline_keyboard"), list):
        for row in markup["inline_keyboard"]:
            for b in row:
                out.append(b)
    return out


CONTROL_POST = {"message": Emulator.c_message, "callback": Emulator.c_callback,
                "update": Emulator.c_update, "group": Emulator.c_group,
                "migrate": Emulator.c_migrate, "block": Emulator.c_block,
                "kick": Emulator.c_kick, "fault": Emulator.c_fault,
                "limits": Emulator.c_limits, "reset": Emulator.c_reset,
                "latency": Emulator.c_latency, "release": Emulator.c_release}
CONTROL_GET = {"sent": Emulator.c_sent, "callback_answers": Emulator.c_callback_answers,
               "stats": Emulator.c_stats, "wait": Emulator.c_wait,
               "history": Emulator.c_history, "updates": Emulator.c_updates,
               "chats": Emulator.c_chats, "calls": Emulator.c_calls,
               "uploads": Emulator.c_uploads}


# --------------------------------------------------------------------------
# HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, a kept-alive
    # client waits for a delayed ACK (~40 ms) on every call. Telegram does not.
    disable_nagle_algorithm = True

    def version_string(self):
        return "nginx/1.18.0"

    def log_message(self, fmt, *args):      # the default would log the path, i.e. the token
        pass

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass

    def handle_one_request(self):
        self.received = self._received()
        super().handle_one_request()

    def _received(self):
        """When the next request's first bytes reached this host (time.time()).

        Telegram counts a call against its limits when it arrives. A thread
        of this process may get to a request tens of ms later on a busy
        machine (the CPU, the GIL, the lock), and calls that arrived apart
        would be counted bunched: the kernel's receive stamp says when it
        came. Waits for the request like the read that follows would; no
        client of this emulator pipelines requests, so none is buffered."""
        try:
            _, anc, _, _ = self.connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
        except OSError:
            return time.time()
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                return sec + nsec / 1e9
        return time.time()

    @property
    def emu(self):
        return self.server.emu

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            data = bytearray()
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data += self.rfile.read(size)
                self.rfile.readline(65537)
                if len(data) > MAX_BODY:
                    raise ApiError(413, "Request Entity Too Large")
            return bytes(data)
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ApiError(413, "Request Entity Too Large")
        return self.rfile.read(n) if n > 0 else b""

    def _send(self, status, body, ctype="application/json"):
        self._log_call(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _log_call(self, status):
        log, self.pending_log = getattr(self, "pending_log", None), None
        if log:
            log(status)

    def _json(self, status, obj):
        self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

    def _api_error(self, e):
        obj = {"ok": False, "error_code": e.code, "description": e.description}
        if e.parameters:
            obj["parameters"] = e.parameters
        self._json(e.code, obj)

    def _drop(self):
        self._log_call(0)
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self.connection.close()
        except OSError:
            pass

    def _handle(self):
        started = time.monotonic()
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        try:
            if path.startswith("/control/"):
                return self._control(path[len("/control/"):], split.query)
            m = re.fullmatch(r"/bot([^/]*)/([^/]*)", path)
            if m:
                return self._bot_api(m.group(1), m.group(2), split.query, started)
            m = re.fullmatch(r"/file/bot([^/]*)/(.+)", path)
            if m:
                return self._file(m.group(1), urllib.parse.unquote(m.group(2)))
            self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            flying, self.flying = getattr(self, "flying", None), None
            if flying:
                self.emu.leave(flying[0])

    def _file(self, token, fpath):
        if token != self.emu.token:
            return self._json(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with self.emu.lock:
            fid = self.emu.s["paths"].get(fpath)
            f = self.emu.s["files"].get(fid) if fid else None
            data = base64.b64decode(f["data"]) if f else None
            mime = (f or {}).get("mime_type") or ("image/jpeg" if fpath.startswith("photos/")
                                                  else "application/octet-stream")
        if data is None:
            return self._json(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        self._send(200, data, mime)

    def _params(self, query, body):
        p = Params()
        for k, v in urllib.parse.parse_qsl(query, keep_blank_values=True,
                                           encoding="utf-8", errors="surrogateescape"):
            p.values[k] = v
        if not body:
            return p
        ctype = self.headers.get("Content-Type") or ""
        lct = ctype.lower()
        if lct.startswith("application/json"):
            try:
                obj = json.loads(body.decode("utf-8", "surrogateescape"))
            except ValueError as e:
                raise bad_request("can't parse JSON encoded request: %s" % e)
            if not isinstance(obj, dict):
                raise bad_request("can't parse JSON encoded request: expected an Object")
            p.values.update(obj)
        elif lct.startswith("multipart/form-data"):
            fields, files = parse_multipart(body, ctype)
            p.values.update(fields)
            p.files.update(files)
        else:       # application/x-www-form-urlencoded (also the default)
            for k, v in urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True,
                                               encoding="utf-8", errors="surrogateescape"):
                p.values[k] = v
        return p

    def _bot_api(self, token, method, query, started):
        emu = self.emu
        try:
            body = self._read_body()
        except ApiError as e:
            self.close_connection = True
            return self._api_error(e)
        if token != emu.token:
            emu.count_error(401)
            self._api_error(ApiError(401, "Unauthorized"))
            emu.log("%s %s -> 401" % (self.command, method or "-"))
            return
        emu.count_call(method)
        emu.arrival.at = emu.arrival.counted = None
        arrived = time.time()
        fault = None
        chat_id = None
        # Noted as the answer leaves, before the client can read it: the call
        # log never misses a call the client saw answered, nor puts it after
        # the client's next one.
        self.pending_log = lambda st: emu.log_call(method, chat_id, st, arrived,
                                                   fault["kind"] if fault else None)
        status = 200
        polling = method.lower() == "getupdates"
        try:
            p = self._params(query, body)
            chat_id = p.values.get("chat_id")
            if method.lower() in METHODS:
                emu.check_call(method, p)
            if (self.headers.get("Content-Type") or "").lower().startswith("multipart/form-data"):
                emu.check_upload(method, p)
            if not polling:
                emu.enter(chat_id)
                self.flying = [chat_id]     # left in _handle, whatever happens
            # The request travels to Telegram, which counts it on arrival:
            # one way after it reached this host, however late we read it.
            arrived = getattr(self, "received", None) or time.time()
            arrived += emu.one_way()
            time.sleep(max(0.0, arrived - time.time()))
            emu.arrival.at = time.monotonic() - (time.time() - arrived)
            fault = emu.take_fault(method, chat_id)
            late = 0.0
            held = None
            if fault and fault["kind"] == "hold":
                # the call takes effect at once; its answer waits for
                # /control/release, `seconds` at most (default 60)
                held = (emu.released, fault["seconds"])
                fault = None
            if fault and fault["kind"] == "delay":
                # apply: the call takes effect at once, its answer is late
                # (a bot killed meanwhile never learns that it went)
                if fault["apply"]:
                    late = fault["seconds"]
                else:
                    time.sleep(fault["seconds"])
                fault = None
            if fault and fault["kind"] == "429":
                secs = max(1, int(math.ceil(fault["seconds"])))
                with emu.lock:
                    emu.stats["errors429"] += 1
                raise ApiError(429, "Too Many Requests: retry after %d" % secs,
                               {"retry_after": secs})
            if fault and not fault["apply"]:
                raise RawResponse(0, b"", "")
            result, desc = emu.call(method, p)
            if fault:
                raise RawResponse(0, b"", "")
            obj = {"ok": True, "result": result}
            if desc:
                obj["description"] = desc
            if held:
                held[0].wait(held[1])
            time.sleep(emu.one_way() + late)        # and the answer travels back
            self._json(200, obj)
        except RawResponse:
            kind = fault["kind"]
            if kind == "500":
                status = 500
                self._json(500, {"ok": False, "error_code": 500,
                                 "description": "Internal Server Error"})
            elif kind == "html":
                status = 502
                self._send(502, HTML_502, "text/html")
            elif kind == "badjson":
                self._send(200, b'{"ok":true,"result":[{"update_id":12,"message":{"text":"trunc')
            else:
                status = 0
                self._drop()
        except ApiError as e:
            status = e.code
            emu.count_error(e.code)
            time.sleep(emu.one_way())
            self._api_error(e)
        except Exception as e:      # a bug in tgemu: say so, keep serving
            status = 500
            emu.count_error(500)
            sys.stderr.write("tgemu: internal error in %s: %r\n" % (method, e))
            self._json(500, {"ok": False, "error_code": 500,
                             "description": "Internal Server Error: tgemu bug: %s" % e})
        self._log_call(status)
        emu.log("%s %s -> %s%s (%d ms)" % (self.command, method, status or "dropped",
                                          " [fault %s]" % fault["kind"] if fault else "",
                                          (time.monotonic() - started) * 1000))

    def _control(self, name, query):
        emu = self.emu
        try:
            body = self._read_body()
            q = urllib.parse.parse_qs(query, keep_blank_values=True)
            if self.command == "POST" and name in CONTROL_POST:
                obj = {}
                if body.strip():
                    try:
                        obj = json.loads(body.decode("utf-8"))
                    except ValueError as e:
                        raise ControlError("invalid JSON: %s" % e)
                if not isinstance(obj, dict):
                    raise ControlError("expected a JSON object")
                res = CONTROL_POST[name](emu, obj)
            elif name in CONTROL_GET:
                res = CONTROL_GET[name](emu, q)
            else:
                return self._json(404, {"ok": False, "error": "unknown control endpoint "
                                        "%s %s" % (self.command, name)})
            out = {"ok": True}
            out.update(res)
            self._json(200, out)
            if self.command == "POST":          # GETs are polled; too noisy to log
                emu.log("control %s -> 200" % name)
        except ControlError as e:
            self._json(400, {"ok": False, "error": str(e)})
            emu.log("control %s -> 400 %s" % (name, e))
        except ApiError as e:
            self._json(e.code, {"ok": False, "error": e.description})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def server_bind(self):
        # Accepted connections inherit it: a request that came while its
        # connection waited to be accepted is stamped too (Handler._received).
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:
            pass
        super().server_bind()

    def handle_error(self, request, client_address):
        # the default prints a traceback; keep it to one line (and never a URL)
        e = sys.exc_info()[1]
        if not isinstance(e, (ConnectionError, TimeoutError)):
            sys.stderr.write("tgemu: error while handling a request: %s\n" % type(e).__name__)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Local Telegram Bot API emulator (tilldesk tests).")
    ap.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1 (0 = any free)")
    ap.add_argument("--token", default=os.environ.get("TGEMU_TOKEN", DEFAULT_TOKEN),
                    help="bot token to accept (default: a fixed test token)")
    ap.add_argument("--bot-username", default=DEFAULT_USERNAME)
    ap.add_argument("--limits", choices=("on", "off"), default="on",
                    help="enforce Telegram's flood limits (default on)")
    ap.add_argument("--state-file", help="load state from and save it to this JSON file")
    ap.add_argument("--html-strict", choices=("on", "off"), default="on",
                    help="reject a bare '&' in HTML text (default on; Telegram keeps it)")
    ap.add_argument("--callback-expiry", type=float, default=0,
                    help="seconds after which answerCallbackQuery fails (default 0 = never)")
    ap.add_argument("--first-update-id", type=int, default=0,
                    help="first update_id (default random, like Telegram)")
    ap.add_argument("--group-limit", type=int, default=20,
                    help="messages per rolling minute to one group (default 20, as Telegram)")
    ap.add_argument("--chat-rate", type=float, default=1.0,
                    help="messages per second to one chat, bursts of 3 (default 1, as Telegram)")
    ap.add_argument("--delay", type=float, default=0, metavar="MS",
                    help="round trip of every Bot API call in ms, half on the way in (calls are "
                         "counted against the limits on arrival), half on the way out (default 0)")
    ap.add_argument("--jitter", type=float, default=0, metavar="MS",
                    help="the round trip varies by up to this much, each way drawn apart "
                         "(default 0; at most --delay)")
    ap.add_argument("--botapi", metavar="FILE",
                    help="the Bot API's description (JSON) every call is checked against "
                         "(default: $TGEMU_BOTAPI, else botapi-10.1.json beside tgemu.py; "
                         "'none': no check)")
    ap.add_argument("--verbose", action="store_true", help="log one line per call to stderr")
    a = ap.parse_args(argv)
    if ":" not in a.token:
        ap.error("--token must look like <bot id>:<secret>")
    if a.delay < 0 or a.jitter < 0 or a.jitter > a.delay:
        ap.error("--delay and --jitter must be >= 0, and --jitter at most --delay")

    emu = Emulator(token=a.token, username=a.bot_username, limits=a.limits == "on",
                   state_file=a.state_file, verbose=a.verbose,
                   html_strict=a.html_strict == "on", callback_expiry=a.callback_expiry,
                   first_update_id=a.first_update_id or None, group_limit=a.group_limit,
                   chat_rate=a.chat_rate, delay_ms=a.delay, jitter_ms=a.jitter, botapi=a.botapi)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.emu = emu
    stop = threading.Event()

    def saver():
        while not stop.wait(0.3):
            try:
                emu.save()
            except OSError as e:
                sys.stderr.write("tgemu: cannot save state: %s\n" % e)

    if a.state_file:
        threading.Thread(target=saver, daemon=True).start()

    def on_signal(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print("tgemu listening on 127.0.0.1:%d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        stop.set()
        if a.state_file:
            emu.dirty = True
            emu.save()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
