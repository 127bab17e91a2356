/*
 * Unit tests for app/model/signals.c: the defaults, every branch of the
 * mapping of minutes watched, runtime and rating to a preference and a
 * confidence (no signal, known and unknown runtime, a rating above, at and
 * below the dislike threshold, rating_max), the clamping of a negative
 * confidence, the refusal of invalid input and the encoding as a value.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "model/signals.h"

static struct signal_params	sp;

static void
setup(void)
{
	signal_defaults(&sp);
}

static void
teardown(void)
{
	memset(&sp, 0, sizeof(sp));
}

TestSuite(signals, .init = setup, .fini = teardown, .timeout = 60);

/* Map with sp; assert success, preference and confidence (to 1e-6). */
static void
expect(double minutes, double runtime, double rating, int pref,
    double conf)
{
	struct signal	s;

	memset(&s, 0x55, sizeof(s));
	cr_assert_eq(signal_map(&sp, minutes, runtime, rating, &s), 0,
	    "map(%g, %g, %g)", minutes, runtime, rating);
	cr_assert_eq(s.pref, pref, "map(%g, %g, %g): pref %d", minutes,
	    runtime, rating, s.pref);
	cr_assert_float_eq(s.conf, (float)conf, 1e-6,
	    "map(%g, %g, %g): conf %.9g, want %.9g", minutes, runtime, rating,
	    s.conf, conf);
}

/* Map with sp; assert the refusal and a zeroed out. */
static void
refused(double minutes, double runtime, double rating)
{
	struct signal	s;

	s.pref = 1;
	s.conf = 3.0f;
	cr_assert_eq(signal_map(&sp, minutes, runtime, rating, &s), -1,
	    "map(%g, %g, %g) accepted", minutes, runtime, rating);
	cr_assert_eq(s.pref, 0);
	cr_assert_float_eq(s.conf, 0.0f, 0);
}

Test(signals, defaults_are_the_documented_constants)
{
	struct signal_params	p;

	memset(&p, 0x7f, sizeof(p));
	signal_defaults(&p);
	cr_assert_float_eq(p.watch_scale, 30.0, 0);
	cr_assert_float_eq(p.watch_base, 0.5, 0);
	cr_assert_float_eq(p.watch_weight, 1.5, 0);
	cr_assert_float_eq(p.dislike, 2.0, 0);
	cr_assert_float_eq(p.rating_max, 5.0, 0);
	cr_assert_float_eq(p.rating_base, 1.0, 0);
	cr_assert_float_eq(p.rating_weight, 2.0, 0);
	cr_assert_float_eq(p.dislike_base, 1.0, 0);
	cr_assert_float_eq(p.dislike_weight, 1.0, 0);
}

Test(signals, neither_watch_nor_rating_is_no_signal)
{
	struct signal	s;

	expect(0, 0, 0, 0, 0.0);
	expect(0, 120, 0, 0, 0.0);	/* a runtime alone says nothing */
	cr_assert_eq(signal_map(&sp, 0, 95, 0, &s), 0);
	cr_assert_float_eq(signal_encode(&s), 0.0f, 0);
}

Test(signals, known_runtime_uses_the_fraction_watched)
{
	expect(45, 90, 0, 1, 0.5 + 1.5 * 0.5);
	expect(9, 90, 0, 1, 0.5 + 1.5 * 0.1);
	expect(90, 90, 0, 1, 2.0);		/* complete */
	expect(300, 90, 0, 1, 2.0);		/* capped at 1 */
	expect(1e-9, 90, 0, 1, 0.5);		/* however short */
}

Test(signals, unknown_runtime_saturates_with_watch_scale)
{
	expect(30, 0, 0, 1, 0.5 + 1.5 * (1.0 - exp(-1.0)));
	expect(60, 0, 0, 1, 0.5 + 1.5 * (1.0 - exp(-2.0)));
	expect(3, 0, 0, 1, 0.5 + 1.5 * (1.0 - exp(-0.1)));
	expect(1e6, 0, 0, 1, 2.0);
	/* No saturation scale: any watch counts as complete. */
	sp.watch_scale = 0;
	expect(1, 0, 0, 1, 2.0);
	/* The runtime, when known, wins over the scale. */
	sp.watch_scale = 30;
	expect(30, 60, 0, 1, 0.5 + 1.5 * 0.5);
}

Test(signals, rating_above_dislike_adds_to_the_watch)
{
	/* Rating alone. */
	expect(0, 0, 5, 1, 1.0 + 2.0);		/* rating_max */
	expect(0, 0, 3.5, 1, 1.0 + 2.0 * 1.5 / 3.0);
	expect(0, 0, 3, 1, 1.0 + 2.0 / 3.0);
	expect(0, 0, 2.0001, 1, 1.0 + 2.0 * 0.0001 / 3.0);
	/* With a complete watch, and with half a watch. */
	expect(100, 100, 5, 1, 2.0 + 3.0);
	expect(50, 100, 4, 1, 1.25 + 1.0 + 2.0 * 2.0 / 3.0);
}

Test(signals, rating_at_or_below_dislike_overrides_the_watch)
{
	/* At the threshold: dislike_base alone. */
	expect(0, 0, 2, 0, 1.0);
	expect(100, 100, 2, 0, 1.0);		/* the complete watch is gone */
	/* Further below: up to dislike_base + dislike_weight near 0. */
	expect(0, 0, 1, 0, 1.0 + 0.5);
	expect(30, 0, 0.5, 0, 1.0 + 0.75);
	expect(0, 0, 1e-9, 0, 2.0);
}

Test(signals, every_constant_is_taken_from_the_params)
{
	sp = (struct signal_params){
		.watch_scale = 10, .watch_base = 1, .watch_weight = 2,
		.dislike = 1, .rating_max = 10, .rating_base = 0.5,
		.rating_weight = 4.5, .dislike_base = 2, .dislike_weight = 3,
	};
	expect(10, 0, 0, 1, 1 + 2 * (1.0 - exp(-1.0)));
	expect(10, 0, 10, 1, 1 + 2 * (1.0 - exp(-1.0)) + 0.5 + 4.5);
	expect(0, 0, 5.5, 1, 0.5 + 4.5 * 4.5 / 9.0);
	expect(0, 0, 1, 0, 2.0);
	expect(5, 10, 0.5, 0, 2.0 + 3.0 * 0.5);
	refused(0, 0, 10.5);			/* above this rating_max */
	expect(0, 0, 8, 1, 0.5 + 4.5 * 7.0 / 9.0);	/* fine here */
}

Test(signals, negative_confidence_is_clamped_to_zero)
{
	struct signal	s;

	sp.watch_base = -1.0;
	sp.watch_weight = 0.0;
	expect(10, 0, 0, 1, 0.0);
	cr_assert_eq(signal_map(&sp, 10, 0, 0, &s), 0);
	cr_assert_geq(s.conf, 0.0f);
	sp.dislike_base = -3.0;
	expect(0, 0, 2, 0, 0.0);
}

Test(signals, rating_max_is_allowed_and_one_past_it_refused)
{
	expect(0, 0, 5.0, 1, 3.0);
	refused(0, 0, nextafter(5.0, 6.0));
	refused(0, 0, 6.0);
	refused(40, 90, 5.5);
}

Test(signals, the_mapping_follows_the_streams_scale)
{
	struct signal	a, b;
	double		r;

	cr_assert_float_eq(sp.scale, 5.0, 0);
	sp.scale = 10.0;
	/* 2r of 10 is r of 5: the same preference, the same confidence. */
	for (r = 1; r <= 5; r += 0.5) {
		sp.scale = 5.0;
		cr_assert_eq(signal_map(&sp, 30, 90, r, &a), 0);
		sp.scale = 10.0;
		cr_assert_eq(signal_map(&sp, 30, 90, 2 * r, &b), 0);
		cr_assert_eq(a.pref, b.pref, "%g of 5, %g of 10", r, 2 * r);
		cr_assert_float_eq(a.conf, b.conf, 1e-6);
	}
	/* 4 of 10 is a dislike (2 of 5); 10 of 10 is allowed, 11 not. */
	expect(0, 0, 4.0, 0, 1.0);
	expect(0, 0, 10.0, 1, 3.0);
	refused(0, 0, 11.0);
}

Test(signals, negative_and_non_finite_inputs_are_refused)
{
	refused(-1, 0, 0);
	refused(-1e-12, 90, 4);
	refused(10, -90, 0);
	refused(10, 0, -1);
	refused(NAN, 0, 0);
	refused(10, NAN, 0);
	refused(10, 90, NAN);
	refused(INFINITY, 0, 0);
	refused(10, INFINITY, 0);
	refused(10, 0, -INFINITY);
	/* Zero is "none" for each of them, not an error. */
	expect(0, 0, 0, 0, 0.0);
}

Test(signals, encode_signs_the_confidence_by_preference)
{
	struct signal	s;

	s = (struct signal){ 1, 2.5f };
	cr_assert_float_eq(signal_encode(&s), 2.5f, 0);
	s = (struct signal){ 0, 1.5f };
	cr_assert_float_eq(signal_encode(&s), -1.5f, 0);
	s = (struct signal){ 0, 0.0f };
	cr_assert_float_eq(signal_encode(&s), 0.0f, 0);
	/* Through the mapping: a dislike is negative, a watch positive. */
	cr_assert_eq(signal_map(&sp, 0, 0, 1, &s), 0);
	cr_assert_float_eq(signal_encode(&s), -1.5f, 1e-6);
	cr_assert_eq(signal_map(&sp, 90, 90, 0, &s), 0);
	cr_assert_float_eq(signal_encode(&s), 2.0f, 1e-6);
}
