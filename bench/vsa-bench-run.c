/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The benchmarks' processes: see vsa-bench-run.h. */

#include "vsa-bench-run.h"

#include <math.h>

#include "vsa-test-browser.h"
#include "vsa-test-util.h"

#include <string.h>
#include <unistd.h>

void
vsa_bench_stop_process (GSubprocess **process, const char *log, gboolean failed)
{
  if (*process == NULL)
    return;
  vsa_test_process_stop (*process, 5000);
  if (failed && log != NULL)
    vsa_test_print_log_tail (log, 3000);
  g_clear_object (process);
}

/* utime + stime of every thread of pid, in clock ticks. */
static gboolean
read_cpu_ticks (const char *pid, gint64 *ticks)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after_name;

  if (!g_file_get_contents (path, &contents, NULL, NULL)
      || (after_name = strrchr (contents, ')')) == NULL)
    return FALSE;
  /* After "pid (comm)": state is field 3; utime and stime are fields 14 and 15. */
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return FALSE;
  *ticks = g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10);
  return TRUE;
}

/* A field of /proc/PID/status in kB, or -1. */
static gint64
status_kb (const char *contents, const char *field)
{
  g_autofree char *key = g_strdup_printf ("\n%s:", field);
  const char *line = strstr (contents, key);

  return line != NULL ? g_ascii_strtoll (line + strlen (key), NULL, 10) : -1;
}

/* VmRSS of pid and its split, in kB; all -1 when pid is gone. */
typedef struct
{
  gint64 rss, anon, file, shmem;
} Rss;

static Rss
read_rss_kb (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", pid);
  g_autofree char *contents = NULL;
  Rss rss = { -1, -1, -1, -1 };

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return rss;
  rss.rss = status_kb (contents, "VmRSS");
  rss.anon = status_kb (contents, "RssAnon");
  rss.file = status_kb (contents, "RssFile");
  rss.shmem = status_kb (contents, "RssShmem");
  return rss;
}

typedef struct
{
  GSubprocess *process;
  gint64 end_us;
  gint64 next_sample_us;
  Rss peak; /* the sample with the highest VmRSS */
} Sampling;

/* Samples RSS every 100 ms until the window ends or the process is gone. */
static gboolean
sample (gpointer user_data)
{
  Sampling *sampling = user_data;
  gint64 now = g_get_monotonic_time ();

  if (!vsa_test_process_is_running (sampling->process))
    return TRUE;
  if (now >= sampling->next_sample_us)
    {
      Rss rss = read_rss_kb (g_subprocess_get_identifier (sampling->process));

      if (rss.rss > sampling->peak.rss)
        sampling->peak = rss;
      sampling->next_sample_us = now + 100 * 1000;
    }
  return now >= sampling->end_us;
}

gboolean
vsa_bench_measure_usage (GSubprocess *process, const char *what, guint seconds,
                         VsaBenchUsage *usage, GError **error)
{
  g_autofree char *pid = g_strdup (g_subprocess_get_identifier (process));
  gint64 start_us = g_get_monotonic_time ();
  Sampling sampling = { process, start_us + (gint64) seconds * G_USEC_PER_SEC, 0, { 0 } };
  gint64 start_ticks = 0, end_ticks = 0;

  if (pid == NULL || !read_cpu_ticks (pid, &start_ticks))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s is not running", what);
      return FALSE;
    }
  vsa_test_wait_until (sample, &sampling, (seconds + 5) * 1000);
  if (!read_cpu_ticks (pid, &end_ticks) || !vsa_test_process_is_running (process))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s exited while measured", what);
      return FALSE;
    }
  usage->cpu_percent = 100.0 * (end_ticks - start_ticks) / sysconf (_SC_CLK_TCK)
                       / ((g_get_monotonic_time () - start_us) / 1e6);
  usage->peak_rss_mb = sampling.peak.rss / 1024.0;
  usage->anon_mb = sampling.peak.anon / 1024.0;
  usage->file_mb = sampling.peak.file / 1024.0;
  usage->shmem_mb = sampling.peak.shmem / 1024.0;
  return TRUE;
}

static gboolean
time_reached (gpointer user_data)
{
  return g_get_monotonic_time () >= *(gint64 *) user_data;
}

void
vsa_bench_pause (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  vsa_test_wait_until (time_reached, &end, ms + 1000);
}

typedef struct
{
  VsaTestController *controller;
  GSubprocess *agent;
  guint polls_before;
} PollWait;

static gboolean
agent_polled (gpointer user_data)
{
  PollWait *wait = user_data;

  return vsa_test_controller_get_request_count (wait->controller, "GET", "/offer")
             > wait->polls_before
         || !vsa_test_process_is_running (wait->agent);
}

GSubprocess *
vsa_bench_start_agent (VsaTestController *controller, const char *const *argv, const char *log,
                       GError **error)
{
  PollWait wait
      = { controller, NULL, vsa_test_controller_get_request_count (controller, "GET", "/offer") };
  g_autoptr (GSubprocess) agent = vsa_test_spawn (argv, NULL, log, error);

  if (agent == NULL)
    return NULL;
  wait.agent = agent;
  if (!vsa_test_wait_until (agent_polled, &wait, 10000) || !vsa_test_process_is_running (agent))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "the agent did not poll for an offer within 10 s");
      vsa_bench_stop_process (&agent, log, TRUE);
      return NULL;
    }
  return g_steal_pointer (&agent);
}

JsonObject *
vsa_bench_json_object (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
vsa_bench_json_array (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

double
vsa_bench_json_double (JsonObject *object, const char *name)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, name) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_double (node) : NAN;
}

guint
vsa_bench_json_length (JsonArray *array)
{
  return array != NULL ? json_array_get_length (array) : 0;
}
