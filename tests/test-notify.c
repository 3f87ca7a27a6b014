/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-notify: the sd_notify protocol's pieces, its messages on a socket standing in for
 * systemd's, and (/vsa/notify/agent/, integration) the agent binary under that fake
 * service manager: ready at once, status on every change, watchdog pings, stopping. */
#include <gio/gunixcredentialsmessage.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsa-notify.h"
#include "vsa-test-controller.h"
#include "vsa-test-peer.h"
#include "vsa-test-util.h"

#define SESSION "notify"
#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=120,clock-rate=90000"
/* As the agent tests ask of systemd: pings every 100 ms. */
#define WATCHDOG_USEC 200000

/* --- the pieces -------------------------------------------------------------------------- */

static void
test_watchdog_usec (void)
{
  static const struct
  {
    const char *usec;
    const char *pid;
    pid_t self;
    gboolean valid;
    guint64 expected;
  } cases[] = {
    { NULL, NULL, 10, TRUE, 0 },
    { "30000000", NULL, 10, TRUE, 30000000 },
    { "200000", "10", 10, TRUE, 200000 },
    { "200000", "11", 10, TRUE, 0 }, /* another process's watchdog */
    { NULL, "10", 10, TRUE, 0 },
    { "0", NULL, 10, FALSE, 0 },
    { "", NULL, 10, FALSE, 0 },
    { "-5", NULL, 10, FALSE, 0 },
    { "5s", NULL, 10, FALSE, 0 },
    { " 5", NULL, 10, FALSE, 0 },
    { "99999999999999999999999", NULL, 10, FALSE, 0 },
    { "200000", "ten", 10, FALSE, 0 },
    { "200000", "0", 10, FALSE, 0 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      guint64 usec = 42;
      gboolean valid
          = vsa_notify_parse_watchdog (cases[i].usec, cases[i].pid, cases[i].self, &usec, &error);

      g_test_message ("WATCHDOG_USEC=%s WATCHDOG_PID=%s", cases[i].usec, cases[i].pid);
      g_assert_cmpint (valid, ==, cases[i].valid);
      g_assert_true (valid == (error == NULL));
      g_assert_cmpuint (usec, ==, cases[i].expected);
    }
}

static void
test_address (void)
{
  g_autofree char *long_path = g_strnfill (120, 'x');
  static const struct
  {
    const char *value;
    GUnixSocketAddressType type; /* G_UNIX_SOCKET_ADDRESS_INVALID: refused */
    const char *path;
  } cases[] = {
    { "/run/systemd/notify", G_UNIX_SOCKET_ADDRESS_PATH, "/run/systemd/notify" },
    { "@/org/freedesktop/systemd1/notify/123", G_UNIX_SOCKET_ADDRESS_ABSTRACT,
      "/org/freedesktop/systemd1/notify/123" },
    { "", G_UNIX_SOCKET_ADDRESS_INVALID, NULL },
    { "@", G_UNIX_SOCKET_ADDRESS_INVALID, NULL },
    { "/", G_UNIX_SOCKET_ADDRESS_INVALID, NULL },
    { "notify", G_UNIX_SOCKET_ADDRESS_INVALID, NULL },
    { "vsock:2:1234", G_UNIX_SOCKET_ADDRESS_INVALID, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocketAddress) address = vsa_notify_parse_address (cases[i].value, &error);

      g_test_message ("NOTIFY_SOCKET=%s", cases[i].value);
      if (cases[i].type == G_UNIX_SOCKET_ADDRESS_INVALID)
        {
          g_assert_null (address);
          g_assert_nonnull (error);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpint (g_unix_socket_address_get_address_type (G_UNIX_SOCKET_ADDRESS (address)), ==,
                       cases[i].type);
      g_assert_cmpstr (g_unix_socket_address_get_path (G_UNIX_SOCKET_ADDRESS (address)), ==,
                       cases[i].path);
    }

  /* longer than sun_path holds, as a path and as an abstract name */
  long_path[0] = '/';
  g_assert_null (vsa_notify_parse_address (long_path, NULL));
  long_path[0] = '@';
  g_assert_null (vsa_notify_parse_address (long_path, NULL));
}

static void
test_status_format (void)
{
  g_autofree char *plain = vsa_notify_format_status ("streaming 1280x720 H264 30 fps");
  g_autofree char *lines = vsa_notify_format_status ("ended: a\nREADY=1\n");

  g_assert_cmpstr (plain, ==, "STATUS=streaming 1280x720 H264 30 fps");
  /* a newline would start a field of its own */
  g_assert_cmpstr (lines, ==, "STATUS=ended: a READY=1 ");
}

/* No NOTIFY_SOCKET: a run from a terminal. Everything is a no-op. */
static void
test_disabled (void)
{
  const char *const envp[] = { "WATCHDOG_USEC=200000", "PATH=/usr/bin", NULL };
  g_autoptr (VsaNotify) notify = vsa_notify_new (envp);

  g_assert_false (vsa_notify_is_enabled (notify));
  g_assert_cmpuint (vsa_notify_get_watchdog_usec (notify), ==, 0);
  vsa_notify_start (notify);
  vsa_notify_status (notify, "waiting");
  vsa_notify_stopping (notify);
  /* nothing was attached to the loop */
  g_assert_false (g_main_context_iteration (NULL, FALSE));
}

/* --- a fake service manager ----------------------------------------------------------- */

typedef struct
{
  gint64 at_us; /* monotonic, when received */
  pid_t pid;    /* the sender's, from SCM_CREDENTIALS */
  char *line;
} Entry;

static void
entry_free (Entry *entry)
{
  g_free (entry->line);
  g_free (entry);
}

typedef struct
{
  char *dir;
  char *notify_socket; /* NOTIFY_SOCKET's value */
  GSocket *socket;
  GSource *source;
  GPtrArray *entries; /* Entry, one per line received */
} FakeManager;

static gboolean
on_datagram (GSocket *socket, GIOCondition condition, gpointer data)
{
  FakeManager *manager = data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      char buffer[4096];
      GInputVector vector = { buffer, sizeof buffer - 1 };
      GSocketControlMessage **messages = NULL;
      int n_messages = 0;
      pid_t pid = 0;
      gssize len;
      g_auto (GStrv) lines = NULL;

      len = g_socket_receive_message (socket, NULL, &vector, 1, &messages, &n_messages, NULL, NULL,
                                      &error);
      if (len < 0)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
          return G_SOURCE_CONTINUE;
        }
      for (int i = 0; i < n_messages; i++)
        {
          if (G_IS_UNIX_CREDENTIALS_MESSAGE (messages[i]))
            pid = g_credentials_get_unix_pid (g_unix_credentials_message_get_credentials (
                                                  G_UNIX_CREDENTIALS_MESSAGE (messages[i])),
                                              NULL);
          g_object_unref (messages[i]);
        }
      g_free (messages);
      buffer[len] = '\0';
      lines = g_strsplit (buffer, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          Entry *entry;

          if (lines[i][0] == '\0')
            continue;
          entry = g_new0 (Entry, 1);
          entry->at_us = g_get_monotonic_time ();
          entry->pid = pid;
          entry->line = g_strdup (lines[i]);
          if (!g_str_equal (entry->line, "WATCHDOG=1"))
            g_test_message ("notified: %s", entry->line);
          g_ptr_array_add (manager->entries, entry);
        }
    }
}

static FakeManager *
fake_manager_new (gboolean abstract)
{
  static guint counter;
  FakeManager *manager = g_new0 (FakeManager, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  if (abstract)
    {
      manager->notify_socket
          = g_strdup_printf ("@vsa-test-notify/%d/%u", (int) getpid (), counter++);
      address = g_unix_socket_address_new_with_type (manager->notify_socket + 1, -1,
                                                     G_UNIX_SOCKET_ADDRESS_ABSTRACT);
    }
  else
    {
      manager->dir = g_dir_make_tmp ("vsa-notify-XXXXXX", &error);
      g_assert_no_error (error);
      manager->notify_socket = g_build_filename (manager->dir, "notify", NULL);
      address = g_unix_socket_address_new (manager->notify_socket);
    }
  manager->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                                  G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (g_socket_bind (manager->socket, address, FALSE, &error));
  g_assert_no_error (error);
  /* What systemd does: the sender's pid comes with each datagram (NotifyAccess=main). */
  g_assert_true (g_socket_set_option (manager->socket, SOL_SOCKET, SO_PASSCRED, 1, &error));
  g_socket_set_blocking (manager->socket, FALSE);
  manager->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  manager->source = g_socket_create_source (manager->socket, G_IO_IN, NULL);
  g_source_set_callback (manager->source, (GSourceFunc) (void (*) (void)) on_datagram, manager,
                         NULL);
  g_source_attach (manager->source, NULL);
  return manager;
}

static void
fake_manager_free (FakeManager *manager)
{
  g_source_destroy (manager->source);
  g_source_unref (manager->source);
  g_object_unref (manager->socket);
  if (manager->dir != NULL)
    {
      g_unlink (manager->notify_socket);
      g_rmdir (manager->dir);
    }
  g_free (manager->dir);
  g_free (manager->notify_socket);
  g_ptr_array_unref (manager->entries);
  g_free (manager);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeManager, fake_manager_free)

/* The first entry from index from on whose line starts with prefix, or NULL. */
static Entry *
find_entry (FakeManager *manager, guint from, const char *prefix)
{
  for (guint i = from; i < manager->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (manager->entries, i);

      if (g_str_has_prefix (entry->line, prefix))
        return entry;
    }
  return NULL;
}

static guint
entry_index (FakeManager *manager, Entry *entry)
{
  guint index = 0;

  g_assert_true (g_ptr_array_find (manager->entries, entry, &index));
  return index;
}

static guint
count_entries (FakeManager *manager, const char *line)
{
  guint count = 0;

  for (guint i = 0; i < manager->entries->len; i++)
    count += g_str_equal (((Entry *) g_ptr_array_index (manager->entries, i))->line, line);
  return count;
}

typedef struct
{
  FakeManager *manager;
  guint from;
  const char *prefix;
  guint count; /* for entries_counted */
} EntryWait;

static gboolean
entry_arrived (gpointer data)
{
  EntryWait *wait = data;

  return find_entry (wait->manager, wait->from, wait->prefix) != NULL;
}

static gboolean
entries_counted (gpointer data)
{
  EntryWait *wait = data;

  return count_entries (wait->manager, wait->prefix) >= wait->count;
}

/* Waits (bounded) for a line starting with prefix, from entry from on; returns it. */
static Entry *
wait_entry (FakeManager *manager, guint from, const char *prefix, guint timeout_ms)
{
  EntryWait wait = { manager, from, prefix, 0 };

  if (!vsa_test_wait_until (entry_arrived, &wait, timeout_ms))
    {
      g_test_message ("no \"%s\" notification within %u ms", prefix, timeout_ms);
      g_assert_not_reached ();
    }
  return find_entry (manager, from, prefix);
}

/* The watchdog pings' mean interval (µs) over the last n of them. */
static gint64
watchdog_mean_interval (FakeManager *manager, guint n)
{
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < manager->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (manager->entries, i);

      if (g_str_equal (entry->line, "WATCHDOG=1"))
        g_array_append_val (times, entry->at_us);
    }
  g_assert_cmpuint (times->len, >=, n);
  return (g_array_index (times, gint64, times->len - 1)
          - g_array_index (times, gint64, times->len - n))
         / (n - 1);
}

/* --- the module's messages ---------------------------------------------------------------- */

static void
test_messages (gconstpointer data)
{
  gboolean abstract = GPOINTER_TO_INT (data);
  g_autoptr (FakeManager) manager = fake_manager_new (abstract);
  g_autofree char *notify_env = g_strconcat ("NOTIFY_SOCKET=", manager->notify_socket, NULL);
  const char *const envp[] = { notify_env, "WATCHDOG_USEC=100000", NULL };
  g_autoptr (VsaNotify) notify = vsa_notify_new (envp);
  EntryWait pings = { manager, 0, "WATCHDOG=1", 5 };
  Entry *ready;

  g_assert_true (vsa_notify_is_enabled (notify));
  g_assert_cmpuint (vsa_notify_get_watchdog_usec (notify), ==, 100000);
  vsa_notify_status (notify, "waiting for an offer");
  vsa_notify_status (notify, "waiting for an offer");
  vsa_notify_start (notify);
  ready = wait_entry (manager, 0, "READY=1", 2000);
  g_assert_cmpint (ready->pid, ==, getpid ());
  g_assert_true (vsa_test_wait_until (entries_counted, &pings, 3000));
  if (vsa_test_timeout_multiplier () == 1)
    g_assert_cmpint (watchdog_mean_interval (manager, 5), <, 100000);
  vsa_notify_status (notify, "streaming");
  vsa_notify_stopping (notify);
  wait_entry (manager, 0, "STOPPING=1", 2000);
  g_assert_cmpuint (count_entries (manager, "STATUS=waiting for an offer"), ==, 1);
  g_assert_cmpuint (count_entries (manager, "STATUS=streaming"), ==, 1);
  g_assert_cmpuint (count_entries (manager, "READY=1"), ==, 1);
}

/* WATCHDOG_PID names another process: no pings from this one. */
static void
test_watchdog_other_pid (void)
{
  g_autoptr (FakeManager) manager = fake_manager_new (FALSE);
  g_autofree char *notify_env = g_strconcat ("NOTIFY_SOCKET=", manager->notify_socket, NULL);
  g_autofree char *pid_env = g_strdup_printf ("WATCHDOG_PID=%d", (int) getpid () + 1);
  const char *const envp[] = { notify_env, "WATCHDOG_USEC=20000", pid_env, NULL };
  g_autoptr (VsaNotify) notify = vsa_notify_new (envp);
  gint64 until = g_get_monotonic_time () + 300 * 1000;

  g_assert_cmpuint (vsa_notify_get_watchdog_usec (notify), ==, 0);
  vsa_notify_start (notify);
  wait_entry (manager, 0, "READY=1", 2000);
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (count_entries (manager, "WATCHDOG=1"), ==, 0);
}

/* Nobody listening at NOTIFY_SOCKET: sending fails quietly, nothing else does. */
static void
test_nobody_listening (void)
{
  const char *const envp[]
      = { "NOTIFY_SOCKET=/nonexistent/vsa-test/notify", "WATCHDOG_USEC=20000", NULL };
  g_autoptr (VsaNotify) notify = vsa_notify_new (envp);
  gint64 until = g_get_monotonic_time () + 100 * 1000;

  g_assert_true (vsa_notify_is_enabled (notify));
  vsa_notify_start (notify);
  vsa_notify_status (notify, "waiting");
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);
  vsa_notify_stopping (notify);
}

/* --- the agent binary under the fake manager ----------------------------------------------- */

static GSubprocess *
spawn_agent (FakeManager *manager, const char *controller_url)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url_arg = g_strconcat ("--controller-url=", controller_url, NULL);
  const char *fps_arg = vsa_test_timeout_multiplier () > 1 ? "--fps=10" : "--fps=30";
  const char *argv[] = { g_getenv ("VSA_AGENT_BIN"),
                         "--session-id=" SESSION,
                         url_arg,
                         "--source=test",
                         "--codec=vp8",
                         fps_arg,
                         NULL };
  g_autofree char *watchdog_usec = g_strdup_printf ("%d", WATCHDOG_USEC);
  const VsaTestEnv env[] = {
    { "NOTIFY_SOCKET", manager->notify_socket },
    { "WATCHDOG_USEC", watchdog_usec },
    { NULL, NULL },
  };
  GSubprocess *agent;

  g_assert_nonnull (argv[0]);
  agent = vsa_test_spawn (argv, env, NULL, &error);
  g_assert_no_error (error);
  return agent;
}

/* While it runs: the identifier is gone once it has exited. */
static pid_t
agent_pid (GSubprocess *agent)
{
  return (pid_t) g_ascii_strtoll (g_subprocess_get_identifier (agent), NULL, 10);
}

/* SIGTERM: STOPPING=1 from the agent, then exit status 0. */
static void
stop_agent (FakeManager *manager, GSubprocess *agent)
{
  guint from = manager->entries->len;

  g_subprocess_send_signal (agent, SIGTERM);
  wait_entry (manager, from, "STOPPING=1", 5000);
  g_assert_true (vsa_test_process_wait (agent, 10000));
  g_assert_true (g_subprocess_get_if_exited (agent));
  g_assert_cmpint (g_subprocess_get_exit_status (agent), ==, 0);
}

/* Ready at once, status waiting → negotiating → streaming, pings every half
 * WATCHDOG_USEC throughout, every message from the main pid, stopping on SIGTERM. */
static void
test_agent_lifecycle (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FakeManager) manager = fake_manager_new (FALSE);
  g_autoptr (VsaTestController) controller = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_autofree char *url = NULL;
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (VsaTestPeer) peer = NULL;
  EntryWait pings = { manager, 0, "WATCHDOG=1", 0 };
  Entry *ready, *waiting, *negotiating, *streaming;
  pid_t pid;

  g_assert_no_error (error);
  url = vsa_test_controller_get_url (controller);
  agent = spawn_agent (manager, url);
  pid = agent_pid (agent);

  ready = wait_entry (manager, 0, "READY=1", 10000);
  g_assert_cmpint (ready->pid, ==, pid);
  waiting = wait_entry (manager, 0, "STATUS=waiting for an offer", 5000);

  /* A second of pings, at half the interval (a wedged loop is restarted after a whole
   * one). Under valgrind only that they come: the test reads them late. */
  pings.count = count_entries (manager, "WATCHDOG=1") + 10;
  g_assert_true (vsa_test_wait_until (entries_counted, &pings, 3000));
  g_test_message ("watchdog: a ping every %" G_GINT64_FORMAT " µs",
                  watchdog_mean_interval (manager, 10));
  if (vsa_test_timeout_multiplier () == 1)
    {
      g_assert_cmpint (watchdog_mean_interval (manager, 10), >, WATCHDOG_USEC / 2 * 6 / 10);
      g_assert_cmpint (watchdog_mean_interval (manager, 10), <, WATCHDOG_USEC * 9 / 10);
    }

  peer = vsa_test_peer_new (VP8_CAPS);
  vsa_test_peer_store_offer (peer, controller, SESSION);
  vsa_test_peer_apply_answer (peer, controller, SESSION);
  g_assert_true (vsa_test_wait_until (vsa_test_peer_has_frames, peer, 20000));
  negotiating = wait_entry (manager, entry_index (manager, waiting),
                            "STATUS=negotiating: answering with "
                            "VP8, payload type 120",
                            5000);
  streaming = wait_entry (manager, entry_index (manager, negotiating), "STATUS=streaming ", 5000);
  g_assert_true (g_str_has_suffix (streaming->line, " VP8 30 fps")
                 || g_str_has_suffix (streaming->line, " VP8 10 fps"));
  g_assert_true (
      g_regex_match_simple ("^STATUS=streaming [0-9]+x[0-9]+ VP8", streaming->line, 0, 0));

  /* still pinging while it streams */
  pings.count = count_entries (manager, "WATCHDOG=1") + 5;
  g_assert_true (vsa_test_wait_until (entries_counted, &pings, 3000));

  stop_agent (manager, agent);
  for (guint i = 0; i < manager->entries->len; i++)
    g_assert_cmpint (((Entry *) g_ptr_array_index (manager->entries, i))->pid, ==, pid);
  g_assert_cmpuint (count_entries (manager, "READY=1"), ==, 1);
}

/* A port nothing listens on. */
static guint
closed_port (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Boot is not held up by a controller that does not answer: ready, and the status
 * says why nothing happens. The abstract socket form of NOTIFY_SOCKET. */
static void
test_agent_controller_unreachable (void)
{
  g_autoptr (FakeManager) manager = fake_manager_new (TRUE);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", closed_port ());
  g_autoptr (GSubprocess) agent = spawn_agent (manager, url);
  g_autofree char *status = g_strdup_printf ("STATUS=controller unreachable at %s: ", url);
  Entry *ready, *unreachable;

  ready = wait_entry (manager, 0, "READY=1", 10000);
  /* with the port: GIO's own message leaves it out */
  unreachable = wait_entry (manager, 0, status, 10000);
  g_assert_cmpint (ready->pid, ==, agent_pid (agent));
  g_assert_cmpint (unreachable->pid, ==, agent_pid (agent));
  stop_agent (manager, agent);
}

/* A configuration error: exit status 2 (no restart) and the reason as the status. */
static void
test_agent_config_error (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (FakeManager) manager = fake_manager_new (FALSE);
  const char *argv[]
      = { g_getenv ("VSA_AGENT_BIN"), "--controller-url=http://127.0.0.1:1", "--fps=0", NULL };
  const VsaTestEnv env[] = {
    { "NOTIFY_SOCKET", manager->notify_socket },
    { "SESSION_ID", SESSION },
    { NULL, NULL },
  };
  g_autoptr (GSubprocess) agent = vsa_test_spawn (argv, env, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (vsa_test_process_wait (agent, 10000));
  g_assert_true (g_subprocess_get_if_exited (agent));
  g_assert_cmpint (g_subprocess_get_exit_status (agent), ==, 2);
  wait_entry (manager, 0, "STATUS=configuration error: ", 2000);
  g_assert_cmpuint (count_entries (manager, "READY=1"), ==, 0);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/notify/watchdog-usec", test_watchdog_usec);
  g_test_add_func ("/vsa/notify/address", test_address);
  g_test_add_func ("/vsa/notify/status-format", test_status_format);
  g_test_add_func ("/vsa/notify/disabled", test_disabled);
  g_test_add_data_func ("/vsa/notify/messages/path", GINT_TO_POINTER (FALSE), test_messages);
  g_test_add_data_func ("/vsa/notify/messages/abstract", GINT_TO_POINTER (TRUE), test_messages);
  g_test_add_func ("/vsa/notify/watchdog-other-pid", test_watchdog_other_pid);
  g_test_add_func ("/vsa/notify/nobody-listening", test_nobody_listening);
  /* the agent binary: integration (tests/meson.build) */
  g_test_add_func ("/vsa/notify/agent/lifecycle", test_agent_lifecycle);
  g_test_add_func ("/vsa/notify/agent/controller-unreachable", test_agent_controller_unreachable);
  g_test_add_func ("/vsa/notify/agent/config-error", test_agent_config_error);
  return g_test_run ();
}
