/*
 * chatter.c - small talk: the list of chatter words and the folding both
 * sides of a comparison go through.
 */
#include <pthread.h>
#include <stdlib.h>

#include "core/chatter.h"

/* Words long enough to forgive a typo in: shorter ones are too alike. */
#define TYPO_MIN 6

/*
 * Words that carry no problem: greetings, thanks, "are you there?",
 * politeness, assent. Only a message made of nothing else is chatter, so
 * words like «вы» or «есть» are safe here: a problem always brings words
 * of its own.
 */
static const char *const chatter_words[] = {
	/* greetings */
	"привет", "приветик", "приветствую", "прив", "здравствуйте", "здравствуй", "здрасте",
	"здрасьте", "драсте", "добрый", "доброе", "доброго", "добрейший", "день", "денек", "дня",
	"утро", "утречко", "утра", "вечер", "вечера", "времени", "суток", "хай", "салют", "алло",
	"ау", "коллеги", "уважаемые", "hi", "hello", "hey", "hallo", "good", "morning",
	"afternoon", "evening", "day", "greetings", "a",
	/* thanks */
	"спасибо", "спасибки", "спасибочки", "спс", "пасиб", "благодарю", "благодарим",
	"большое", "огромное", "заранее", "thanks", "thank", "thx", "ty", "much", "lot",
	/* are you there? */
	"вы", "ты", "тут", "там", "здесь", "есть", "кто", "нибудь", "кто-нибудь", "живой", "живые",
	"на", "связи", "слышите", "меня", "ли", "anyone", "anybody", "someone", "there", "are",
	"is", "you", "here",
	/* politeness and assent */
	"пожалуйста", "пжл", "плиз", "ок", "окей", "ok", "okay", "ладно", "хорошо", "понятно",
	"понял", "поняла", "ясно", "да", "ага", "угу", "please", "yes", "sure",
	"поняли", "давайте", "извините", "простите", "благодарствую", "всем",
	/* approval and goodbyes */
	"отлично", "супер", "класс", "круто", "замечательно", "пока", "свидания", "ночи",
	"bye",
	NULL,
};

/*
 * Chatter words that also name a fault («нет связи», «сбилось время»):
 * the knowledge base must keep them, so they are no stop words.
 */
static const char *const fault_words[] = { "связи", "времени", "суток", NULL };

static uint32_t fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + ('a' - 'A');
	if (c >= 0x410 && c <= 0x42F)    /* А..Я */
		return c + 0x20;
	if (c == 0x401 || c == 0x451)    /* Ё, ё */
		return 0x435;
	return c;
}

static bool word_char(uint32_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 0x430 && c <= 0x44F);
}

/* An apostrophe inside a word ("didn't") joins its halves. */
static bool apostrophe(uint32_t c)
{
	return c == '\'' || c == 0x2019;
}

bool chatter_next(const char **s, struct chatter_word *out)
{
	const unsigned char *p = (const unsigned char *)*s;
	out->n = 0;
	out->cut = false;
	while (*p) {
		uint32_t c;
		/* A character is at most 4 bytes: the rest of a long text need not be measured. */
		size_t step = utf8_decode(p, strnlen((const char *)p, 4), &c);
		if (!step) {
			step = 1;    /* invalid UTF-8 separates words */
			c = 0;
		}
		c = fold(c);
		if (word_char(c)) {
			/* A letter repeated for emphasis counts once. */
			bool repeated = out->n && out->c[out->n - 1] == c;
			if (!repeated && out->n < CHATTER_WORD_MAX)
				out->c[out->n++] = c;
			else if (!repeated)
				out->cut = true;
		} else if (!(out->n && apostrophe(c))) {
			if (out->n) {
				*s = (const char *)p;
				return true;
			}
		}
		p += step;
	}
	*s = (const char *)p;
	return out->n > 0;
}

/* a and b equal but for one letter missing, added, changed, or two swapped. */
static bool one_typo(const struct chatter_word *a, const struct chatter_word *b)
{
	const struct chatter_word *lo = a->n <= b->n ? a : b, *hi = lo == a ? b : a;
	size_t i = 0;
	if (hi->n - lo->n > 1)
		return false;
	while (i < lo->n && lo->c[i] == hi->c[i])
		i++;
	if (i == lo->n)
		return true;
	if (lo->n == hi->n) {
		if (i + 1 < lo->n && lo->c[i] == hi->c[i + 1] && lo->c[i + 1] == hi->c[i])
			i++;    /* two swapped */
		return !memcmp(lo->c + i + 1, hi->c + i + 1, (lo->n - i - 1) * sizeof(uint32_t));
	}
	return !memcmp(lo->c + i, hi->c + i + 1, (lo->n - i) * sizeof(uint32_t));
}

bool chatter_word_eq(const struct chatter_word *a, const struct chatter_word *b)
{
	if (a->cut || b->cut)
		return false;
	if (a->n == b->n && !memcmp(a->c, b->c, a->n * sizeof(uint32_t)))
		return true;
	return a->n >= TYPO_MIN && b->n >= TYPO_MIN && one_typo(a, b);
}

bool chatter_word_in(const struct chatter_word *w, const char *const *list)
{
	for (; *list; list++) {
		struct chatter_word l;
		const char *s = *list;
		if (chatter_next(&s, &l) && chatter_word_eq(w, &l))
			return true;
	}
	return false;
}

/*
 * The chatter list decoded once and sorted by length: the knowledge base
 * asks for every word it indexes, and decoding the list's UTF-8 at each
 * question made an import of 10,000 articles take 30 s instead of 3. A word
 * is compared only with those of its length, one letter more or less.
 */
static struct chatter_word chatter_decoded[ARRAY_SIZE(chatter_words)];
static size_t chatter_count, chatter_from[CHATTER_WORD_MAX + 3];
static pthread_once_t chatter_once = PTHREAD_ONCE_INIT;

static int by_length(const void *a, const void *b)
{
	size_t x = ((const struct chatter_word *)a)->n, y = ((const struct chatter_word *)b)->n;
	return (x > y) - (x < y);
}

static void chatter_decode(void)
{
	for (const char *const *list = chatter_words; *list; list++) {
		const char *s = *list;
		if (chatter_next(&s, &chatter_decoded[chatter_count]))
			chatter_count++;
	}
	qsort(chatter_decoded, chatter_count, sizeof(*chatter_decoded), by_length);
	/* chatter_from[n]: the first word of length n or more. */
	for (size_t n = 0, i = 0; n < ARRAY_SIZE(chatter_from); n++) {
		while (i < chatter_count && chatter_decoded[i].n < n)
			i++;
		chatter_from[n] = i;
	}
}

bool chatter_is(const struct chatter_word *w)
{
	pthread_once(&chatter_once, chatter_decode);
	size_t lo = w->n ? w->n - 1 : 0, hi = w->n + 2;
	if (hi >= ARRAY_SIZE(chatter_from))
		hi = ARRAY_SIZE(chatter_from) - 1;
	for (size_t i = chatter_from[lo]; i < chatter_from[hi]; i++)
		if (chatter_word_eq(w, &chatter_decoded[i]))
			return true;
	return false;
}

bool chatter_is_stop_word(const char *s, size_t len)
{
	char word[4 * CHATTER_WORD_MAX + 1];
	struct chatter_word w;
	const char *p = word;
	if (len >= sizeof(word))
		return false;
	size_t letters = 0;
	memcpy(word, s, len);
	word[len] = '\0';
	for (size_t i = 0; i < len; i++)
		letters += ((unsigned char)s[i] & 0xC0) != 0x80;
	/* A run of one letter is a word to search for, not the chatter word «a». */
	return chatter_next(&p, &w) && w.n == letters && chatter_is(&w) &&
	       !chatter_word_in(&w, fault_words);
}

bool chatter_only(const char *text)
{
	struct chatter_word w;
	if (!*text)
		return false;
	while (chatter_next(&text, &w))
		if (!chatter_is(&w))
			return false;
	return true;
}
