/*
 * Tests for app/ingest/kafka.c's settings: the partitions a serving
 * replica takes ("0,2-3") and the names that may reach librdkafka.  The
 * consumer itself runs against a real broker (tests/integration/it_kafka.c
 * and it_replica.c).
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ingest/kafka.h"

TestSuite(kafka);

Test(kafka, partitions_are_numbers_and_ranges_each_once)
{
	int32_t	p[KAFKA_ASSIGN_MAX];
	char	big[16];

	cr_assert_eq(kafka_parse_partitions("0,2-4,9", p, 8), 5);
	cr_assert_eq(p[0], 0);
	cr_assert_eq(p[1], 2);
	cr_assert_eq(p[3], 4);
	cr_assert_eq(p[4], 9);
	cr_assert_eq(kafka_parse_partitions("7", p, 1), 1);
	cr_assert_eq(p[0], 7);
	cr_assert_eq(kafka_parse_partitions("0-1023", p, KAFKA_ASSIGN_MAX),
	    KAFKA_ASSIGN_MAX);
	cr_assert_eq(kafka_parse_partitions("0-1023", NULL, 0),
	    KAFKA_ASSIGN_MAX, "counted only");
	snprintf(big, sizeof(big), "%d", KAFKA_PARTITION_MAX);
	cr_assert_eq(kafka_parse_partitions(big, p, 1), 1);
}

Test(kafka, bad_partition_lists_are_refused)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "a", "1;2", "-1", "3-1", "1-", "1--2",
		"1,1", "0-3,2", "0-1024", "65536", "99999999999999999999",
		" 1", "1 ", "1\n2", "0x1", "+1",
	};
	int32_t	p[KAFKA_ASSIGN_MAX];
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(kafka_parse_partitions(bad[i], p, KAFKA_ASSIGN_MAX),
		    -1, "'%s' was taken", bad[i]);
		cr_expect_not_null(kafka_check_partitions(bad[i]), "'%s'",
		    bad[i]);
	}
	cr_assert_eq(kafka_parse_partitions("1,2,3", p, 2), -1, "no room");
	cr_assert_null(kafka_check_partitions("0,2-3"));
}

Test(kafka, names_are_kafkas_characters_only)
{
	cr_assert_null(kafka_check_name("movielog1-served"));
	cr_assert_not_null(kafka_check_name(""));
	cr_assert_not_null(kafka_check_name("a b"));
	cr_assert_not_null(kafka_check_name("a\nsasl.mechanism=PLAIN"));
	cr_assert_null(kafka_check_brokers("h1:9092,[::1]:9092"));
	cr_assert_not_null(kafka_check_brokers("h1:9092\nx=y"));
}
