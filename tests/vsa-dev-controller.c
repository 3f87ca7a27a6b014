/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The demo's controller: the fake controller serving the viewer page until SIGINT or
 * SIGTERM. Exits 2 when it cannot listen. On SIGUSR1 it prints how many offer polls it
 * has served (bench/poll-cost); with --log-polls, a line when the first GET of an offer
 * arrives and one for each later (tests/test-image waits for them: the first poll after a
 * boot or a restart). */

#include "vsa-test-controller.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <stdio.h>

/* Every 10 ms: the wall-clock time, to the millisecond, of the GETs of .../offer that
 * arrived since (several within 10 ms make one line). */
static gboolean
log_polls_cb (gpointer user_data)
{
  VsaTestController *controller = user_data;
  static guint logged;
  guint polls = vsa_test_controller_get_request_count (controller, "GET", "/offer");

  if (polls == logged)
    return G_SOURCE_CONTINUE;
  g_print ("%soffer poll at %" G_GINT64_FORMAT " ms\n", logged == 0 ? "first " : "",
           g_get_real_time () / 1000);
  fflush (stdout);
  logged = polls;
  return G_SOURCE_CONTINUE;
}

static gboolean
print_polls_cb (gpointer user_data)
{
  g_print ("offer polls: %u\n", vsa_test_controller_get_request_count (user_data, "GET", "/offer"));
  fflush (stdout);
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *address = g_strdup ("127.0.0.1");
  int port = 8080;
  g_autofree char *viewer_dir = g_strdup (g_getenv ("VSA_VIEWER_DIR"));
  gboolean log_polls = FALSE;
  const GOptionEntry entries[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, "Address to listen on", "ADDRESS" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Port to listen on (0: any free port)", "PORT" },
    { "viewer-dir", 0, 0, G_OPTION_ARG_FILENAME, &viewer_dir,
      "Directory of the viewer page (default: $VSA_VIEWER_DIR, else data/viewer)", "DIR" },
    { "log-polls", 0, 0, G_OPTION_ARG_NONE, &log_polls, "Print a line when an offer poll arrives",
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("- fake controller for the demo");
  g_autoptr (GError) error = NULL;
  g_autoptr (VsaTestController) controller = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autofree char *index = NULL;
  g_autofree char *url = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("vsa-dev-controller: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > G_MAXUINT16)
    {
      g_printerr ("vsa-dev-controller: invalid port %d\n", port);
      return 2;
    }
  if (viewer_dir == NULL)
    viewer_dir = g_strdup ("data/viewer");
  index = g_build_filename (viewer_dir, "index.html", NULL);
  if (!g_file_test (index, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("vsa-dev-controller: no viewer page at %s (use --viewer-dir)\n", index);
      return 2;
    }

  controller = vsa_test_controller_new (address, port, viewer_dir, &error);
  if (controller == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE))
        g_printerr ("vsa-dev-controller: %s port %d is already in use\n", address, port);
      else
        g_printerr ("vsa-dev-controller: cannot listen on %s port %d: %s\n", address, port,
                    error->message);
      return 2;
    }

  url = vsa_test_controller_get_url (controller);
  g_print ("viewer: %s/?session=demo\n", url);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  if (log_polls)
    g_timeout_add (10, log_polls_cb, controller);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGUSR1, print_polls_cb, controller);
  g_main_loop_run (loop);
  return 0;
}
