/*
 * render_tg.h - a notice as Telegram Bot API calls, made at send time.
 *
 * HTML parse mode with every plain argument escaped; a text over 4096
 * characters becomes several messages (the reply on the first, the
 * buttons on the last or, after a split, in a short message of their
 * own); a caption over 1024 follows its file as a message; a kept file
 * over the size cap is a line of text; buttons are an
 * inline keyboard whose callback data must stay under 64 bytes; a notice
 * flagged NOTICE_PLAIN goes as plain text. The calls leave out chat_id
 * and, for an edit, message_id: the sender adds the current ones.
 *
 * The e-mail renderer, when it comes, has the same shape: a notice and a
 * language in, its wire format out.
 */
#ifndef TD_RENDER_TG_H
#define TD_RENDER_TG_H

#include <json-c/json.h>

#include "core/notice.h"

/* Telegram's limits on a message's text and a file's caption. */
#define TG_TEXT_MAX 4096
#define TG_CAPTION_MAX 1024
/* Callback data must be shorter than this, in bytes. */
#define TG_CALLBACK_DATA_MAX 64

struct tg_render_call {
	char method[32];
	json_object *params;   /* owned by the render */
	bool upload;           /* its file (the method's "photo" or "document") goes as bytes */
};

/*
 * The file a notice names by "att:ID" (storage/attachments.h), as the
 * sender found it: Telegram's file_id once it has one, else the kept bytes
 * to upload (the sender adds them to the call marked upload), else, over
 * the size cap or gone, a line that names it in place of the file.
 */
struct tg_file {
	const char *name;      /* borrowed */
	int64_t size;
	bool kept;             /* bytes to upload */
	const char *file_id;   /* borrowed; NULL: not on Telegram yet */
	bool photo;            /* sendPhoto; else sendDocument */
};

struct tg_render {
	size_t n;
	struct tg_render_call *v;
};

/*
 * Renders n (borrowed) in lang into out, which the caller releases with
 * tg_render_release() whatever the result. 0, or TD_EINVAL with a reason
 * in why for a notice Telegram could never take (an unknown key, callback
 * data of 64 bytes or more, a legacy payload that is not JSON).
 */
int tg_render(struct tg_render *out, const struct notice *n, enum msg_lang lang, char *why,
	      size_t why_len);
/*
 * The same for a photo or document notice whose ref is a kept file, file
 * (borrowed) as the sender found it; NULL renders as tg_render().
 */
int tg_render_file(struct tg_render *out, const struct notice *n, const struct tg_file *file,
		   enum msg_lang lang, char *why, size_t why_len);
void tg_render_release(struct tg_render *r);

#endif
