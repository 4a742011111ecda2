/*
 * words.h - the words of a letter, once its body is UTF-8 (mail/parse.c
 * decodes it): the text of an HTML part, format=flowed lines joined, and
 * the new words of a reply without the quoted history and the signature.
 * Plain C, no MIME library: mail/words.c.
 */
#ifndef TD_MAIL_WORDS_H
#define TD_MAIL_WORDS_H

#include "core/buf.h"

/* The most bytes of text a letter gives a ticket (inletter.text, .full_text). */
#define MAIL_TEXT_MAX (64 * 1024)

/*
 * Appends the text of a text/plain body s (n bytes of UTF-8, borrowed):
 * "\n" line ends, no NUL and no control character but the tab, a leading
 * byte-order mark dropped; with flowed (RFC 3676 format=flowed) soft line
 * breaks joined, delsp (DelSp=yes) dropping the space before each. Then
 * spaces at the ends of lines, and blank lines at both ends, trimmed.
 */
void mail_plain_text(struct buf *out, const char *s, size_t n, bool flowed, bool delsp);

/*
 * Appends the text of an HTML body s (n bytes of UTF-8, borrowed), the
 * same kind of text as mail_plain_text(): tags dropped; <br>, <p>, <div>,
 * list items and table rows end lines; entities decoded; the contents of
 * <head>, <style>, <script> and comments dropped; each line inside a
 * <blockquote> written as a quote, "> " in front, so mail_new_words()
 * drops it as history.
 */
void mail_html_text(struct buf *out, const char *s, size_t n);

/*
 * Appends the new words of text (as the two above make it; borrowed):
 * without quoted lines ("> "), the attribution line above them ("On ...
 * wrote:", "25.11.2026, 10:15, "Иван" <ivan@x.ru>:", "... пишет:"), and
 * everything from the first separator a client writes above a history it
 * does not quote ("-----Original Message-----", "Исходное сообщение",
 * Outlook's "From: / Sent:" block or "От: / Отправлено:", an attribution
 * with no quote under it) or a signature ("-- "); nor a phone's "Sent
 * from my iPhone" line. A forwarded letter
 * ("Пересылаемое сообщение", "Forwarded message") is kept whole: it is
 * what the sender wants the desk to read. Runs of blank lines become one.
 * When nothing is left, the whole text is appended: a letter of quotes
 * alone does not vanish.
 */
void mail_new_words(struct buf *out, const char *text);

/*
 * Appends s (n bytes, borrowed) as well-formed UTF-8: each maximal invalid
 * sequence becomes U+FFFD, NUL bytes are dropped.
 */
void mail_utf8_scrub(struct buf *out, const char *s, size_t n);

/* The length of s[0..n) cut to at most max bytes at a character boundary. */
size_t mail_text_cut(const char *s, size_t n, size_t max);

#endif
