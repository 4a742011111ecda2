/*
 * html.h - text for Telegram's HTML parse mode: escaping, length as
 * Telegram counts it, and splitting of long messages.
 *
 * Every user string that reaches a Telegram message goes through
 * html_escape(); templates supply the tags.
 */
#ifndef TD_HTML_H
#define TD_HTML_H

#include "core/buf.h"

/* Telegram's limit on the text of one message, in html_text_length(). */
#define HTML_MESSAGE_LIMIT 4096

/*
 * Appends s (borrowed, NUL-terminated) to out escaped for Telegram's HTML
 * parse mode: & < > " as &amp; &lt; &gt; &quot;, and ' as &#39; so the
 * result is safe in any attribute too. Invalid UTF-8 (stray or missing
 * continuation bytes, overlongs, surrogates, code points past U+10FFFF) is
 * replaced by U+FFFD, one per maximal invalid subsequence, so Telegram never
 * rejects the text. Returns 0, or TD_ENOMEM when out reached its cap (out
 * is then failed, as buf.h describes).
 */
int html_escape(struct buf *out, const char *s);

/*
 * Length of an HTML message (borrowed) as Telegram counts it: UTF-16 code
 * units of the text after parsing. Tags count 0; an entity counts as the
 * character it stands for (&amp; is 1, &#128512; is 2); a character outside
 * the Basic Multilingual Plane (4-byte UTF-8, e.g. an emoji) counts 2; an
 * invalid UTF-8 sequence counts 1, like the U+FFFD html_escape() puts there.
 */
size_t html_text_length(const char *html);

/*
 * Splits an HTML message (valid Telegram HTML as produced by our templates:
 * tags b, i, u, s, code, pre, a href, blockquote; entities) into parts each
 * at most `limit` (HTML_MESSAGE_LIMIT for messages) in html_text_length().
 *
 * A part ends, in order of preference, at a blank line, at a newline, at a
 * space, or anywhere between two characters; never inside a tag or an
 * entity, a UTF-8 sequence or a surrogate pair. A preferred break is taken
 * only when it leaves the part at least half full, so a short first
 * paragraph does not cost a message of its own. The whitespace at a break
 * ends neither part: leading whitespace of a following part is dropped.
 * Tags open at the break are closed at the end of one part and reopened,
 * with their attributes, at the start of the next, so every part is valid
 * HTML on its own.
 *
 * Calls fn(part, len, arg) for each part in order; part is NUL-terminated
 * and borrowed for the call only. fn returning non-zero stops the split and
 * its value is returned. A message within the limit is passed through
 * unchanged as one part (html itself). If limit is below 2 a character
 * counting 2 still makes a part of its own. Returns 0, fn's non-zero value,
 * or TD_ENOMEM.
 */
int html_split(const char *html, size_t limit,
	       int (*fn)(const char *part, size_t len, void *arg), void *arg);

/*
 * Appends html as plain text: tags dropped, the named entities &lt; &gt;
 * &amp; &quot; and numeric ones (&#39;, &#x1F600;) naming a valid code
 * point decoded to UTF-8; any other entity stays as written. For a message
 * Telegram refused to parse, and terminals.
 */
void html_to_text(struct buf *out, const char *html);

#endif
