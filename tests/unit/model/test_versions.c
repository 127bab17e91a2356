/*
 * The quality gate's decisions (model/versions.c): each rule, its reason,
 * and --force over it.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "model/versions.h"

static struct gate_input	in;
static char			why[256];

/* A candidate a little better than a current version 4. */
static void
setup(void)
{
	memset(&in, 0, sizeof(in));
	in.recall = 0.20;
	in.coverage = 0.30;
	in.eval_users = 500;
	in.has_base = 1;
	in.base_id = 4;
	in.base_recall = 0.19;
	in.base_coverage = 0.40;
	in.tolerance = 0.05;
	in.min_coverage = 0.1;
}

TestSuite(versions, .init = setup);

Test(versions, a_candidate_not_worse_is_promoted)
{
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_PROMOTED);
	cr_assert_str_eq(why, "Recall@20 0.2000 against the current version "
	    "4's 0.1900 on the same hold-out");
	/* Within the tolerance: 0.1810 >= 0.19 * 0.95 = 0.1805. */
	in.recall = 0.1810;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_PROMOTED);
	cr_assert(versions_gate_promotes(GATE_PROMOTED));
}

Test(versions, a_worse_candidate_is_refused_with_both_scores)
{
	/* The case: ALS 0.19 replaced by item-kNN 0.035. */
	in.recall = 0.035;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED);
	cr_assert_str_eq(why, "Recall@20 0.0350 is worse than the current "
	    "version 4's 0.1900 on the same hold-out by more than 5%");
	cr_assert(!versions_gate_promotes(GATE_REFUSED));
	in.recall = 0.1800;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED,
	    "just beyond the tolerance");
	in.tolerance = 0.1;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_PROMOTED);
}

Test(versions, degenerate_and_empty_candidates_are_refused)
{
	/* Better recall, but 3.9% of the current's coverage. */
	in.coverage = 0.0156;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED);
	cr_assert(strstr(why, "degenerate"), "%s", why);
	in.coverage = 0;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED);
	cr_assert_str_eq(why, "its lists are empty on the hold-out");
	/* Even as the first model. */
	in.has_base = 0;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED);
}

Test(versions, the_first_model_and_an_unmeasured_one)
{
	in.has_base = 0;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_FIRST);
	cr_assert_str_eq(why, "the first model");
	in.recall = -1;
	in.eval_users = 0;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_FIRST);
	cr_assert(strstr(why, "not measured"), "%s", why);
	in.has_base = 1;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED,
	    "nothing to compare: refused, not promoted blind");
}

Test(versions, a_pinned_current_version_and_force)
{
	in.base_pinned = 1;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_REFUSED);
	cr_assert_str_eq(why, "the current version 4 is pinned");
	in.force = 1;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_FORCED);
	cr_assert_str_eq(why, "the gate would have refused: the current "
	    "version 4 is pinned");
	in.base_pinned = 0;
	cr_assert_eq(versions_gate(&in, why, sizeof(why)), GATE_FORCED,
	    "forced is recorded as forced even when it would pass");
	cr_assert(versions_gate_promotes(GATE_FORCED));
	cr_assert_str_eq(versions_gate_name(GATE_FORCED), "forced");
	cr_assert_str_eq(versions_gate_name(9), "?");
}
