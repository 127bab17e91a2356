/*
 * Parser for the streaming service's event log: one line in, one typed event
 * (or one rejection reason) out.  No I/O, no allocation, no Kore: safe to call
 * from any thread.
 */
#ifndef CINEREC_PARSE_H
#define CINEREC_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define PARSE_LINE_MAX		8192	/* longer lines are rejected (too_long) */
#define PARSE_SLUG_MAX		255	/* bytes of a movie id's key (decoded) */
#define PARSE_SPELLING_MAX	765	/* bytes of a movie id as spelled */
#define PARSE_RESULTS_MAX	100	/* ids kept from one recommendation line */
#define PARSE_MINUTE_MAX	1440	/* a watch minute above this is absurd */
#define PARSE_HOST_MAX		127
#define PARSE_RATING_DEFAULT	5	/* ratings are 1..5 unless told */
#define PARSE_RATING_LIMIT	100	/* the largest scale one may choose */

/* What a line is. */
enum parse_kind {
	PARSE_WATCH = 1,	/* GET /data/m/<movie>/<minute>.mpg */
	PARSE_RATE,		/* GET /rate/<movie>=<rating> */
	PARSE_RECO,		/* recommendation request ..., status, result */
	PARSE_ACCOUNT,		/* GET /create_account: a new user */
	PARSE_NKINDS
};

/*
 * Why a line was rejected.  PARSE_OK is 0; every other value has a stable
 * short name (parse_reason_name) used in counters, JSON and metrics.
 */
enum parse_reason {
	PARSE_OK = 0,
	PARSE_ERR_TOO_LONG,	/* "too_long": over PARSE_LINE_MAX bytes */
	PARSE_ERR_BINARY,	/* "binary": NUL, control bytes, invalid UTF-8 */
	PARSE_ERR_FIELDS,	/* "truncated": fewer fields than the kind needs */
	PARSE_ERR_TIME,		/* "bad_time" */
	PARSE_ERR_USER,		/* "bad_user": not a non-negative int64 */
	PARSE_ERR_REQUEST,	/* "bad_request": not one of the three kinds */
	PARSE_ERR_MOVIE,	/* "bad_movie": empty/bad %-escape/bad UTF-8/forbidden char/too long */
	PARSE_ERR_MINUTE,	/* "bad_minute": not an integer in 0..PARSE_MINUTE_MAX */
	PARSE_ERR_RATING,	/* "bad_rating": not an integer on the scale */
	PARSE_ERR_RESULT,	/* "bad_result": garbled status/result/latency */
	PARSE_ERR_NOMEM,	/* "no_memory": never the parser's; the writer
				   could not hold the line (out of memory) */
	PARSE_NREASONS
};

/*
 * One parsed line.  Strings live in text[], NUL-terminated; they stay valid
 * until the struct is reused.  A movie comes twice: as the stream spelled
 * it (movie, result[i]: what is stored and served back, byte for byte) and
 * as its key (key, result_key[i]: decoded and case-folded, see parse_slug;
 * spellings with one key are one movie).
 */
struct parse_event {
	int		 kind;			/* enum parse_kind */
	int64_t		 ts_ms;			/* UTC milliseconds since epoch */
	int64_t		 user;			/* >= 0 */
	const char	*movie;			/* WATCH, RATE: as spelled */
	const char	*key;			/* WATCH, RATE: its key */
	int		 minute;		/* WATCH: 0..PARSE_MINUTE_MAX */
	int		 rating;		/* RATE: 1..the scale's top */
	int		 status;		/* RECO: HTTP status, 0 = no answer */
	int		 latency_ms;		/* RECO: >= 0 */
	char		 host[PARSE_HOST_MAX + 1];	/* RECO: host:port */
	size_t		 nresults;		/* RECO: ids in result[] */
	const char	*result[PARSE_RESULTS_MAX];	/* RECO: as spelled */
	const char	*result_key[PARSE_RESULTS_MAX];	/* RECO: their keys */
	char		 text[2 * (PARSE_LINE_MAX + PARSE_RESULTS_MAX + 1)];
};

/*
 * Parse one line of len bytes (no trailing '\n'; a trailing '\r' is
 * ignored) with ratings on the scale 1..rating_max (2..PARSE_RATING_LIMIT;
 * parse_line: 1..PARSE_RATING_DEFAULT).  Returns PARSE_OK and fills ev, or
 * a reason > 0 (ev is then undefined).  Never reads past line[len - 1].
 * Cannot fail otherwise.
 */
int		 parse_line(const char *line, size_t len, struct parse_event *ev);
int		 parse_line_scaled(const char *line, size_t len, int rating_max,
		    struct parse_event *ev);

/* Stable short name of a kind ("watch", "rate", "reco", "account"). */
const char	*parse_kind_name(int kind);

/* Stable short name of a reason ("ok", "too_long", ...); "unknown" if out of range. */
const char	*parse_reason_name(int reason);

/*
 * Parse a timestamp "YYYY-MM-DDTHH:MM[:SS]" (or ' ' instead of 'T'; no
 * seconds: :00) with an optional fraction of any length after the seconds
 * and an optional trailing 'Z'.  Returns 0 and sets *ms, or -1.
 */
int		 parse_time(const char *s, size_t len, int64_t *ms);

/*
 * Check a movie id as spelled, in[0..len), and write its key into key
 * (keysz bytes incl. the NUL).  The spelling: 1 to PARSE_SPELLING_MAX
 * bytes, no control bytes, spaces, ',', '/' or '=', every '%' followed by
 * two hex digits.  The key: '+' is a space, %XX the byte XX, A-Z are
 * a-z; it must be valid UTF-8 of 1 to PARSE_SLUG_MAX bytes without control
 * bytes (a decoded '/', '=' or '%' is fine: "face%2Foff+1997" is
 * "face/off 1997").  Returns the key's length, or -1.
 */
int		 parse_slug(const char *in, size_t len, char *key, size_t keysz);

/*
 * The shape of a line's request, for lines of a kind the parser does not
 * know (bad_request): its first word and, when the second starts with '/',
 * the first path segment ("GET /foo/" of "...,GET /foo/1?x=2"), else the
 * second word ("login attempt" of "...,login attempt from ...").  Only
 * letters, digits, '_', '-', '/', '.' and one space are kept, into out
 * (outsz > 0 bytes incl. the NUL; cut to fit).  "?" when the line has no
 * request.  Cannot fail.
 */
void		 parse_shape(const char *line, size_t len, char *out,
		    size_t outsz);

/* Parse a user id: decimal digits only, fits int64.  0 or -1. */
int		 parse_user(const char *s, size_t len, int64_t *user);

#endif
