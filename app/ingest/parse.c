/*
 * Event log line parser: owns the grammar of the streaming service's log
 * (watch, rate and recommendation lines) and every rejection rule for dirty
 * input.  Hand-written scanning, no allocation, no I/O, no global state.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ingest/parse.h"

#define WATCH_PREFIX	"GET /data/m/"
#define RATE_PREFIX	"GET /rate/"
#define RECO_PREFIX	"recommendation request "
#define WATCH_SUFFIX	".mpg"
#define ACCOUNT_REQ	"GET /create_account"

#define LIT_LEN(s)	(sizeof(s) - 1)

#define YEAR_MIN	1970
#define YEAR_MAX	9999

/* Slug byte classes, see slug_class. */
#define SC_PLAIN	0	/* kept as it is */
#define SC_ESCAPE	1	/* '%' */
#define SC_HIGH		2	/* >= 0x80: part of a UTF-8 sequence */
#define SC_BAD		3	/* control, space, ',', '/', '=', DEL */

static const char *const reason_names[PARSE_NREASONS] = {
	"ok",
	"too_long",
	"binary",
	"truncated",
	"bad_time",
	"bad_user",
	"bad_request",
	"bad_movie",
	"bad_minute",
	"bad_rating",
	"bad_result",
	"no_memory",
};

/*
 * Class of each byte inside a slug.  Filled for all 256 values so that a
 * lookup never needs a range check.
 */
#define B4(x)		x, x, x, x
#define B16(x)		B4(x), B4(x), B4(x), B4(x)
static const unsigned char slug_class[256] = {
	/* 0x00 - 0x1f: control */
	B16(SC_BAD), B16(SC_BAD),
	/* 0x20 ' ' */ SC_BAD,
	/* 0x21 - 0x24 "!"#$" */ SC_PLAIN, SC_PLAIN, SC_PLAIN, SC_PLAIN,
	/* 0x25 '%' */ SC_ESCAPE,
	/* 0x26 - 0x2b "&'()*+" */ SC_PLAIN, SC_PLAIN, SC_PLAIN, SC_PLAIN,
	SC_PLAIN, SC_PLAIN,
	/* 0x2c ',' */ SC_BAD,
	/* 0x2d - 0x2e "-." */ SC_PLAIN, SC_PLAIN,
	/* 0x2f '/' */ SC_BAD,
	/* 0x30 - 0x3c "0-9:;<" */ B4(SC_PLAIN), B4(SC_PLAIN), B4(SC_PLAIN),
	SC_PLAIN,
	/* 0x3d '=' */ SC_BAD,
	/* 0x3e - 0x3f ">?" */ SC_PLAIN, SC_PLAIN,
	/* 0x40 - 0x7e */ B16(SC_PLAIN), B16(SC_PLAIN), B16(SC_PLAIN),
	B4(SC_PLAIN), B4(SC_PLAIN), B4(SC_PLAIN), SC_PLAIN, SC_PLAIN, SC_PLAIN,
	/* 0x7f DEL */ SC_BAD,
	/* 0x80 - 0xff */
	B16(SC_HIGH), B16(SC_HIGH), B16(SC_HIGH), B16(SC_HIGH),
	B16(SC_HIGH), B16(SC_HIGH), B16(SC_HIGH), B16(SC_HIGH),
};

static const unsigned char days_in_month[13] = {
	0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
};

/*
 * Length of the valid UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) starting at s, of at most len bytes.
 * s[0] must be >= 0x80.  Returns 2, 3 or 4, or 0 if the sequence is invalid
 * or cut short.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char	c = s[0], lo = 0x80, hi = 0xbf;
	size_t		n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return (0);

	if (len < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return (0);
	}
	return (n);
}

/*
 * Check that s[0..len) holds printable ASCII and valid multi-byte UTF-8
 * only: no NUL, no C0 control byte, no DEL.  Returns 0 or -1.
 */
static int
line_clean(const unsigned char *s, size_t len)
{
	const unsigned char	*end = s + len;
	uint64_t		 w, bad;
	size_t			 n;

	while (s < end) {
		/* Eight ASCII bytes at a time while no byte needs a look. */
		while (end - s >= 8) {
			memcpy(&w, s, sizeof(w));
			/* high bit set, below 0x20, or 0x7f (== 0 after xor) */
			bad = (w | (w - 0x2020202020202020ULL) |
			    ((w ^ 0x7f7f7f7f7f7f7f7fULL) -
			    0x0101010101010101ULL)) & 0x8080808080808080ULL;
			if (bad != 0)
				break;
			s += 8;
		}
		if (s >= end)
			break;
		if (*s >= 0x20 && *s < 0x7f) {
			s++;
			continue;
		}
		if (*s < 0x80)
			return (-1);
		if ((n = utf8_seq(s, (size_t)(end - s))) == 0)
			return (-1);
		s += n;
	}
	return (0);
}

/* Value of one hex digit, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * Parse 1 or more decimal digits, all of s[0..len), into *v.  Fails on an
 * empty string, any other byte, or a value above max.  Returns 0 or -1.
 */
static int
parse_uint(const char *s, size_t len, int64_t max, int64_t *v)
{
	int64_t		 acc = 0;
	unsigned	 d;
	size_t		 i;

	if (len == 0)
		return (-1);
	for (i = 0; i < len; i++) {
		d = (unsigned char)s[i] - '0';
		if (d > 9)
			return (-1);
		if (acc > max / 10 || (acc == max / 10 && d > max % 10))
			return (-1);
		acc = acc * 10 + d;
	}
	*v = acc;
	return (0);
}

/* Two decimal digits at s, or -1. */
static int
two_digits(const char *s)
{
	unsigned	a = (unsigned char)s[0] - '0';
	unsigned	b = (unsigned char)s[1] - '0';

	if (a > 9 || b > 9)
		return (-1);
	return ((int)(a * 10 + b));
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (y >= 0, valid m and
 * d).  H. Hinnant's days_from_civil: pure arithmetic, no tables, no locale.
 */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/*
 * Timestamp grammar: "YYYY-MM-DD" 'T'|' ' "HH:MM" [":SS" ['.' digit+]]
 * ['Z'], nothing else.  Year 1970..9999, month 1..12, day within the month
 * (leap years per the Gregorian rule), hour < 24, minute < 60, second < 61.
 * Without seconds the time is HH:MM:00: real streams write about 1.7% of
 * their lines so.  A leap second (:60) is accepted and clamped to :59 (the
 * fraction is kept), so the result stays monotonic inside the minute.  Only
 * the first three fraction digits count; further digits are checked, then
 * dropped.
 */
int
parse_time(const char *s, size_t len, int64_t *ms)
{
	int		 year, mon, day, hour, min, sec = 0, a, b, mday;
	int64_t		 frac = 0, days;
	size_t		 i, nd;

	if (len < 16)
		return (-1);
	if ((a = two_digits(s)) < 0 || (b = two_digits(s + 2)) < 0)
		return (-1);
	year = a * 100 + b;
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':')
		return (-1);
	if ((mon = two_digits(s + 5)) < 0 || (day = two_digits(s + 8)) < 0 ||
	    (hour = two_digits(s + 11)) < 0 || (min = two_digits(s + 14)) < 0)
		return (-1);
	i = 16;
	if (i < len && s[i] == ':') {
		if (len < 19 || (sec = two_digits(s + 17)) < 0)
			return (-1);
		i = 19;
		if (i < len && s[i] == '.') {
			for (i++, nd = 0; i < len &&
			    (unsigned)((unsigned char)s[i] - '0') <= 9;
			    i++, nd++) {
				if (nd < 3)
					frac = frac * 10 + (s[i] - '0');
			}
			if (nd == 0)
				return (-1);
			for (; nd < 3; nd++)
				frac *= 10;
		}
	}
	if (i < len && s[i] == 'Z')
		i++;
	if (i != len)
		return (-1);
	if (year < YEAR_MIN || year > YEAR_MAX || mon < 1 || mon > 12 ||
	    hour > 23 || min > 59 || sec > 60)
		return (-1);
	mday = days_in_month[mon];
	if (mon == 2 && (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		mday = 29;
	if (day < 1 || day > mday)
		return (-1);
	if (sec == 60)
		sec = 59;

	days = days_from_civil(year, (unsigned)mon, (unsigned)day);
	*ms = ((days * 24 + hour) * 60 + min) * 60000 + sec * 1000 + frac;
	return (0);
}

/*
 * Check the spelling in[0..len) and write its key; see parse.h for the
 * contract.  Plain bytes are copied ('+' as a space, A-Z folded), %XX is
 * decoded once (a decoded '%' is kept, never decoded again), and decoded
 * bytes may be anything but control bytes.  UTF-8 is validated on the key,
 * and only when a byte >= 0x80 was seen; the spelling's own high bytes
 * were validated with the line (line_clean) or are validated here too, as
 * they are copied to the key unchanged.
 */
int
parse_slug(const char *in, size_t len, char *key, size_t keysz)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 i, o, lim, n;
	unsigned char		 c, high = 0;
	int			 h, l;

	if (keysz == 0 || len == 0 || len > PARSE_SPELLING_MAX)
		return (-1);
	lim = keysz - 1 < PARSE_SLUG_MAX ? keysz - 1 : PARSE_SLUG_MAX;

	for (i = 0, o = 0; i < len; o++) {
		if (o >= lim)
			return (-1);
		c = s[i];
		switch (slug_class[c]) {
		case SC_PLAIN:
			if (c == '+')
				c = ' ';
			else if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			i++;
			break;
		case SC_HIGH:
			high = 1;
			i++;
			break;
		case SC_ESCAPE:
			if (len - i < 3 || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				return (-1);
			c = (unsigned char)(h << 4 | l);
			if (c >= 0x80)
				high = 1;
			else if (c < 0x20 || c == 0x7f)
				return (-1);
			else if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			i += 3;
			break;
		default:
			return (-1);
		}
		key[o] = (char)c;
	}
	key[o] = '\0';

	if (high) {
		s = (const unsigned char *)key;
		for (i = 0; i < o; ) {
			if (s[i] < 0x80) {
				i++;
				continue;
			}
			if ((n = utf8_seq(s + i, o - i)) == 0)
				return (-1);
			i += n;
		}
	}
	return ((int)o);
}

/*
 * The movie id in[0..len) into *out: its spelling, then its key, each
 * NUL-terminated; *spelling and *key point at them and *out moves past
 * both.  room: bytes left at *out.  Returns 0, or -1 (not a movie id).
 */
static int
movie_id(const char *in, size_t len, char **out, size_t *room,
    const char **spelling, const char **key)
{
	int	n;

	if (len + 1 >= *room)
		return (-1);
	if ((n = parse_slug(in, len, *out + len + 1, *room - len - 1)) < 0)
		return (-1);
	memcpy(*out, in, len);
	(*out)[len] = '\0';
	*spelling = *out;
	*key = *out + len + 1;
	*out += len + 1 + (size_t)n + 1;
	*room -= len + 1 + (size_t)n + 1;
	return (0);
}

/* User id: 1 or more decimal digits, no sign, value <= INT64_MAX. */
int
parse_user(const char *s, size_t len, int64_t *user)
{
	return (parse_uint(s, len, INT64_MAX, user));
}

const char *
parse_kind_name(int kind)
{
	static const char *const names[PARSE_NKINDS] = {
		"unknown", "watch", "rate", "reco", "account"
	};

	return (kind > 0 && kind < PARSE_NKINDS ? names[kind] : "unknown");
}

const char *
parse_reason_name(int reason)
{
	if (reason < 0 || reason >= PARSE_NREASONS)
		return ("unknown");
	return (reason_names[reason]);
}

/*
 * Does s[0..len) start with the literal lit?  Returns 0 if it does, 1 if
 * s is a proper prefix of lit (the line was cut), -1 otherwise.
 */
static int
prefix(const char *s, size_t len, const char *lit, size_t litlen)
{
	if (len >= litlen)
		return (memcmp(s, lit, litlen) == 0 ? 0 : -1);
	return (memcmp(s, lit, len) == 0 ? 1 : -1);
}

/*
 * Like prefix(), but mapped to a reason for a RECO line: OK, truncated
 * (cut inside the literal) or bad_result.
 */
static int
expect(const char *s, size_t len, const char *lit, size_t litlen)
{
	switch (prefix(s, len, lit, litlen)) {
	case 0:
		return (PARSE_OK);
	case 1:
		return (PARSE_ERR_FIELDS);
	default:
		return (PARSE_ERR_RESULT);
	}
}

/* Skip spaces forward from s, not past end. */
static const char *
skip_sp(const char *s, const char *end)
{
	while (s < end && *s == ' ')
		s++;
	return (s);
}

/* The movie id s[0..end) of a WATCH or RATE line into ev.  0 or -1. */
static int
one_movie(const char *s, const char *end, struct parse_event *ev)
{
	char	*out = ev->text;
	size_t	 room = sizeof(ev->text);

	return (movie_id(s, (size_t)(end - s), &out, &room, &ev->movie,
	    &ev->key));
}

/*
 * WATCH body: "<movie>/<minute>.mpg".  The movie ends at the last '/'.
 * A last segment without ".mpg" is "truncated" when it still looks like
 * the start of "<digits>.mpg", else "bad_request".
 */
static int
parse_watch(const char *s, const char *end, struct parse_event *ev)
{
	const char	*slash, *mend, *d;
	int64_t		 v;

	for (slash = end; slash > s && slash[-1] != '/'; slash--)
		;
	if (slash == s)
		return (PARSE_ERR_FIELDS);
	slash--;

	if ((size_t)(end - (slash + 1)) >= LIT_LEN(WATCH_SUFFIX) &&
	    memcmp(end - LIT_LEN(WATCH_SUFFIX), WATCH_SUFFIX,
	    LIT_LEN(WATCH_SUFFIX)) == 0)
		mend = end - LIT_LEN(WATCH_SUFFIX);
	else {
		for (d = slash + 1; d < end && *d >= '0' && *d <= '9'; d++)
			;
		if (prefix(d, (size_t)(end - d), WATCH_SUFFIX,
		    LIT_LEN(WATCH_SUFFIX)) == 1)
			return (PARSE_ERR_FIELDS);
		return (PARSE_ERR_REQUEST);
	}

	if (one_movie(s, slash, ev) == -1)
		return (PARSE_ERR_MOVIE);
	if (parse_uint(slash + 1, (size_t)(mend - (slash + 1)),
	    PARSE_MINUTE_MAX, &v) == -1)
		return (PARSE_ERR_MINUTE);

	ev->kind = PARSE_WATCH;
	ev->minute = (int)v;
	return (PARSE_OK);
}

/* RATE body: "<movie>=<rating>", the movie ending at the last '='. */
static int
parse_rate(const char *s, const char *end, int rating_max,
    struct parse_event *ev)
{
	const char	*eq;
	int64_t		 v;

	for (eq = end; eq > s && eq[-1] != '='; eq--)
		;
	if (eq == s)
		return (PARSE_ERR_FIELDS);
	eq--;

	if (one_movie(s, eq, ev) == -1)
		return (PARSE_ERR_MOVIE);
	if (parse_uint(eq + 1, (size_t)(end - (eq + 1)), rating_max, &v) ==
	    -1 || v < 1)
		return (PARSE_ERR_RATING);

	ev->kind = PARSE_RATE;
	ev->rating = (int)v;
	return (PARSE_OK);
}

/*
 * Latency field: optional spaces, digits (fits int), optional spaces,
 * "ms", end.  Returns 0 or -1.
 */
static int
parse_latency(const char *s, const char *end, int *lat)
{
	const char	*d;
	int64_t		 v;

	s = skip_sp(s, end);
	for (d = s; d < end && *d >= '0' && *d <= '9'; d++)
		;
	if (parse_uint(s, (size_t)(d - s), INT_MAX, &v) == -1)
		return (-1);
	d = skip_sp(d, end);
	if (end - d != 2 || d[0] != 'm' || d[1] != 's')
		return (-1);
	*lat = (int)v;
	return (0);
}

/*
 * Results of a status 200 line: s[0..end) is the text between "result:"
 * and the latency comma.  Items are split at ',' and trimmed of spaces.
 * A list of spaces only (or nothing) is an empty result; otherwise every
 * item must be a movie id, all are validated, the first PARSE_RESULTS_MAX
 * are kept (spelling and key).
 */
static int
parse_results(const char *s, const char *end, struct parse_event *ev)
{
	const char	*comma, *a, *b, *sp, *k;
	char		*out = ev->text, key[PARSE_SLUG_MAX + 1];
	size_t		 room = sizeof(ev->text);

	if (skip_sp(s, end) == end)
		return (PARSE_OK);

	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		if (comma == NULL)
			comma = end;
		a = skip_sp(s, comma);
		for (b = comma; b > a && b[-1] == ' '; b--)
			;
		if (ev->nresults < PARSE_RESULTS_MAX) {
			if (movie_id(a, (size_t)(b - a), &out, &room, &sp,
			    &k) == -1)
				return (PARSE_ERR_RESULT);
			ev->result[ev->nresults] = sp;
			ev->result_key[ev->nresults++] = k;
		} else if (parse_slug(a, (size_t)(b - a), key,
		    sizeof(key)) < 0)
			return (PARSE_ERR_RESULT);
		if (comma == end)
			break;
		s = comma + 1;
	}
	return (PARSE_OK);
}

/*
 * RECO body: "<host>, status <code>, result: <items>, <N> ms".  Spaces
 * after each comma are optional.  For a status other than 200 the result
 * text is free-form (error text, may hold commas) and is not kept.  The
 * latency is always the last comma field; with no comma after "result:"
 * the whole remainder is the latency and the result list is empty.
 */
static int
parse_reco(const char *s, const char *end, struct parse_event *ev)
{
	const char	*p, *q, *last;
	int64_t		 v;
	int		 r;
	size_t		 hl;

	if ((p = memchr(s, ',', (size_t)(end - s))) == NULL)
		return (PARSE_ERR_FIELDS);
	hl = (size_t)(p - s);
	if (hl == 0 || hl > PARSE_HOST_MAX || memchr(s, ' ', hl) != NULL)
		return (PARSE_ERR_RESULT);
	memcpy(ev->host, s, hl);
	ev->host[hl] = '\0';

	p = skip_sp(p + 1, end);
	if (p == end)
		return (PARSE_ERR_FIELDS);
	if ((r = expect(p, (size_t)(end - p), "status ", 7)) != PARSE_OK)
		return (r);
	p = skip_sp(p + 7, end);
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		;
	if (q == end)
		return (PARSE_ERR_FIELDS);
	if (*q != ',' || parse_uint(p, (size_t)(q - p), 999, &v) == -1)
		return (PARSE_ERR_RESULT);
	ev->status = (int)v;

	p = skip_sp(q + 1, end);
	if (p == end)
		return (PARSE_ERR_FIELDS);
	if ((r = expect(p, (size_t)(end - p), "result:", 7)) != PARSE_OK)
		return (r);
	p += 7;

	for (last = end; last > p && last[-1] != ','; last--)
		;
	if (parse_latency(last, end, &ev->latency_ms) == -1)
		return (PARSE_ERR_RESULT);
	ev->kind = PARSE_RECO;
	if (last == p || ev->status != 200)
		return (PARSE_OK);
	return (parse_results(p, last - 1, ev));
}

/* s[0..*len) without the blanks at both ends: the new start. */
static const char *
trim(const char *s, size_t *len)
{
	const char	*end = s + *len;

	s = skip_sp(s, end);
	while (end > s && end[-1] == ' ')
		end--;
	*len = (size_t)(end - s);
	return (s);
}

int
parse_line(const char *line, size_t len, struct parse_event *ev)
{
	return (parse_line_scaled(line, len, PARSE_RATING_DEFAULT, ev));
}

/*
 * Parse one line; see parse.h.  Checks run in this order, the first
 * failure wins: too_long (on the length without a trailing CR), binary
 * (whole line), truncated (fewer than three comma fields), bad_time,
 * bad_user, then the request.  Spaces around the time, the user id and
 * the request are dropped ("..., GET /rate/..." is in real streams);
 * inside the request they are part of the grammar.
 */
int
parse_line_scaled(const char *line, size_t len, int rating_max,
    struct parse_event *ev)
{
	const char	*end, *c1, *c2, *req, *f;
	size_t		 rlen, flen;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > PARSE_LINE_MAX)
		return (PARSE_ERR_TOO_LONG);
	if (len == 0)
		return (PARSE_ERR_FIELDS);
	if (line_clean((const unsigned char *)line, len) == -1)
		return (PARSE_ERR_BINARY);
	if (rating_max < 2 || rating_max > PARSE_RATING_LIMIT)
		rating_max = PARSE_RATING_DEFAULT;

	end = line + len;
	if ((c1 = memchr(line, ',', len)) == NULL)
		return (PARSE_ERR_FIELDS);
	if ((c2 = memchr(c1 + 1, ',', (size_t)(end - (c1 + 1)))) == NULL)
		return (PARSE_ERR_FIELDS);

	flen = (size_t)(c1 - line);
	f = trim(line, &flen);
	if (parse_time(f, flen, &ev->ts_ms) == -1)
		return (PARSE_ERR_TIME);
	flen = (size_t)(c2 - (c1 + 1));
	f = trim(c1 + 1, &flen);
	if (parse_user(f, flen, &ev->user) == -1)
		return (PARSE_ERR_USER);

	ev->movie = ev->key = NULL;
	ev->minute = 0;
	ev->rating = 0;
	ev->status = 0;
	ev->latency_ms = 0;
	ev->host[0] = '\0';
	ev->nresults = 0;

	rlen = (size_t)(end - (c2 + 1));
	req = trim(c2 + 1, &rlen);
	end = req + rlen;
	if (rlen > LIT_LEN(WATCH_PREFIX) &&
	    memcmp(req, WATCH_PREFIX, LIT_LEN(WATCH_PREFIX)) == 0)
		return (parse_watch(req + LIT_LEN(WATCH_PREFIX), end, ev));
	if (rlen > LIT_LEN(RATE_PREFIX) &&
	    memcmp(req, RATE_PREFIX, LIT_LEN(RATE_PREFIX)) == 0)
		return (parse_rate(req + LIT_LEN(RATE_PREFIX), end, rating_max,
		    ev));
	if (rlen > LIT_LEN(RECO_PREFIX) &&
	    memcmp(req, RECO_PREFIX, LIT_LEN(RECO_PREFIX)) == 0)
		return (parse_reco(req + LIT_LEN(RECO_PREFIX), end, ev));
	if (rlen == LIT_LEN(ACCOUNT_REQ) &&
	    memcmp(req, ACCOUNT_REQ, LIT_LEN(ACCOUNT_REQ)) == 0) {
		ev->kind = PARSE_ACCOUNT;
		return (PARSE_OK);
	}

	/* A request cut inside (or right after) one of the prefixes. */
	if (prefix(req, rlen, WATCH_PREFIX, LIT_LEN(WATCH_PREFIX)) >= 0 ||
	    prefix(req, rlen, RATE_PREFIX, LIT_LEN(RATE_PREFIX)) >= 0 ||
	    prefix(req, rlen, RECO_PREFIX, LIT_LEN(RECO_PREFIX)) >= 0 ||
	    prefix(req, rlen, ACCOUNT_REQ, LIT_LEN(ACCOUNT_REQ)) == 1)
		return (PARSE_ERR_FIELDS);
	return (PARSE_ERR_REQUEST);
}

/* A byte a shape keeps. */
static int
shape_byte(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.');
}

void
parse_shape(const char *line, size_t len, char *out, size_t outsz)
{
	const char	*p, *end = line + len, *c;
	size_t		 o = 0;

	/* The request: after the second comma, blanks dropped. */
	if ((c = memchr(line, ',', len)) == NULL ||
	    (c = memchr(c + 1, ',', (size_t)(end - (c + 1)))) == NULL) {
		snprintf(out, outsz, "?");
		return;
	}
	p = skip_sp(c + 1, end);
	for (; p < end && o + 1 < outsz && shape_byte((unsigned char)*p); p++)
		out[o++] = *p;
	if (o > 0 && p < end && *p == ' ' && o + 1 < outsz) {
		out[o++] = ' ';
		if (++p < end && *p == '/' && o + 1 < outsz) {
			out[o++] = '/';
			p++;
		}
		for (; p < end && o + 1 < outsz &&
		    shape_byte((unsigned char)*p); p++)
			out[o++] = *p;
		if (p < end && *p == '/' && out[o - 1] != '/' && o + 1 < outsz)
			out[o++] = '/';
		if (out[o - 1] == ' ')
			o--;
	}
	if (o == 0)
		out[o++] = '?';
	out[o] = '\0';
}
