/*
 * Unit tests: mail_parse() (mail/parse.c, mail/words.c) — letters as real
 * clients write them in Russia (Outlook in windows-1251, Yandex, Mail.ru
 * in KOI8-R, Thunderbird, Gmail's HTML, a till's mail script) become a
 * sender, a subject, the new words of a reply and its files; robots'
 * letters are known as such; broken bytes never make broken text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "mail/build.h"
#include "mail/inbound.h"
#include "mail/words.h"

/* The letters' bytes; the non-ASCII ones as the clients encode them. */
/* The PDF the Outlook letter carries, as it should come out. */
static const char scan_pdf[] =
	"%PDF-1.4\n"
	"%\xe2\xe3\xcf\xd3\n"
	"1 0 obj<</Type/Catalog>>endobj\n"
	"trailer<</Root 1 0 R>>\n"
	"%%EOF\n";

/* Outlook 2016 in Russian: windows-1251, quoted-printable, its history under "От: / Отправлено:", a scan attached. */
static const char outlook_cp1251[] =
	"Return-Path: <olga@romashka.example>\r\n"
	"From: =?windows-1251?B?zuv84+Agz+Xy8O7i4A==?= <Olga@Romashka.Example>\r\n"
	"To: =?windows-1251?B?0evz5uHgIO/u5OTl8Obq6A==?= <support@desk.example>\r\n"
	"Subject: =?windows-1251?B?UkU6IFu5NDJdIMrg8fHgIO3lIO/l9+Dy4OXy?=\r\n"
	"Date: Wed, 26 Nov 2026 09:30:00 +0300\r\n"
	"Message-ID: <000001dc5e3a$5b2c1f80$11845e80$@romashka.example>\r\n"
	"In-Reply-To: <t42.1764054900@desk.example>\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed;\r\n"
	"\tboundary=\"----=_NextPart_000_0001_01DC5E3A.5B2C1F80\"\r\n"
	"X-Mailer: Microsoft Outlook 16.0\r\n"
	"Content-Language: ru\r\n"
	"\r\n"
	"This is a multipart message in MIME format.\r\n"
	"\r\n"
	"------=_NextPart_000_0001_01DC5E3A.5B2C1F80\r\n"
	"Content-Type: multipart/alternative;\r\n"
	"\tboundary=\"----=_NextPart_001_0002_01DC5E3A.5B2C1F80\"\r\n"
	"\r\n"
	"\r\n"
	"------=_NextPart_001_0002_01DC5E3A.5B2C1F80\r\n"
	"Content-Type: text/plain;\r\n"
	"\tcharset=\"windows-1251\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"=C4=EE=E1=F0=FB=E9 =E4=E5=ED=FC!\r\n"
	"=CA=E0=F1=F1=E0 =B93 =ED=E5 =EF=E5=F7=E0=F2=E0=E5=F2 =F7=E5=EA=E8, =EE=F8=\r\n"
	"=E8=E1=EA=E0 3969.\r\n"
	"=D1=EA=E0=ED =F7=E5=EA=E0 =E2=EE =E2=EB=EE=E6=E5=ED=E8=E8.\r\n"
	"\r\n"
	"=D1 =F3=E2=E0=E6=E5=ED=E8=E5=EC,\r\n"
	"=CE=EB=FC=E3=E0 =CF=E5=F2=F0=EE=E2=E0\r\n"
	"=EC=E0=E3=E0=E7=E8=ED =AB=D0=EE=EC=E0=F8=EA=E0=BB =ED=E0 =CB=E5=ED=E8=ED=E0\r\n"
	"\r\n"
	"=CE=F2: =D1=EB=F3=E6=E1=E0 =EF=EE=E4=E4=E5=F0=E6=EA=E8 [mailto:support@desk=\r\n"
	".example]\r\n"
	"=CE=F2=EF=F0=E0=E2=EB=E5=ED=EE: 25 =ED=EE=FF=E1=F0=FF 2026 =E3. 10:15\r\n"
	"=CA=EE=EC=F3: =CE=EB=FC=E3=E0 =CF=E5=F2=F0=EE=E2=E0 <olga@romashka.example>\r\n"
	"=D2=E5=EC=E0: [=B942] =CA=E0=F1=F1=E0 =ED=E5 =EF=E5=F7=E0=F2=E0=E5=F2\r\n"
	"\r\n"
	"=C7=E4=F0=E0=E2=F1=F2=E2=F3=E9=F2=E5! =CF=F0=E8=F8=EB=E8=F2=E5, =EF=EE=E6=\r\n"
	"=E0=EB=F3=E9=F1=F2=E0, =F4=EE=F2=EE =EE=F8=E8=E1=EA=E8.\r\n"
	"\r\n"
	"------=_NextPart_001_0002_01DC5E3A.5B2C1F80\r\n"
	"Content-Type: text/html;\r\n"
	"\tcharset=\"windows-1251\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<html><head><style>p.MsoNormal{margin:0}</style></head><body lang=3DRU><p c=\r\n"
	"lass=3DMsoNormal>=C4=EE=E1=F0=FB=E9 =E4=E5=ED=FC!<o:p></o:p></p><p class=3D=\r\n"
	"MsoNormal>=CA=E0=F1=F1=E0 =B93 =ED=E5 =EF=E5=F7=E0=F2=E0=E5=F2 =F7=E5=EA=E8=\r\n"
	".<o:p></o:p></p></body></html>\r\n"
	"\r\n"
	"------=_NextPart_001_0002_01DC5E3A.5B2C1F80--\r\n"
	"\r\n"
	"------=_NextPart_000_0001_01DC5E3A.5B2C1F80\r\n"
	"Content-Type: application/pdf;\r\n"
	"\tname=\"=?windows-1251?B?0erg7SD35ergLnBkZg==?=\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-Disposition: attachment;\r\n"
	"\tfilename*0*=UTF-8''%D0%A1%D0%BA%D0%B0%D0%BD%20;\r\n"
	"\tfilename*1*=%D1%87%D0%B5%D0%BA%D0%B0.pdf\r\n"
	"\r\n"
	"JVBERi0xLjQKJeLjz9MKMSAwIG9iajw8L1R5cGUvQ2F0YWxvZz4+ZW5kb2JqCnRyYWlsZXI8PC9S\r\n"
	"b290IDEgMCBSPj4KJSVFT0YK\r\n"
	"\r\n"
	"------=_NextPart_000_0001_01DC5E3A.5B2C1F80--\r\n";

/* Yandex Mail: UTF-8 in base64, the history under "25.11.2026, 10:15, "..." <...>:". */
static const char yandex_utf8[] =
	"Received: from mail.yandex.ru by mx.desk.example; Wed, 26 Nov 2026 09:41:00 +0300\r\n"
	"From: =?utf-8?B?0JjQstCw0L0g0KHQuNC00L7RgNC+0LI=?= <ivan.sidorov@yandex.ru>\r\n"
	"To: support@desk.example\r\n"
	"Subject: =?utf-8?B?UmU6IFvihJY0Ml0g0JrQsNGB0YHQsCDQvdC1INC/0LXRh9Cw0YLQsNC10YI=?=\r\n"
	"Message-Id: <1284561764139260@mail.yandex.ru>\r\n"
	"In-Reply-To: <t42.1764054900@desk.example>\r\n"
	"References: <t42.1764050000@desk.example>\r\n"
	" <t42.1764054900@desk.example>\r\n"
	"Date: Wed, 26 Nov 2026 09:41:00 +0300\r\n"
	"MIME-Version: 1.0\r\n"
	"X-Mailer: Yamail [ http://yandex.ru ] 5.0\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"\r\n"
	"0KHQv9Cw0YHQuNCx0L4sINC/0L7RgdC70LUg0L/QtdGA0LXQt9Cw0LPRgNGD0LfQutC4INCk0J0g\r\n"
	"0YfQtdC60Lgg0L/QtdGH0LDRgtCw0Y7RgtGB0Y8uCgoyNS4xMS4yMDI2LCAxMDoxNSwgItCh0LvR\r\n"
	"g9C20LHQsCDQv9C+0LTQtNC10YDQttC60LgiIDxzdXBwb3J0QGRlc2suZXhhbXBsZT46Cj4g0JfQ\r\n"
	"tNGA0LDQstGB0YLQstGD0LnRgtC1IQo+INCf0LXRgNC10LfQsNCz0YDRg9C30LjRgtC1LCDQv9C+\r\n"
	"0LbQsNC70YPQudGB0YLQsCwg0YTQuNGB0LrQsNC70YzQvdGL0Lkg0L3QsNC60L7Qv9C40YLQtdC7\r\n"
	"0YwuCj4gCj4gLS0gCj4g0KHQu9GD0LbQsdCwINC/0L7QtNC00LXRgNC20LrQuAoKLS0gCtCY0LLQ\r\n"
	"sNC9INCh0LjQtNC+0YDQvtCyLCDQmNCfINCh0LjQtNC+0YDQvtCyCg==\r\n";

/* Mail.ru in KOI8-R, 8bit; its history under "Вторник, 25 ноября 2026, 10:15 +03:00 от ...:". */
static const char mailru_koi8[] =
	"From: =?koi8-r?B?7cHSydE=?= <maria@mail.ru>\r\n"
	"To: support@desk.example\r\n"
	"Subject: =?koi8-r?B?UmU6IPfF09k=?=\r\n"
	"Date: Wed, 26 Nov 2026 09:50:00 +0300\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=koi8-r\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"\xe4\xcf\xc2\xd2\xd9\xca \xc4\xc5\xce\xd8. \xf7\xc5\xd3\xd9 \xce\xc1 \xd7\xd4\xcf\xd2\xcf\xca \xcb\xc1\xd3\xd3\xc5 \xd0\xcf\xcb\xc1\xda\xd9\xd7\xc1\xc0\xd4 \xce\xcf\xcc\xd8.\r\n"
	"\r\n"
	"\xf7\xd4\xcf\xd2\xce\xc9\xcb, 25 \xce\xcf\xd1\xc2\xd2\xd1 2026, 10:15 +03:00 \xcf\xd4 \xf3\xcc\xd5\xd6\xc2\xc1 \xd0\xcf\xc4\xc4\xc5\xd2\xd6\xcb\xc9 <support@desk.example>:\r\n"
	">\xeb\xc1\xcb\xc1\xd1 \xcd\xcf\xc4\xc5\xcc\xd8 \xd7\xc5\xd3\xcf\xd7?\r\n"
	">\r\n"
	">\xf3 \xd5\xd7\xc1\xd6\xc5\xce\xc9\xc5\xcd, \xd3\xcc\xd5\xd6\xc2\xc1 \xd0\xcf\xc4\xc4\xc5\xd2\xd6\xcb\xc9\r\n";

/* Thunderbird, format=flowed, the answer under the quote. */
static const char thunderbird_flowed[] =
	"From: =?UTF-8?Q?P=C3=ABtr?= <petr@shop7.example>\r\n"
	"To: Support <support@desk.example>\r\n"
	"Subject: Re: [№43] Принтер\r\n"
	"Date: Wed, 26 Nov 2026 10:02:11 +0300\r\n"
	"Message-ID: <8a3b1c2d-4e5f-6789-abcd-ef0123456789@shop7.example>\r\n"
	"User-Agent: Mozilla Thunderbird\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"On 25.11.2026 10:15, Служба поддержки wrote:\r\n"
	"> Проверьте, пожалуйста, кабель \r\n"
	"> принтера.\r\n"
	"\r\n"
	"Кабель проверили, он целый. Принтер всё равно не печатает, хотя \r\n"
	"лампочка горит зелёным.\r\n"
	"\r\n"
	"-- \r\n"
	"Пётр, магазин №7\r\n";

/* HTML alone (a phone client), the history in a blockquote under Gmail's attribution. */
static const char html_blockquote[] =
	"From: Anna <anna.k@gmail.example>\r\n"
	"To: support@desk.example\r\n"
	"Subject: =?utf-8?B?UmU6INCf0YDQuNC90YLQtdGA?=\r\n"
	"Date: Tue, 25 Nov 2026 11:00:00 +0000\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: text/html; charset=\"UTF-8\"\r\n"
	"Content-Transfer-Encoding: quoted-printable\r\n"
	"\r\n"
	"<html><head><style type=3D\"text/css\">div{font-family:Arial}</style><script>=\n"
	"alert(1)</script></head><body><div dir=3D\"ltr\"><div>=D0=9F=D1=80=D0=B8=D0=\n"
	"=BD=D1=82=D0=B5=D1=80&nbsp;=D1=81=D0=BD=D0=BE=D0=B2=D0=B0 =D0=BD=D0=B5 =D1=\n"
	"=80=D0=B0=D0=B1=D0=BE=D1=82=D0=B0=D0=B5=D1=82.<br>=D0=9A=D0=BE=D0=B4 =D0=BE=\n"
	"=D1=88=D0=B8=D0=B1=D0=BA=D0=B8: E-05 &laquo;=D0=BD=D0=B5=D1=82 =D0=B1=D1=83=\n"
	"=D0=BC=D0=B0=D0=B3=D0=B8&raquo;, =D1=85=D0=BE=D1=82=D1=8F =D0=B1=D1=83=D0=\n"
	"=BC=D0=B0=D0=B3=D0=B0 =D0=B5=D1=81=D1=82=D1=8C &amp; =D0=BB=D0=BE=D1=82=D0=\n"
	"=BE=D0=BA =D0=B7=D0=B0=D0=BA=D1=80=D1=8B=D1=82.</div><div><br></div><p>=D0=\n"
	"=A7=D1=82=D0=BE&nbsp;=D0=B4=D0=B5=D0=BB=D0=B0=D1=82=D1=8C?</p></div><br><di=\n"
	"v class=3D\"gmail_quote\"><div dir=3D\"ltr\" class=3D\"gmail_attr\">=D0=B2=D1=82,=\n"
	" 25 =D0=BD=D0=BE=D1=8F=D0=B1. 2026&nbsp;=D0=B3. =D0=B2 10:15, =D0=A1=D0=BB=\n"
	"=D1=83=D0=B6=D0=B1=D0=B0 =D0=BF=D0=BE=D0=B4=D0=B4=D0=B5=D1=80=D0=B6=D0=BA=\n"
	"=D0=B8 &lt;<a href=3D\"mailto:support@desk.example\">support@desk.example</a>=\n"
	"&gt;:<br></div><blockquote class=3D\"gmail_quote\" style=3D\"margin:0px 0px 0p=\n"
	"x 0.8ex\">=D0=92=D1=81=D1=82=D0=B0=D0=B2=D1=8C=D1=82=D0=B5 =D0=B1=D1=83=D0=\n"
	"=BC=D0=B0=D0=B3=D1=83 =D0=B8 =D0=BD=D0=B0=D0=B6=D0=BC=D0=B8=D1=82=D0=B5 =D0=\n"
	"=BA=D0=BD=D0=BE=D0=BF=D0=BA=D1=83 =D0=BF=D0=BE=D0=B4=D0=B0=D1=87=D0=B8.</bl=\n"
	"ockquote></div></body></html>\n";

/* A till's mail script: windows-1251 bytes in the headers and the body, no charset named. */
static const char raw_cp1251[] =
	"From: \xca\xe0\xf1\xf1\xe8\xf0 <kassa3@romashka.example>\r\n"
	"To: support@desk.example\r\n"
	"Subject: \xca\xe0\xf1\xf1\xe0 \xb9""3 \xed\xe5 \xe2\xea\xeb\xfe\xf7\xe0\xe5\xf2\xf1\xff\r\n"
	"Date: 26 Nov 2026 08:00:00 +0300\r\n"
	"Content-Type: text/plain\r\n"
	"\r\n"
	"\xcd\xe5 \xe2\xea\xeb\xfe\xf7\xe0\xe5\xf2\xf1\xff \xea\xe0\xf1\xf1\xe0, \xe3\xee\xf0\xe8\xf2 \xea\xf0\xe0\xf1\xed\xe0\xff \xeb\xe0\xec\xef\xe0.\r\n";

static const char claims_utf8_is_cp1251[] =
	"From: shop@example.ru\r\n"
	"Subject: test\r\n"
	"Content-Type: text/plain; charset=utf-8\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"\xd1\xea\xe0\xed\xe5\xf0 \xed\xe5 \xf7\xe8\xf2\xe0\xe5\xf2 \xf8\xf2\xf0\xe8\xf5\xea\xee\xe4.\r\n";

static const char claims_koi8_is_utf8[] =
	"From: shop@example.ru\r\n"
	"Subject: test\r\n"
	"Content-Type: text/plain; charset=koi8-r\r\n"
	"Content-Transfer-Encoding: 8bit\r\n"
	"\r\n"
	"Сканер не читает штрихкод.\r\n";

/* A 1x1 PNG. */
static const char dot_png[] =
	"\x89PNG\r\n"
	"\x1a\n"
	"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\n"
	"IDATx\x9c""c\x00\x01\x00\x00\x05\x00\x01\r\n"
	"-\xb4\x00\x00\x00\x00IEND\xae""B`\x82";

/* HTML with two inline images, one named, one not. */
static const char inline_images[] =
	"From: Олег <oleg@shop.example>\r\n"
	"To: support@desk.example\r\n"
	"Subject: =?UTF-8?B?0KTQvtGC0L4g0Y3QutGA0LDQvdCw?=\r\n"
	"Date: Wed, 26 Nov 2026 12:00:00 +0300\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/related; boundary=\"rel\"\r\n"
	"\r\n"
	"--rel\r\n"
	"Content-Type: text/html; charset=utf-8\r\n"
	"\r\n"
	"<p>Вот что на экране:</p><img src=\"cid:img1@shop\">\r\n"
	"--rel\r\n"
	"Content-Type: IMAGE/PNG; name=\"screen.png\"\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"Content-ID: <img1@shop>\r\n"
	"Content-Disposition: inline\r\n"
	"\r\n"
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAA\r\n"
	"AABJRU5ErkJggg==\r\n"
	"--rel\r\n"
	"Content-Type: image/png\r\n"
	"Content-Transfer-Encoding: base64\r\n"
	"\r\n"
	"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAA\r\n"
	"AABJRU5ErkJggg==\r\n"
	"--rel--\r\n";

#define ATTACHMENT_MAX (1024 * 1024)

static int setup(void **state)
{
	(void)state;
	mail_mime_init();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mail_mime_shutdown();
	return 0;
}

/* What every letter must be, whatever came in: UTF-8 strings, none NULL, the text capped. */
static void assert_sane(const struct inletter *l)
{
	const char *strings[] = { l->from_addr, l->from_name, l->reply_addr, l->subject,
				  l->message_id, l->in_reply_to, l->text, l->full_text };
	for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
		assert_non_null(strings[i]);
		assert_true(utf8_valid(strings[i], strlen(strings[i])));
	}
	for (size_t i = 0; i < l->n_references; i++)
		assert_true(utf8_valid(l->references[i], strlen(l->references[i])));
	for (size_t i = 0; i < l->n_files; i++) {
		assert_true(utf8_valid(l->files[i].name, strlen(l->files[i].name)));
		assert_true(*l->files[i].name);
	}
	assert_true(strlen(l->text) <= MAIL_TEXT_MAX);
	assert_true(strlen(l->full_text) <= MAIL_TEXT_MAX);
}

/* Parses a letter written as a C string (NULs inside allowed: sizeof, not strlen). */
#define PARSE(letter, l) parse_letter((letter), sizeof(letter) - 1, ATTACHMENT_MAX, (l))

static void parse_letter(const char *raw, size_t n, size_t attachment_max, struct inletter *l)
{
	assert_int_equal(mail_parse(raw, n, attachment_max, l), 0);
	assert_sane(l);
}

static void test_mail_parse__cp1251_outlook_reply_keeps_new_words(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(outlook_cp1251, &l);
	assert_string_equal(l.from_addr, "olga@romashka.example");
	assert_string_equal(l.from_name, "Ольга Петрова");
	assert_string_equal(l.reply_addr, "olga@romashka.example");
	assert_string_equal(l.subject, "RE: [№42] Касса не печатает");
	assert_string_equal(l.message_id, "000001dc5e3a$5b2c1f80$11845e80$@romashka.example");
	assert_string_equal(l.in_reply_to, "t42.1764054900@desk.example");
	assert_int_equal(l.date, 1795674600); /* 2026-11-26 06:30 UTC */
	assert_false(l.bounce);
	assert_false(l.automatic);
	/* The words, not Outlook's history under "От: / Отправлено:". */
	assert_string_equal(l.text, "Добрый день!\n"
				    "Касса №3 не печатает чеки, ошибка 3969.\n"
				    "Скан чека во вложении.\n\n"
				    "С уважением,\n"
				    "Ольга Петрова\n"
				    "магазин «Ромашка» на Ленина");
	assert_non_null(strstr(l.full_text, "Отправлено: 25 ноября 2026 г. 10:15\n"));
	assert_non_null(strstr(l.full_text, "Здравствуйте! Пришлите, пожалуйста, фото ошибки."));
	/* The scan, named from RFC 2231's continued UTF-8 name; the HTML alternative is no file. */
	assert_int_equal(l.n_files, 1);
	assert_string_equal(l.files[0].name, "Скан чека.pdf");
	assert_string_equal(l.files[0].mime, "application/pdf");
	assert_int_equal(l.files[0].size, sizeof(scan_pdf) - 1);
	assert_non_null(l.files[0].data);
	assert_memory_equal(l.files[0].data, scan_pdf, sizeof(scan_pdf) - 1);
	inletter_release(&l);
}

static void test_mail_parse__yandex_base64_reply_drops_the_attributed_quote(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(yandex_utf8, &l);
	assert_string_equal(l.from_addr, "ivan.sidorov@yandex.ru");
	assert_string_equal(l.from_name, "Иван Сидоров");
	assert_string_equal(l.subject, "Re: [№42] Касса не печатает");
	/* Neither "25.11.2026, 10:15, "..." <...>:" nor the quote under it, nor the signature. */
	assert_string_equal(l.text, "Спасибо, после перезагрузки ФН чеки печатаются.");
	assert_non_null(strstr(l.full_text, "> Перезагрузите, пожалуйста, фискальный накопитель."));
	assert_non_null(strstr(l.full_text, "Иван Сидоров, ИП Сидоров"));
	assert_int_equal(l.n_files, 0);
	inletter_release(&l);
}

static void test_mail_parse__koi8r_mailru_reply_reads_in_russian(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(mailru_koi8, &l);
	assert_string_equal(l.from_addr, "maria@mail.ru");
	assert_string_equal(l.from_name, "Мария");
	assert_string_equal(l.subject, "Re: Весы");
	assert_string_equal(l.text, "Добрый день. Весы на второй кассе показывают ноль.");
	assert_non_null(strstr(l.full_text, ">Какая модель весов?"));
	inletter_release(&l);
}

static void test_mail_parse__thunderbird_flowed_answer_under_the_quote_is_kept(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(thunderbird_flowed, &l);
	assert_string_equal(l.from_name, "Pëtr");
	/* A raw UTF-8 subject, as Thunderbird may send it. */
	assert_string_equal(l.subject, "Re: [№43] Принтер");
	assert_string_equal(l.message_id, "8a3b1c2d-4e5f-6789-abcd-ef0123456789@shop7.example");
	/* Flowed lines joined; "On ... wrote:" and its quote gone; the signature gone. */
	assert_string_equal(l.text, "Кабель проверили, он целый. Принтер всё равно не печатает, "
				    "хотя лампочка горит зелёным.");
	assert_non_null(strstr(l.full_text, "> Проверьте, пожалуйста, кабель принтера."));
	inletter_release(&l);
}

static void test_mail_parse__html_alone_gives_its_text_without_the_blockquote(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(html_blockquote, &l);
	assert_string_equal(l.text, "Принтер снова не работает.\n"
				    "Код ошибки: E-05 «нет бумаги», хотя бумага есть & лоток закрыт.\n\n"
				    "Что делать?");
	/* No style, no script; the history kept as a quote in the full text. */
	assert_null(strstr(l.full_text, "font-family"));
	assert_null(strstr(l.full_text, "alert"));
	assert_non_null(strstr(l.full_text, "> Вставьте бумагу и нажмите кнопку подачи."));
	assert_int_equal(l.n_files, 0);
	inletter_release(&l);
}

static void test_mail_parse__an_empty_plain_part_gives_way_to_the_html(void **state)
{
	(void)state;
	/* A web form's mailer: the plain alternative left empty. */
	static const char empty_plain[] =
		"From: form@shop.example\r\nSubject: =?utf-8?B?0JfQsNGP0LLQutCw?=\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/alternative; boundary=\"a\"\r\n\r\n"
		"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n \r\n\r\n"
		"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
		"<table><tr><td>Магазин:</td><td>№5</td></tr><tr><td>Проблема:</td><td>касса</td></tr></table>\r\n"
		"--a--\r\n";
	struct inletter l;
	PARSE(empty_plain, &l);
	assert_string_equal(l.text, "Магазин: №5\nПроблема: касса");
	assert_int_equal(l.n_files, 0);
	inletter_release(&l);
}

static void test_mail_parse__raw_cp1251_headers_and_body_read_as_cp1251(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(raw_cp1251, &l);
	assert_string_equal(l.from_addr, "kassa3@romashka.example");
	assert_string_equal(l.from_name, "Кассир");
	assert_string_equal(l.subject, "Касса №3 не включается");
	assert_string_equal(l.text, "Не включается касса, горит красная лампа.");
	inletter_release(&l);
}

static void test_mail_parse__a_wrong_charset_is_not_believed(void **state)
{
	(void)state;
	/* No charset named: KOI8-R from an old Unix mailer, windows-1251 in capitals. */
	static const char koi8_unnamed[] =
		"From: kassa@shop.example\r\nSubject: x\r\n\r\n"
		"\xeb\xc1\xd3\xd3\xc1 \xce\xc5 \xd0\xc5\xde\xc1\xd4\xc1\xc5\xd4 \xde\xc5\xcb\xc9\r\n";
	static const char cp1251_capitals[] =
		"From: kassa@shop.example\r\nSubject: x\r\n\r\n"
		"\xca\xc0\xd1\xd1\xc0 \xcd\xc5 \xcf\xc5\xd7\xc0\xd2\xc0\xc5\xd2 \xd7\xc5\xca\xc8\r\n";
	struct inletter l;
	PARSE(koi8_unnamed, &l);
	assert_string_equal(l.text, "Касса не печатает чеки");
	inletter_release(&l);
	PARSE(cp1251_capitals, &l);
	assert_string_equal(l.text, "КАССА НЕ ПЕЧАТАЕТ ЧЕКИ");
	inletter_release(&l);
	PARSE(claims_utf8_is_cp1251, &l);
	assert_string_equal(l.text, "Сканер не читает штрихкод.");
	inletter_release(&l);
	PARSE(claims_koi8_is_utf8, &l);
	assert_string_equal(l.text, "Сканер не читает штрихкод.");
	inletter_release(&l);
}

static void test_mail_parse__cp866_and_a_charset_named_in_the_html_head(void **state)
{
	(void)state;
	/* An old DOS-era till program: cp866, named in the header. */
	static const char cp866[] =
		"From: kkm@shop.example\r\nSubject: report\r\nContent-Type: text/plain; charset=ibm866\r\n\r\n"
		"\x8e\xe8\xa8\xa1\xaa\xa0 \x94\x8d\r\n";
	/* KOI8-R named in the <meta> alone, not in Content-Type. */
	static const char meta_koi8[] =
		"From: shop@example.ru\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n"
		"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"></head>"
		"<body>\xf3\xcb\xc1\xce\xc5\xd2 \xce\xc5 \xd2\xc1\xc2\xcf\xd4\xc1\xc5\xd4</body></html>\r\n";
	struct inletter l;
	PARSE(cp866, &l);
	assert_string_equal(l.text, "Ошибка ФН");
	inletter_release(&l);
	PARSE(meta_koi8, &l);
	assert_string_equal(l.text, "Сканер не работает");
	inletter_release(&l);
}

static void test_mail_parse__inline_images_are_files(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(inline_images, &l);
	assert_string_equal(l.subject, "Фото экрана");
	assert_string_equal(l.text, "Вот что на экране:");
	assert_int_equal(l.n_files, 2);
	assert_string_equal(l.files[0].name, "screen.png");
	assert_string_equal(l.files[0].mime, "image/png");
	assert_int_equal(l.files[0].size, sizeof(dot_png) - 1);
	assert_memory_equal(l.files[0].data, dot_png, sizeof(dot_png) - 1);
	assert_string_equal(l.files[1].name, "file");
	assert_string_equal(l.files[1].mime, "image/png");
	inletter_release(&l);
}

static void test_mail_parse__robots_letters_are_automatic(void **state)
{
	(void)state;
	static const char *const robots[] = {
		/* Yandex's vacation answer */
		"From: ivan.sidorov@yandex.ru\r\nAuto-Submitted: auto-replied\r\n"
		"Subject: =?utf-8?B?0JDQstGC0L7QvtGC0LLQtdGC?=\r\n\r\nЯ в отпуске до 1 декабря.\r\n",
		"From: Olga <olga@romashka.example>\r\nX-Auto-Response-Suppress: All\r\n"
		"Subject: Automatic reply: Ticket\r\n\r\nI am out of the office.\r\n",
		"From: news@shop.example\r\nPrecedence: bulk\r\nSubject: Sale\r\n\r\nSale!\r\n",
		"From: list@lists.example\r\nList-Id: <pos.lists.example>\r\nSubject: digest\r\n\r\n...\r\n",
		"From: crm@shop.example\r\nList-Unsubscribe: <mailto:unsub@shop.example>\r\nSubject: x\r\n\r\n.\r\n",
		"From: a@b.example\r\nX-Autoreply: yes\r\nSubject: x\r\n\r\n.\r\n",
		"From: a@b.example\r\nPrecedence: auto_reply\r\nSubject: x\r\n\r\n.\r\n",
	};
	struct inletter l;
	for (size_t i = 0; i < ARRAY_SIZE(robots); i++) {
		parse_letter(robots[i], strlen(robots[i]), ATTACHMENT_MAX, &l);
		assert_true(l.automatic);
		assert_false(l.bounce);
		inletter_release(&l);
	}
	/* A person's letter says "no", or asks only for no receipts. */
	static const char person[] = "From: Olga <olga@romashka.example>\r\nAuto-Submitted: no\r\n"
				     "X-Auto-Response-Suppress: DR, RN\r\nPrecedence: normal\r\n"
				     "Subject: Касса\r\n\r\nКасса не работает.\r\n";
	PARSE(person, &l);
	assert_false(l.automatic);
	inletter_release(&l);
}

/* A delivery report for one of the desk's letters, as Postfix writes it. */
static const char postfix_bounce[] =
	"Return-Path: <>\r\n"
	"From: MAILER-DAEMON@mx.desk.example (Mail Delivery System)\r\n"
	"Subject: Undelivered Mail Returned to Sender\r\n"
	"To: support@desk.example\r\n"
	"Auto-Submitted: auto-replied\r\n"
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/report; report-type=delivery-status;\r\n"
	"\tboundary=\"3F2A1C0E12.1764139000/mx.desk.example\"\r\n"
	"Message-Id: <20261126063640.3F2A1C0E12@mx.desk.example>\r\n"
	"\r\n"
	"This is a MIME-encapsulated message.\r\n"
	"\r\n"
	"--3F2A1C0E12.1764139000/mx.desk.example\r\n"
	"Content-Description: Notification\r\n"
	"Content-Type: text/plain; charset=us-ascii\r\n"
	"\r\n"
	"I'm sorry to have to inform you that your message could not\r\n"
	"be delivered to one or more recipients.\r\n"
	"\r\n"
	"<nobody@romashka.example>: host mx.romashka.example said: 550 5.1.1 User unknown\r\n"
	"\r\n"
	"--3F2A1C0E12.1764139000/mx.desk.example\r\n"
	"Content-Description: Delivery report\r\n"
	"Content-Type: message/delivery-status\r\n"
	"\r\n"
	"Reporting-MTA: dns; mx.desk.example\r\n"
	"\r\n"
	"Final-Recipient: rfc822; nobody@romashka.example\r\n"
	"Action: failed\r\n"
	"Status: 5.1.1\r\n"
	"\r\n"
	"--3F2A1C0E12.1764139000/mx.desk.example--\r\n";

static void test_mail_parse__a_delivery_report_is_a_bounce(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(postfix_bounce, &l);
	assert_true(l.bounce);
	assert_string_equal(l.from_addr, "mailer-daemon@mx.desk.example");
	assert_non_null(strstr(l.text, "could not"));
	inletter_release(&l);

	/* Each sign alone is enough. */
	static const char *const bounces[] = {
		"Return-Path: <>\r\nFrom: a@b.example\r\nSubject: x\r\n\r\n.\r\n",
		"From: postmaster@b.example\r\nSubject: x\r\n\r\n.\r\n",
		"From: Mail Delivery Subsystem <MAILER-DAEMON>\r\nSubject: Returned mail\r\n\r\n.\r\n",
		"From: a@b.example\r\nSubject: x\r\nContent-Type: multipart/report; boundary=b\r\n\r\n--b\r\n\r\n.\r\n--b--\r\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bounces); i++) {
		parse_letter(bounces[i], strlen(bounces[i]), ATTACHMENT_MAX, &l);
		assert_true(l.bounce);
		inletter_release(&l);
	}
	static const char person[] = "Return-Path: <olga@romashka.example>\r\nFrom: olga@romashka.example\r\n"
				     "Subject: x\r\n\r\n.\r\n";
	PARSE(person, &l);
	assert_false(l.bounce);
	inletter_release(&l);
}

/* With a 16-byte cap: a 40-byte file, and six of 12 bytes (64 bytes kept in all). */
static const char seven_files[] =
	"From: olga@romashka.example\r\nSubject: logs\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nЛоги кассы.\r\n"
	"--b\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n"
	"Content-Disposition: attachment; filename=\"C:\\\\Users\\\\kassa\\\\big.bin\"\r\n\r\n"
	"this file is 40 bytes long: over the cap\r\n"
	"--b\r\nContent-Type: text/plain; name=a.log\r\nContent-Disposition: attachment\r\n\r\nlog line a 1\r\n"
	"--b\r\nContent-Type: text/plain; name=b.log\r\nContent-Disposition: attachment\r\n\r\nlog line b 2\r\n"
	"--b\r\nContent-Type: text/plain; name=c.log\r\nContent-Disposition: attachment\r\n\r\nlog line c 3\r\n"
	"--b\r\nContent-Type: text/plain; name=d.log\r\nContent-Disposition: attachment\r\n\r\nlog line d 4\r\n"
	"--b\r\nContent-Type: text/plain; name=e.log\r\nContent-Disposition: attachment\r\n\r\nlog line e 5\r\n"
	"--b\r\nContent-Type: text/plain; name=f.log\r\nContent-Disposition: attachment\r\n\r\nlog line f 6\r\n"
	"--b--\r\n";

static void test_mail_parse__an_attachment_over_the_cap_is_named_without_bytes(void **state)
{
	(void)state;
	struct inletter l;
	parse_letter(seven_files, sizeof(seven_files) - 1, 16, &l);
	assert_string_equal(l.text, "Логи кассы.");
	assert_int_equal(l.n_files, 7);
	/* Over the cap: named (the Windows path cut off), its size told, no bytes. */
	assert_string_equal(l.files[0].name, "big.bin");
	assert_string_equal(l.files[0].mime, "application/octet-stream");
	assert_int_equal(l.files[0].size, 40);
	assert_null(l.files[0].data);
	/* Text files marked as attachments are files; 64 bytes in all are kept, the rest named. */
	for (size_t i = 1; i <= 6; i++) {
		assert_int_equal(l.files[i].size, 12);
		assert_string_equal(l.files[i].mime, "text/plain");
		if (i <= 5)
			assert_memory_equal(l.files[i].data, "log line ", 9);
		else
			assert_null(l.files[i].data);
	}
	assert_string_equal(l.files[6].name, "f.log");
	inletter_release(&l);
}

/* Every way a client names a file, and names that must not become paths. */
static const char named_files[] =
	"From: olga@romashka.example\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"n\"\r\n\r\n"
	"--n\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Файлы.</p>\r\n"
	/* A named text part shown inline is a file, not the words. */
	"--n\r\nContent-Type: text/plain; charset=koi8-r; name=\"=?koi8-r?B?/sXLINDSz8TB1skudHh0?=\"\r\n"
	"Content-Disposition: inline\r\n\r\nitogo 100\r\n"
	"--n\r\nContent-Type: image/jpeg\r\n"
	"Content-Disposition: attachment; filename*=windows-1251''%D4%EE%F2%EE.jpg\r\n\r\nJPEG\r\n"
	"--n\r\nContent-Type: application/msword; name=\"\xc0\xea\xf2.doc\"\r\n\r\nDOC\r\n"
	"--n\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n"
	"--n\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename=\"..\"\r\n\r\nx\r\n"
	"--n--\r\n";

static void test_mail_parse__file_names_decoded_and_without_paths(void **state)
{
	(void)state;
	static const char *const names[] = { "Чек продажи.txt", "Фото.jpg", "Акт.doc", "passwd", "file" };
	struct inletter l;
	PARSE(named_files, &l);
	assert_string_equal(l.text, "Файлы.");
	assert_int_equal(l.n_files, ARRAY_SIZE(names));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(l.files[i].name, names[i]);
	assert_memory_equal(l.files[0].data, "itogo 100", 9);
	inletter_release(&l);
}

static void test_mail_parse__at_most_twenty_files(void **state)
{
	(void)state;
	struct buf raw = BUF_INIT(1 << 20);
	buf_puts(&raw, "From: a@b.example\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (int i = 0; i < 30; i++)
		buf_printf(&raw, "--b\r\nContent-Type: image/jpeg; name=\"photo%d.jpg\"\r\n\r\nJPEG%d\r\n", i, i);
	buf_puts(&raw, "--b--\r\n");
	struct inletter l;
	parse_letter(buf_cstr(&raw), raw.len, ATTACHMENT_MAX, &l);
	assert_int_equal(l.n_files, 20);
	assert_string_equal(l.files[19].name, "photo19.jpg");
	inletter_release(&l);
	buf_release(&raw);
}

static void test_mail_parse__garbage_is_no_letter(void **state)
{
	(void)state;
	static const char garbage[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR not a letter at all\n\n\xff\xfe";
	struct inletter l;
	assert_int_equal(mail_parse(garbage, sizeof(garbage) - 1, ATTACHMENT_MAX, &l), TD_EINVAL);
	assert_sane(&l);
	assert_string_equal(l.from_addr, "");
	assert_string_equal(l.text, "");
	assert_int_equal(l.n_files, 0);
	inletter_release(&l);
	assert_int_equal(mail_parse("", 0, ATTACHMENT_MAX, &l), TD_EINVAL);
	assert_sane(&l);
	inletter_release(&l);
}

/* The closing boundary never came: the text and the file so far are read. */
static const char truncated_mime[] =
	"From: Olga <olga@romashka.example>\r\nSubject: photo\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n"
	"--=_b1\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
	"\xd4\xee\xf2\xee \xee\xf8\xe8\xe1\xea\xe8.\r\n"
	"--=_b1\r\nContent-Type: image/jpeg; name=\"err.jpg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	"/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRof\r\n"
	"Hh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/";

static void test_mail_parse__truncated_mime_reads_what_is_there(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(truncated_mime, &l);
	assert_string_equal(l.text, "Фото ошибки.");
	assert_int_equal(l.n_files, 1);
	assert_string_equal(l.files[0].name, "err.jpg");
	assert_true(l.files[0].size > 50);
	inletter_release(&l);
}

static void test_mail_parse__references_and_in_reply_to_lose_their_brackets(void **state)
{
	(void)state;
	struct buf raw = BUF_INIT(1 << 20);
	buf_puts(&raw, "From: \"Петров, Иван\" <Ivan@Example.RU>\r\nReply-To: Касса 3 <kassa3@romashka.example>\r\n"
		       "Message-ID: <  abc.123@mail.example  >\r\n"
		       "In-Reply-To: <t7.1764000000@desk.example> (Служба поддержки's message)\r\n"
		       "References:");
	for (int i = 1; i <= 25; i++)
		buf_printf(&raw, "\r\n <t7.%d@desk.example>", i);
	buf_puts(&raw, "\r\nSubject: =?utf-8?Q?Re=3A_=D0=B2=D0=B5=D1=81=D1=8B?=\r\n\tи\r\n  касса\t \x01 3\r\n"
		       "Date: Tue, 25 Nov 2026 10:15:00 +0300\r\n\r\nОк.\r\n");
	struct inletter l;
	parse_letter(buf_cstr(&raw), raw.len, ATTACHMENT_MAX, &l);
	assert_string_equal(l.from_addr, "ivan@example.ru");
	assert_string_equal(l.from_name, "Петров, Иван");
	assert_string_equal(l.reply_addr, "kassa3@romashka.example");
	assert_string_equal(l.message_id, "abc.123@mail.example");
	assert_string_equal(l.in_reply_to, "t7.1764000000@desk.example");
	/* The newest twenty, oldest first. */
	assert_int_equal(l.n_references, 20);
	assert_string_equal(l.references[0], "t7.6@desk.example");
	assert_string_equal(l.references[19], "t7.25@desk.example");
	/* Folded, with a control character: one line. */
	assert_string_equal(l.subject, "Re: весы и касса 3");
	assert_int_equal(l.date, 1795590900);
	assert_string_equal(l.text, "Ок.");
	inletter_release(&l);
	buf_release(&raw);
}

static void test_mail_parse__an_unusable_sender_is_empty(void **state)
{
	(void)state;
	static const char *const senders[] = {
		"From: undisclosed-recipients:;\r\nSubject: x\r\n\r\n.\r\n",
		"From: Иван\r\nSubject: x\r\n\r\n.\r\n",
		"From: <a b@c.example>\r\nSubject: x\r\n\r\n.\r\n",
		"Subject: no from at all\r\n\r\n.\r\n",
	};
	struct inletter l;
	for (size_t i = 0; i < ARRAY_SIZE(senders); i++) {
		parse_letter(senders[i], strlen(senders[i]), ATTACHMENT_MAX, &l);
		assert_string_equal(l.from_addr, "");
		assert_string_equal(l.reply_addr, "");
		assert_int_equal(l.date, 0);
		inletter_release(&l);
	}
}

static void test_mail_parse__a_header_alone_fills_the_headers(void **state)
{
	(void)state;
	/* An oversize letter: the intake fetched its header only. */
	static const char header[] =
		"From: Olga <olga@romashka.example>\r\nSubject: =?utf-8?B?0JLQuNC00LXQviDRgSDQutCw0LzQtdGA0Ys=?=\r\n"
		"Message-ID: <big.1@romashka.example>\r\nDate: Wed, 26 Nov 2026 09:30:00 +0300\r\n"
		"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\n";
	struct inletter l;
	PARSE(header, &l);
	assert_string_equal(l.from_addr, "olga@romashka.example");
	assert_string_equal(l.subject, "Видео с камеры");
	assert_string_equal(l.message_id, "big.1@romashka.example");
	assert_int_equal(l.date, 1795674600);
	assert_string_equal(l.text, "");
	assert_int_equal(l.n_files, 0);
	inletter_release(&l);
}

/* A letter forwarded as an attachment (message/rfc822). */
static const char attached_letter[] =
	"From: manager@romashka.example\r\nSubject: Fw: complaint\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n"
	"--o\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСм. письмо кассира.\r\n"
	"--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"
	"From: kassa@romashka.example\r\nSubject: =?utf-8?B?0JrQsNGB0YHQsCAvINCk0J0=?=\r\n"
	"Content-Type: image/png\r\n\r\nnot really\r\n"
	"--o--\r\n";

static void test_mail_parse__an_attached_letter_is_one_eml_file(void **state)
{
	(void)state;
	struct inletter l;
	PARSE(attached_letter, &l);
	assert_string_equal(l.text, "См. письмо кассира.");
	/* Not looked into: its image is no file of ours. */
	assert_int_equal(l.n_files, 1);
	assert_string_equal(l.files[0].name, "Касса _ ФН.eml");
	assert_string_equal(l.files[0].mime, "message/rfc822");
	assert_non_null(l.files[0].data);
	assert_non_null(memmem(l.files[0].data, l.files[0].size, "kassa@romashka.example", 22));
	inletter_release(&l);
}

static void test_mail_parse__outlook_english_history_and_quotes_alone(void **state)
{
	(void)state;
	static const char outlook[] =
		"From: a@b.example\r\nSubject: RE: x\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
		"The printer works now, thanks.\r\n\r\n"
		"________________________________\r\n"
		"From: Support <support@desk.example>\r\nSent: Tuesday, November 25, 2026 10:15 AM\r\n"
		"To: a@b.example\r\nSubject: x\r\n\r\nRestart the printer.\r\n";
	static const char original[] =
		"From: a@b.example\r\nSubject: RE: x\r\n\r\nDone.\r\n\r\n-----Original Message-----\r\n"
		"From: Support\r\nRestart it.\r\n";
	static const char gmail_wrapped[] =
		"From: a@b.example\r\nSubject: Re: x\r\n\r\nStill broken.\r\n\r\n"
		"On Tue, Nov 25, 2026 at 10:15 AM Support Desk <\r\nsupport@desk.example> wrote:\r\n\r\n"
		"> Restart the printer.\r\n";
	static const char iphone[] =
		"From: a@b.example\r\nSubject: Re: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		"Заработало, спасибо!\r\n\r\nОтправлено с iPhone\r\n\r\n"
		"> 25 нояб. 2026 г., в 10:15, Служба поддержки <support@desk.example> написал(а):\r\n"
		"> Перезагрузите кассу.\r\n";
	static const char quotes_alone[] =
		"From: a@b.example\r\nSubject: Re: x\r\n\r\n> Restart the printer.\r\n> Then call us.\r\n";
	struct inletter l;
	PARSE(outlook, &l);
	assert_string_equal(l.text, "The printer works now, thanks.");
	inletter_release(&l);
	PARSE(original, &l);
	assert_string_equal(l.text, "Done.");
	inletter_release(&l);
	PARSE(gmail_wrapped, &l);
	assert_string_equal(l.text, "Still broken.");
	inletter_release(&l);
	/* A phone's own line is no word of the sender's. */
	PARSE(iphone, &l);
	assert_string_equal(l.text, "Заработало, спасибо!");
	inletter_release(&l);
	/* Nothing new: the quote stays rather than an empty letter. */
	PARSE(quotes_alone, &l);
	assert_string_equal(l.text, "> Restart the printer.\n> Then call us.");
	inletter_release(&l);
}

/*
 * «Касса 2 пишет:» is what a cashier writes above what the till shows,
 * not a mail client's attribution: the words under it stay. A client's
 * attribution carries the time of the letter it quotes.
 */
static void test_mail_parse__what_the_till_says_is_no_attribution(void **state)
{
	(void)state;
	static const char till_says[] =
		"From: ivan@romashka.example\r\nSubject: =?utf-8?B?0J7RiNC40LHQutCwINCk0J0=?=\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Добрый день!\r\n"
		"Касса 2 пишет:\r\n"
		"Ошибка ФН 235, обратитесь в ЦТО.\r\n"
		"Что делать?\r\n";
	static const char thunderbird_unquoted[] =
		"From: ivan@romashka.example\r\nSubject: Re: x\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Работает.\r\n\r\n"
		"25.11.2026 10:15, Техподдержка пишет:\r\n\r\n"
		"Перезагрузите кассу.\r\n";
	struct inletter l;
	PARSE(till_says, &l);
	assert_string_equal(l.text, "Добрый день!\nКасса 2 пишет:\nОшибка ФН 235, обратитесь в ЦТО.\nЧто делать?");
	inletter_release(&l);
	/* A client's attribution with no quote under it still ends the new words. */
	PARSE(thunderbird_unquoted, &l);
	assert_string_equal(l.text, "Работает.");
	inletter_release(&l);
}

static void test_mail_parse__a_forwarded_letter_is_kept(void **state)
{
	(void)state;
	static const char forward[] =
		"From: manager@romashka.example\r\nSubject: Fwd: касса\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Посмотрите, пожалуйста.\r\n\r\n"
		"-------- Пересылаемое сообщение --------\r\n"
		"25.11.2026, 18:02, \"Кассир\" <kassa@romashka.example>:\r\n\r\n"
		"Касса зависла на закрытии смены.\r\n";
	/* Outlook forwards under the block it quotes under: the subject tells. */
	static const char outlook_forward[] =
		"From: manager@romashka.example\r\nSubject: FW: =?utf-8?B?0LrQsNGB0YHQsA==?=\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Посмотрите, пожалуйста.\r\n\r\n"
		"От: Кассир <kassa@romashka.example>\r\nОтправлено: 25 ноября 2026 г. 18:02\r\n"
		"Кому: manager@romashka.example\r\n\r\nКасса зависла на закрытии смены.\r\n";
	struct inletter l;
	PARSE(outlook_forward, &l);
	assert_string_equal(l.subject, "FW: касса");
	assert_non_null(strstr(l.text, "Касса зависла на закрытии смены."));
	inletter_release(&l);
	PARSE(forward, &l);
	assert_string_equal(l.text, "Посмотрите, пожалуйста.\n\n"
				    "-------- Пересылаемое сообщение --------\n"
				    "25.11.2026, 18:02, \"Кассир\" <kassa@romashka.example>:\n\n"
				    "Касса зависла на закрытии смены.");
	inletter_release(&l);
}

static void test_mail_parse__text_is_capped_at_a_character(void **state)
{
	(void)state;
	struct buf raw = BUF_INIT(1 << 20);
	buf_puts(&raw, "From: a@b.example\r\nSubject: long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n");
	/* 3-byte characters: 64 KiB (3 x 21845 + 1) falls inside one. */
	for (int i = 0; i < 30000; i++)
		buf_puts(&raw, "€");
	struct inletter l;
	parse_letter(buf_cstr(&raw), raw.len, ATTACHMENT_MAX, &l);
	assert_int_equal(strlen(l.text), MAIL_TEXT_MAX - 1);
	assert_int_equal(strlen(l.full_text), MAIL_TEXT_MAX - 1);
	inletter_release(&l);
	buf_release(&raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mail_parse__cp1251_outlook_reply_keeps_new_words),
		cmocka_unit_test(test_mail_parse__yandex_base64_reply_drops_the_attributed_quote),
		cmocka_unit_test(test_mail_parse__koi8r_mailru_reply_reads_in_russian),
		cmocka_unit_test(test_mail_parse__thunderbird_flowed_answer_under_the_quote_is_kept),
		cmocka_unit_test(test_mail_parse__html_alone_gives_its_text_without_the_blockquote),
		cmocka_unit_test(test_mail_parse__an_empty_plain_part_gives_way_to_the_html),
		cmocka_unit_test(test_mail_parse__raw_cp1251_headers_and_body_read_as_cp1251),
		cmocka_unit_test(test_mail_parse__a_wrong_charset_is_not_believed),
		cmocka_unit_test(test_mail_parse__cp866_and_a_charset_named_in_the_html_head),
		cmocka_unit_test(test_mail_parse__inline_images_are_files),
		cmocka_unit_test(test_mail_parse__robots_letters_are_automatic),
		cmocka_unit_test(test_mail_parse__a_delivery_report_is_a_bounce),
		cmocka_unit_test(test_mail_parse__an_attachment_over_the_cap_is_named_without_bytes),
		cmocka_unit_test(test_mail_parse__file_names_decoded_and_without_paths),
		cmocka_unit_test(test_mail_parse__at_most_twenty_files),
		cmocka_unit_test(test_mail_parse__garbage_is_no_letter),
		cmocka_unit_test(test_mail_parse__truncated_mime_reads_what_is_there),
		cmocka_unit_test(test_mail_parse__references_and_in_reply_to_lose_their_brackets),
		cmocka_unit_test(test_mail_parse__an_unusable_sender_is_empty),
		cmocka_unit_test(test_mail_parse__a_header_alone_fills_the_headers),
		cmocka_unit_test(test_mail_parse__an_attached_letter_is_one_eml_file),
		cmocka_unit_test(test_mail_parse__outlook_english_history_and_quotes_alone),
		cmocka_unit_test(test_mail_parse__a_forwarded_letter_is_kept),
		cmocka_unit_test(test_mail_parse__what_the_till_says_is_no_attribution),
		cmocka_unit_test(test_mail_parse__text_is_capped_at_a_character),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
