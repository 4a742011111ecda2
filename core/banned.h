/*
 * banned.h - functions tilldesk code must not call.
 *
 * Included last by every source file through "core/common.h". Each name is
 * redefined to an undeclared identifier so that a call fails to compile.
 * Use the bounded or checked replacement named beside it.
 */
#ifndef TD_BANNED_H
#define TD_BANNED_H

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy) /* use buf_puts() or snprintf() */
#undef strcat
#define strcat(x, y) BANNED(strcat) /* use struct buf */
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy) /* use snprintf() */
#undef sprintf
#define sprintf(...) BANNED(sprintf) /* use snprintf() or buf_printf() */
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf) /* use vsnprintf() */
#undef strtok
#define strtok(x, y) BANNED(strtok) /* not reentrant; parse by hand */
#undef atoi
#define atoi(x) BANNED(atoi) /* no error reporting; use parse_int() */
#undef atol
#define atol(x) BANNED(atol)
#undef gets
#define gets(x) BANNED(gets)
#undef gmtime
#define gmtime(x) BANNED(gmtime) /* use gmtime_r() */
#undef localtime
#define localtime(x) BANNED(localtime) /* use tz_local() */

#endif
