/*
 * chatter.h - small talk: greetings, thanks, "are you there?", "ok",
 * emoji, in Russian and English. One short list of words, compared after
 * folding, so that every part of tilldesk that must tell chatter from a
 * problem (the cashier's dialog, the hints on engineers' cards) agrees.
 *
 * Folding: Latin and Cyrillic letters in lower case, ё as е, a letter
 * repeated for emphasis («приииивет», "hellooo") as one, apostrophes
 * dropped ("didn't" as "didnt"). A word is a run of letters and digits;
 * everything else (punctuation, emoji, spaces) only separates words. A
 * word of six letters or more may differ from a listed word by one typo
 * (a letter missing, added, changed, or two swapped): «здраствуйте»,
 * «спасибр».
 */
#ifndef TD_CHATTER_H
#define TD_CHATTER_H

#include "core/common.h"

/* Code points kept of a word; longer words are cut (and match nothing). */
#define CHATTER_WORD_MAX 40

struct chatter_word {
	uint32_t c[CHATTER_WORD_MAX];
	size_t n;
	bool cut;
};

/* The next word at *s, folded into *out; advances *s. false at the end. */
bool chatter_next(const char **s, struct chatter_word *out);

/* Whether a and b are the same word, a typo apart at most. */
bool chatter_word_eq(const struct chatter_word *a, const struct chatter_word *b);
/* Whether w is one of the words of list (NULL-terminated, written as they are spelt). */
bool chatter_word_in(const struct chatter_word *w, const char *const *list);

/* Whether the folded word w is small talk. */
bool chatter_is(const struct chatter_word *w);
/*
 * Whether the word s[0..len) (any case) is small talk that says nothing
 * about a fault: the knowledge base's stop words besides function words.
 */
bool chatter_is_stop_word(const char *s, size_t len);

/*
 * Whether text is only small talk: not empty, and every word of it is
 * chatter (text of emoji and punctuation alone counts as chatter). A
 * greeting with a problem («Здравствуйте, не печатает чек») is not.
 */
bool chatter_only(const char *text);

#endif
