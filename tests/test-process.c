/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-process: the warm-up ahead of the first session, the heap given back after one,
 * and the agent binary registering only the GStreamer plugins it uses. */
#define _GNU_SOURCE /* memmem */
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

/* --- the plugins: only the agent's own ------------------------------------------------- */

static gboolean
logged_waiting (gpointer data)
{
  g_autofree char *text = NULL;

  return g_file_get_contents (data, &text, NULL, NULL)
         && strstr (text, "waiting for an offer") != NULL;
}

/* Runs the agent binary with XDG_CACHE_HOME=cache until it waits for an offer (it polls
 * a closed port meanwhile); log_path gets its output. */
static void
run_agent_until_waiting (const char *cache, const char *log_path)
{
  const char *argv[] = { g_getenv ("VSA_AGENT_BIN"), "--session-id=plugins",
                         "--controller-url=http://127.0.0.1:9", "--source=test", NULL };
  const VsaTestEnv env[] = { { "XDG_CACHE_HOME", cache }, { NULL, NULL } };
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) agent = vsa_test_spawn (argv, env, log_path, &error);
  gboolean waiting;

  g_assert_no_error (error);
  waiting = vsa_test_wait_until (logged_waiting, (gpointer) log_path, 30000);
  vsa_test_process_stop (agent, 5000);
  g_assert_true (waiting);
}

static gboolean
file_has (const char *path, const char *text)
{
  g_autofree char *contents = NULL;
  gsize length;

  return g_file_get_contents (path, &contents, &length, NULL)
         && memmem (contents, length, text, strlen (text)) != NULL;
}

/* The agent's registry, in its cache directory, has webrtcbin and the encoders but none
 * of the other installed plugins' elements (playbin, from the same package as
 * videoconvert); where that directory cannot be made, the agent starts all the same. */
static void
test_plugins (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("vsa-test-plugins-XXXXXX", &error);
  g_autofree char *log_path = g_build_filename (dir, "agent.log", NULL);
  g_autofree char *registry
      = g_build_filename (dir, "vm-stream-agent", "gstreamer-registry.bin", NULL);
  g_autofree char *link
      = g_build_filename (dir, "vm-stream-agent", "gst-plugins", "libgstwebrtc.so", NULL);
  const char *rm[] = { "rm", "-rf", dir, NULL };

  g_assert_no_error (error);
  if (g_getenv ("GST_PLUGIN_SYSTEM_PATH_1_0") != NULL || g_getenv ("GST_PLUGIN_SYSTEM_PATH") != NULL
      || g_getenv ("GST_REGISTRY_1_0") != NULL || g_getenv ("GST_REGISTRY") != NULL)
    {
      g_test_skip ("GStreamer's plugin path or registry set in this environment");
      return;
    }
  run_agent_until_waiting (dir, log_path);
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (file_has (registry, "webrtcbin"));
  g_assert_true (file_has (registry, "nicesrc"));
  g_assert_true (file_has (registry, "sctpenc"));
  g_assert_true (file_has (registry, "videoconvert"));
  g_assert_false (file_has (registry, "playbin"));

  /* XDG_CACHE_HOME a file (the log): no directory under it */
  run_agent_until_waiting (log_path, log_path);
  g_assert_true (vsa_test_run (rm, 10000, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/process/prepare", test_prepare);
  g_test_add_func ("/vsa/process/release-memory", test_release_memory);
  g_test_add_func ("/vsa/process/plugins", test_plugins);
  return g_test_run ();
}
