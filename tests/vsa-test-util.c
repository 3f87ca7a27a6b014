/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-test-util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static gboolean
tick_cb (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

guint
vsa_test_timeout_multiplier (void)
{
  const char *value = g_getenv ("VSA_TEST_TIMEOUT_MULTIPLIER");
  guint64 multiplier = 1;

  if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 1, 1000, &multiplier, NULL))
    multiplier = 1;
  return (guint) multiplier;
}

gboolean
vsa_test_wait_until (VsaTestDoneFunc done, gpointer user_data, guint timeout_ms)
{
  gint64 deadline
      = g_get_monotonic_time () + (gint64) timeout_ms * vsa_test_timeout_multiplier () * 1000;

  while (!done (user_data))
    {
      g_autoptr (GSource) tick = NULL;

      if (g_get_monotonic_time () >= deadline)
        return FALSE;
      /* A tick so that a blocking iteration wakes up to check the clock and done(). */
      tick = g_timeout_source_new (50);
      g_source_set_callback (tick, tick_cb, NULL, NULL);
      g_source_attach (tick, g_main_context_get_thread_default ());
      g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
      g_source_destroy (tick);
    }
  return TRUE;
}

gboolean
vsa_test_skipped_under_valgrind (void)
{
  if (vsa_test_timeout_multiplier () == 1)
    return FALSE;
  g_test_skip ("not under valgrind");
  return TRUE;
}

gboolean
vsa_test_flag_is_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
vsa_test_log_watch_note (const char *domain, GLogLevelFlags level, const char *message,
                         gpointer data)
{
  VsaTestLogWatch *watch = data;

  if (strstr (message, watch->needle) != NULL)
    watch->seen = TRUE;
}

void
vsa_test_log_watch_start (VsaTestLogWatch *watch, const char *needle)
{
  watch->needle = needle;
  watch->seen = FALSE;
  watch->handler = g_log_set_handler ("vsa", G_LOG_LEVEL_DEBUG, vsa_test_log_watch_note, watch);
}

void
vsa_test_log_watch_stop (VsaTestLogWatch *watch)
{
  if (watch->handler != 0)
    g_log_remove_handler ("vsa", watch->handler);
  watch->handler = 0;
}

typedef struct
{
  GBytes *body;
  GError *error;
  gboolean done;
} HttpFetch;

static void
on_http_fetched (GObject *source, GAsyncResult *result, gpointer data)
{
  HttpFetch *fetch = data;

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &fetch->error);
  fetch->done = TRUE;
}

char *
vsa_test_http_send (SoupSession *session, SoupMessage *message, guint timeout_ms)
{
  HttpFetch fetch = { 0 };
  char *text;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, on_http_fetched,
                                    &fetch);
  g_assert_true (vsa_test_wait_until (vsa_test_flag_is_set, &fetch.done, timeout_ms));
  g_assert_no_error (fetch.error);
  text = g_strndup (g_bytes_get_data (fetch.body, NULL), g_bytes_get_size (fetch.body));
  g_bytes_unref (fetch.body);
  return text;
}

static void
child_setup (gpointer user_data)
{
  /* No orphans if the test dies without its teardown. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocess *
vsa_test_spawn (const char *const *argv, const VsaTestEnv *env, const char *log_path,
                GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *command = g_strjoinv (" ", (char **) argv);

  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  for (gsize i = 0; env != NULL && env[i].name != NULL; i++)
    g_subprocess_launcher_setenv (launcher, env[i].name, env[i].value, TRUE);
  if (log_path != NULL)
    {
      g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDERR_MERGE);
      g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
    }
  else
    {
      int fd = dup (STDERR_FILENO);

      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "dup: %s",
                       g_strerror (errno));
          return NULL;
        }
      g_subprocess_launcher_take_stdout_fd (launcher, fd);
    }
  g_test_message ("starting: %s", command);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

static void
wait_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

gboolean
vsa_test_process_wait (GSubprocess *process, guint timeout_ms)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  gboolean exited = FALSE;

  g_subprocess_wait_async (process, cancellable, wait_cb, &exited);
  if (!vsa_test_wait_until (vsa_test_flag_is_set, &exited, timeout_ms))
    {
      g_cancellable_cancel (cancellable);
      /* The cancelled wait still calls back; &exited must outlive it. */
      vsa_test_wait_until (vsa_test_flag_is_set, &exited, 1000);
      return FALSE;
    }
  return TRUE;
}

gboolean
vsa_test_process_is_running (GSubprocess *process)
{
  return g_subprocess_get_identifier (process) != NULL;
}

void
vsa_test_process_stop (GSubprocess *process, guint timeout_ms)
{
  if (process == NULL || !vsa_test_process_is_running (process))
    return;
  g_subprocess_send_signal (process, SIGTERM);
  if (vsa_test_process_wait (process, timeout_ms))
    return;
  g_test_message ("%s did not stop on SIGTERM, killing it", g_subprocess_get_identifier (process));
  g_subprocess_force_exit (process);
  vsa_test_process_wait (process, 2000);
}

gboolean
vsa_test_run (const char *const *argv, guint timeout_ms, GError **error)
{
  g_autoptr (GSubprocess) process = vsa_test_spawn (argv, NULL, NULL, error);

  if (process == NULL)
    return FALSE;
  if (!vsa_test_process_wait (process, timeout_ms))
    {
      vsa_test_process_stop (process, 1000);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "%s did not finish in %u ms", argv[0],
                   timeout_ms);
      return FALSE;
    }
  return g_spawn_check_wait_status (g_subprocess_get_status (process), error);
}

void
vsa_test_xvfb_free (VsaTestXvfb *self)
{
  if (self == NULL)
    return;
  vsa_test_process_stop (self->process, 5000);
  g_clear_object (&self->process);
  g_free (self->display);
  g_free (self);
}

typedef struct
{
  GSubprocess *process;
  const char *socket;
} XvfbStart;

static gboolean
xvfb_ready_or_dead (gpointer user_data)
{
  XvfbStart *start = user_data;

  return g_file_test (start->socket, G_FILE_TEST_EXISTS)
         || !vsa_test_process_is_running (start->process);
}

static gboolean
xvfb_display_taken (guint number)
{
  g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%u", number);
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%u-lock", number);

  return g_file_test (socket, G_FILE_TEST_EXISTS) || g_file_test (lock, G_FILE_TEST_EXISTS);
}

guint
vsa_test_xvfb_free_display (guint first)
{
  guint number = first;

  while (number < first + 50 && xvfb_display_taken (number))
    number++;
  return number;
}

/* extra_args (NULL-terminated, may be NULL) go after the usual ones. */
static VsaTestXvfb *
xvfb_start_on (guint number, guint width, guint height, const char *const *extra_args,
               GError **error)
{
  g_autofree char *screen = g_strdup_printf ("%ux%ux24", width, height);
  g_autofree char *display = g_strdup_printf (":%u", number);
  g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%u", number);
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%u-lock", number);
  const char *usual[]
      = { "Xvfb", display, "-screen", "0", screen, "-nolisten", "tcp", "-noreset", NULL };
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (VsaTestXvfb) xvfb = NULL;
  XvfbStart start = { NULL, socket };

  if (xvfb_display_taken (number))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "display %s is in use", display);
      return NULL;
    }
  xvfb = g_new0 (VsaTestXvfb, 1);
  xvfb->display = g_steal_pointer (&display);
  xvfb->number = number;
  for (gsize i = 0; usual[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) usual[i]);
  for (gsize i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) extra_args[i]);
  g_ptr_array_add (argv, NULL);
  xvfb->process = vsa_test_spawn ((const char *const *) argv->pdata, NULL, NULL, error);
  if (xvfb->process == NULL)
    return NULL;
  start.process = xvfb->process;
  if (!vsa_test_wait_until (xvfb_ready_or_dead, &start, 10000))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Xvfb %s: no %s after 10 s",
                   xvfb->display, socket);
      return NULL;
    }
  if (!vsa_test_process_is_running (xvfb->process))
    {
      /* Lost a race for this display with someone else. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Xvfb %s exited at start", xvfb->display);
      return NULL;
    }
  /* The socket may be the winner's while ours has yet to see the lock and exit: the lock
   * file holds the pid of the server that has the display. */
  {
    g_autofree char *contents = NULL;
    const char *pid = g_subprocess_get_identifier (xvfb->process);

    if (!g_file_get_contents (lock, &contents, NULL, NULL) || pid == NULL
        || g_ascii_strtoll (g_strstrip (contents), NULL, 10) != g_ascii_strtoll (pid, NULL, 10))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Xvfb %s lost the display at start",
                     xvfb->display);
        return NULL;
      }
  }
  return g_steal_pointer (&xvfb);
}

VsaTestXvfb *
vsa_test_xvfb_start_on (guint number, guint width, guint height, GError **error)
{
  return xvfb_start_on (number, width, height, NULL, error);
}

VsaTestXvfb *
vsa_test_xvfb_start (guint width, guint height, GError **error)
{
  return vsa_test_xvfb_start_with (width, height, NULL, error);
}

VsaTestXvfb *
vsa_test_xvfb_start_with (guint width, guint height, const char *const *extra_args, GError **error)
{
  for (guint n = 99; n < 140; n++)
    {
      g_autoptr (GError) local_error = NULL;
      VsaTestXvfb *xvfb = xvfb_start_on (n, width, height, extra_args, &local_error);

      if (xvfb != NULL)
        return xvfb;
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Xvfb: no free display");
  return NULL;
}

typedef struct
{
  char *socket;
  char *lock;
} XvfbFiles;

static gboolean
xvfb_files_gone (gpointer user_data)
{
  XvfbFiles *files = user_data;

  return !g_file_test (files->socket, G_FILE_TEST_EXISTS)
         && !g_file_test (files->lock, G_FILE_TEST_EXISTS);
}

gboolean
vsa_test_xvfb_stop (VsaTestXvfb *self, GError **error)
{
  g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%u", self->number);
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%u-lock", self->number);
  XvfbFiles files = { socket, lock };

  vsa_test_process_stop (self->process, 5000);
  if (!vsa_test_wait_until (xvfb_files_gone, &files, 5000))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Xvfb %s: %s or %s still there",
                   self->display, socket, lock);
      return FALSE;
    }
  return TRUE;
}

gboolean
vsa_test_xvfb_set_color (VsaTestXvfb *self, const char *color, GError **error)
{
  const char *argv[] = { "xsetroot", "-display", self->display, "-solid", color, NULL };

  return vsa_test_run (argv, 10000, error);
}

/* --- xclip ------------------------------------------------------------------------------ */

typedef struct
{
  gboolean done;
  char *out;
  gboolean ok;
} XclipOutput;

static void
on_xclip_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  XclipOutput *output = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = NULL;

  /* bytes, not UTF-8: STRING is Latin-1 */
  output->ok = g_subprocess_communicate_finish (process, result, &out, NULL, &error)
               && g_subprocess_get_if_exited (process)
               && g_subprocess_get_exit_status (process) == 0;
  if (out != NULL)
    output->out = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  if (error != NULL)
    g_test_message ("xclip: %s", error->message);
  output->done = TRUE;
}

char *
vsa_test_xclip_output (const char *display, const char *const *args, guint timeout_ms)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  XclipOutput output = { 0 };

  g_ptr_array_add (argv, (gpointer) "xclip");
  g_ptr_array_add (argv, (gpointer) "-o");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_async (process, NULL, cancellable, on_xclip_communicated, &output);
  if (!vsa_test_wait_until (vsa_test_flag_is_set, &output.done, timeout_ms))
    {
      g_subprocess_force_exit (process);
      g_cancellable_cancel (cancellable);
      vsa_test_wait_until (vsa_test_flag_is_set, &output.done, timeout_ms);
      g_test_message ("xclip -o did not finish within %d ms", timeout_ms);
    }
  if (!output.ok)
    g_clear_pointer (&output.out, g_free);
  return output.out;
}

GSubprocess *
vsa_test_xclip_copy (const char *display, const char *target, const char *content, gsize length)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  const char *argv[] = { "xclip", "-quiet", "-i", "-selection", "clipboard", NULL, NULL, NULL };
  g_autoptr (GError) error = NULL;
  GSubprocess *process;
  GOutputStream *in;

  if (target != NULL)
    {
      argv[5] = "-t";
      argv[6] = target;
    }
  g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  /* -quiet: in the foreground, so that it is the caller's to stop */
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  in = g_subprocess_get_stdin_pipe (process);
  g_output_stream_write_all (in, content, length, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (in, NULL, &error);
  g_assert_no_error (error);
  return process;
}
