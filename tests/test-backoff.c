/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for vsa-backoff: exponential backoff with jitter. */

#include <glib.h>

#include "vsa-backoff.h"

#define BASE_MS 250
#define MAX_MS 5000

/* The upper end of the n-th delay's range: min (max, base * 2^n). */
static guint
ceiling_for (guint n)
{
  guint64 d = BASE_MS;

  for (guint i = 0; i < n && d < MAX_MS; i++)
    d *= 2;
  return (guint) MIN (d, (guint64) MAX_MS);
}

static void
test_init (void)
{
  VsaBackoff b;

  vsa_backoff_init (&b, BASE_MS, MAX_MS);
  g_assert_cmpuint (b.base_ms, ==, BASE_MS);
  g_assert_cmpuint (b.max_ms, ==, MAX_MS);
  g_assert_cmpuint (b.attempt, ==, 0);
}

static void
test_ranges (void)
{
  for (guint32 seed = 1; seed <= 50; seed++)
    {
      g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
      VsaBackoff b;

      vsa_backoff_init (&b, BASE_MS, MAX_MS);
      for (guint n = 0; n < 12; n++)
        {
          guint d = ceiling_for (n);
          guint delay = vsa_backoff_next_ms (&b, rand);

          if (delay < d / 2 || delay > d)
            g_test_message ("seed %u attempt %u: %u not in [%u, %u]", seed, n, delay, d / 2, d);
          g_assert_cmpuint (delay, >=, d / 2);
          g_assert_cmpuint (delay, <=, d);
        }
    }
}

static void
test_cap (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  VsaBackoff b;

  vsa_backoff_init (&b, BASE_MS, MAX_MS);
  for (guint n = 0; n < 100; n++)
    {
      guint delay = vsa_backoff_next_ms (&b, rand);

      g_assert_cmpuint (delay, <=, MAX_MS);
      /* From the 5th attempt on (250 * 2^5 > 5000) the range is [2500, 5000]. */
      if (n >= 5)
        g_assert_cmpuint (delay, >=, MAX_MS / 2);
    }
  /* Far past the point where base * 2^n overflows 32 and 64 bits. */
  for (guint n = 0; n < 1000; n++)
    {
      guint delay = vsa_backoff_next_ms (&b, rand);

      g_assert_cmpuint (delay, >=, MAX_MS / 2);
      g_assert_cmpuint (delay, <=, MAX_MS);
    }
}

static int
compare_uint (gconstpointer a, gconstpointer b, gpointer user_data)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* The median of @count delays drawn at attempt @n, each from a fresh backoff. */
static guint
median_at (guint n, guint count, GRand *rand)
{
  g_autofree guint *draws = g_new0 (guint, count);

  for (guint i = 0; i < count; i++)
    {
      VsaBackoff b;

      vsa_backoff_init (&b, BASE_MS, MAX_MS);
      for (guint k = 0; k < n; k++)
        vsa_backoff_next_ms (&b, rand);
      draws[i] = vsa_backoff_next_ms (&b, rand);
    }
  g_qsort_with_data (draws, count, sizeof (guint), (GCompareDataFunc) compare_uint, NULL);
  return draws[count / 2];
}

static void
test_grows (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  guint m0 = median_at (0, 501, rand);
  guint m1 = median_at (1, 501, rand);
  guint m3 = median_at (3, 501, rand);

  g_test_message ("medians: n=0 %u, n=1 %u, n=3 %u", m0, m1, m3);
  g_assert_cmpuint (m3, >, m0);
  g_assert_cmpuint (m1, >, m0);
  g_assert_cmpuint (m3, >, m1);
}

/* Jitter: the delays are spread over the range, not all the same value. */
static void
test_jitter (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (99);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint lowest = G_MAXUINT;
  guint highest = 0;

  for (guint i = 0; i < 200; i++)
    {
      VsaBackoff b;
      guint delay;

      vsa_backoff_init (&b, BASE_MS, MAX_MS);
      delay = vsa_backoff_next_ms (&b, rand);
      g_hash_table_add (seen, GUINT_TO_POINTER (delay));
      lowest = MIN (lowest, delay);
      highest = MAX (highest, delay);
    }
  g_test_message ("n=0: %u distinct values in [%u, %u]", g_hash_table_size (seen), lowest, highest);
  g_assert_cmpuint (g_hash_table_size (seen), >, 10);
  /* Both halves of [125, 250] are used. */
  g_assert_cmpuint (lowest, <, 188);
  g_assert_cmpuint (highest, >, 188);
}

/* The delays depend only on the GRand passed in. */
static void
test_deterministic (void)
{
  g_autoptr (GRand) rand_a = g_rand_new_with_seed (1234);
  g_autoptr (GRand) rand_b = g_rand_new_with_seed (1234);
  VsaBackoff a, b;

  vsa_backoff_init (&a, BASE_MS, MAX_MS);
  vsa_backoff_init (&b, BASE_MS, MAX_MS);
  for (guint n = 0; n < 20; n++)
    g_assert_cmpuint (vsa_backoff_next_ms (&a, rand_a), ==, vsa_backoff_next_ms (&b, rand_b));
}

static void
test_reset (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);
  VsaBackoff b;
  guint delay;

  vsa_backoff_init (&b, BASE_MS, MAX_MS);
  for (guint n = 0; n < 10; n++)
    vsa_backoff_next_ms (&b, rand);
  delay = vsa_backoff_next_ms (&b, rand);
  g_assert_cmpuint (delay, >=, MAX_MS / 2);

  vsa_backoff_reset (&b);
  g_assert_cmpuint (b.attempt, ==, 0);
  delay = vsa_backoff_next_ms (&b, rand);
  g_assert_cmpuint (delay, >=, BASE_MS / 2);
  g_assert_cmpuint (delay, <=, BASE_MS);
  delay = vsa_backoff_next_ms (&b, rand);
  g_assert_cmpuint (delay, >=, BASE_MS);
  g_assert_cmpuint (delay, <=, 2 * BASE_MS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vsa/backoff/init", test_init);
  g_test_add_func ("/vsa/backoff/ranges", test_ranges);
  g_test_add_func ("/vsa/backoff/cap", test_cap);
  g_test_add_func ("/vsa/backoff/grows", test_grows);
  g_test_add_func ("/vsa/backoff/jitter", test_jitter);
  g_test_add_func ("/vsa/backoff/deterministic", test_deterministic);
  g_test_add_func ("/vsa/backoff/reset", test_reset);

  return g_test_run ();
}
