/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-process: the warm-up ahead of the first session, and the heap given back after
 * one. */
#include "vsa-process.h"
#include "vsa-test-util.h"

#include <gst/gst.h>
#include <stdio.h>
#include <string.h>

/* The warm-up loads libsrtp in the process (what the first session would wait for);
 * it can be started again after its wait. */
static void
test_prepare (void)
{
  g_autoptr (GstPlugin) srtp = NULL;

  vsa_process_prepare ();
  vsa_process_prepare (); /* a second call while it runs starts nothing more */
  vsa_process_prepare_wait ();
  srtp = gst_registry_find_plugin (gst_registry_get (), "srtp");
  if (srtp == NULL)
    {
      g_test_skip ("no srtp plugin");
      return;
    }
  g_assert_true (gst_plugin_is_loaded (srtp));
  vsa_process_prepare ();
  vsa_process_prepare_wait ();
  vsa_process_prepare_wait (); /* nothing to wait for */
}

static guint64
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
}

typedef struct
{
  guint64 limit_kb;
} RssWait;

static gboolean
rss_under (gpointer data)
{
  RssWait *wait = data;

  return rss_kb () < wait->limit_kb;
}

#define CHUNKS 100000
#define CHUNK_SIZE 256

/* Small blocks freed around a few survivors stay in the process (free() returns only the
 * heap's top); the release gives their pages back once the main loop is idle. */
static void
test_release_memory (void)
{
  g_autoptr (GPtrArray) kept = g_ptr_array_new_with_free_func (g_free);
  char **chunks;
  guint64 freed_kb;
  RssWait wait;

  /* valgrind's and ASan's allocators are not glibc's: malloc_trim has nothing to do there */
  if (vsa_test_skipped_under_valgrind ())
    return;
  if (g_getenv ("VSA_TEST_SANITIZED") != NULL)
    {
      g_test_skip ("ASan's allocator, not glibc's");
      return;
    }
  vsa_process_init_heap ();
  chunks = g_new (char *, CHUNKS);
  for (guint i = 0; i < CHUNKS; i++)
    {
      chunks[i] = g_malloc (CHUNK_SIZE);
      memset (chunks[i], 1, CHUNK_SIZE);
    }
  for (guint i = 0; i < CHUNKS; i++)
    if (i % 64 == 63)
      g_ptr_array_add (kept, chunks[i]);
    else
      g_free (chunks[i]);
  g_free (chunks);
  freed_kb = rss_kb ();
  wait.limit_kb = freed_kb - 8 * 1024;
  vsa_process_release_memory_soon ();
  g_assert_true (vsa_test_wait_until (rss_under, &wait, 5000));
  g_test_message ("RSS after the frees %" G_GUINT64_FORMAT
                  " kB, after the release %" G_GUINT64_FORMAT " kB",
                  freed_kb, rss_kb ());
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/process/prepare", test_prepare);
  g_test_add_func ("/vsa/process/release-memory", test_release_memory);
  return g_test_run ();
}
