/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vsa-journal: the fields of an entry (unit), and (/vsa/journal/agent/, integration) the
 * agent binary logging to a fake journal: sockets at journald's paths on a tmpfs over
 * /run, in a private mount namespace (needs root; CI containers have no journald). */
#define _GNU_SOURCE /* unshare() */
#include <errno.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "vsa-journal.h"
#include "vsa-test-controller.h"
#include "vsa-test-peer.h"
#include "vsa-test-util.h"

#define SESSION "journal"
#define VP8_CAPS "application/x-rtp,media=video,encoding-name=VP8,payload=120,clock-rate=90000"

/* --- the fields ------------------------------------------------------------------------- */

static const char *
field (GArray *fields, const char *key)
{
  for (guint i = 0; i < fields->len; i++)
    if (g_str_equal (g_array_index (fields, GLogField, i).key, key))
      return g_array_index (fields, GLogField, i).value;
  return NULL;
}

static void
test_fields (void)
{
  const GLogField message[] = {
    { "PRIORITY", "5", -1 },
    { "MESSAGE", "session s1: streaming", -1 },
    { "GLIB_DOMAIN", "vsa", -1 },
  };
  VsaJournalContext context = { "s1", "streaming", "VP8", "0123456789ab" };
  g_autoptr (GArray) fields
      = vsa_journal_build_fields (message, G_N_ELEMENTS (message), "vm-stream-agent", &context);

  g_assert_cmpuint (fields->len, ==, 8);
  /* GLib's first, in order */
  for (guint i = 0; i < G_N_ELEMENTS (message); i++)
    g_assert_cmpstr (g_array_index (fields, GLogField, i).key, ==, message[i].key);
  g_assert_cmpstr (field (fields, "MESSAGE"), ==, "session s1: streaming");
  g_assert_cmpstr (field (fields, "SYSLOG_IDENTIFIER"), ==, "vm-stream-agent");
  g_assert_cmpstr (field (fields, "SESSION_ID"), ==, "s1");
  g_assert_cmpstr (field (fields, "STATE"), ==, "streaming");
  g_assert_cmpstr (field (fields, "CODEC"), ==, "VP8");
  g_assert_cmpstr (field (fields, "OFFER_ID"), ==, "0123456789ab");
  for (guint i = 0; i < fields->len; i++)
    g_assert_cmpint (g_array_index (fields, GLogField, i).length, ==, -1);
}

/* Unset and empty context fields are left out; a caller's own field wins. */
static void
test_fields_partial (void)
{
  const GLogField message[] = {
    { "MESSAGE", "waiting", -1 },
    { "SESSION_ID", "explicit", -1 },
  };
  VsaJournalContext context = { "s1", "waiting", NULL, "" };
  VsaJournalContext empty = { NULL, NULL, NULL, NULL };
  g_autoptr (GArray) fields
      = vsa_journal_build_fields (message, G_N_ELEMENTS (message), NULL, &context);
  g_autoptr (GArray) bare = vsa_journal_build_fields (message, 1, NULL, &empty);

  g_assert_cmpuint (fields->len, ==, 3);
  g_assert_cmpstr (field (fields, "SESSION_ID"), ==, "explicit");
  g_assert_cmpstr (field (fields, "STATE"), ==, "waiting");
  g_assert_null (field (fields, "CODEC"));
  g_assert_null (field (fields, "OFFER_ID"));
  g_assert_null (field (fields, "SYSLOG_IDENTIFIER"));
  g_assert_cmpuint (bare->len, ==, 1);
}

/* --- a fake journal --------------------------------------------------------------------- */

/* The native protocol: KEY=value lines, or KEY\n, a little-endian 64-bit size and the
 * value, then \n, for values with newlines. */
static GHashTable *
parse_entry (const char *data, gsize size)
{
  GHashTable *entry = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *end = data + size;

  while (data < end)
    {
      const char *newline = memchr (data, '\n', (gsize) (end - data));
      const char *equals = memchr (data, '=', (gsize) (end - data));

      g_assert_nonnull (newline);
      if (equals != NULL && equals < newline)
        g_hash_table_insert (entry, g_strndup (data, (gsize) (equals - data)),
                             g_strndup (equals + 1, (gsize) (newline - equals - 1)));
      else
        {
          guint64 length = 0;

          g_assert_true (newline + 9 <= end);
          for (int i = 7; i >= 0; i--)
            length = (length << 8) | (guchar) newline[1 + i];
          g_assert_true (newline + 9 + length < end);
          g_hash_table_insert (entry, g_strndup (data, (gsize) (newline - data)),
                               g_strndup (newline + 9, length));
          newline += 9 + length;
        }
      data = newline + 1;
    }
  return entry;
}

typedef struct
{
  GSocket *socket; /* /run/systemd/journal/socket: entries */
  GPtrArray *entries;
  const char *message_part; /* what the entry waited for has in MESSAGE */
  GHashTable *found;
} FakeJournal;

static gboolean
entry_arrived (gpointer data)
{
  FakeJournal *journal = data;
  char buffer[65536];
  gssize size;

  while ((size = g_socket_receive (journal->socket, buffer, sizeof buffer, NULL, NULL)) > 0)
    {
      GHashTable *entry = parse_entry (buffer, (gsize) size);

      g_test_message ("journal: %s (STATE=%s CODEC=%s OFFER_ID=%s)",
                      (char *) g_hash_table_lookup (entry, "MESSAGE"),
                      (char *) g_hash_table_lookup (entry, "STATE"),
                      (char *) g_hash_table_lookup (entry, "CODEC"),
                      (char *) g_hash_table_lookup (entry, "OFFER_ID"));
      g_ptr_array_add (journal->entries, entry);
    }
  for (guint i = 0; i < journal->entries->len; i++)
    {
      GHashTable *entry = g_ptr_array_index (journal->entries, i);
      const char *message = g_hash_table_lookup (entry, "MESSAGE");

      if (message != NULL && strstr (message, journal->message_part) != NULL)
        {
          journal->found = entry;
          return TRUE;
        }
    }
  return FALSE;
}

static GHashTable *
wait_entry (FakeJournal *journal, const char *message_part)
{
  journal->message_part = message_part;
  journal->found = NULL;
  g_assert_true (vsa_test_wait_until (entry_arrived, journal, 20000));
  return journal->found;
}

static void
assert_field (GHashTable *entry, const char *key, const char *value)
{
  g_assert_cmpstr (g_hash_table_lookup (entry, key), ==, value);
}

/* The agent's stderr connected to the fake journal's stream socket, as systemd connects a
 * service's: the agent then writes entries to the datagram socket. */
static void
test_agent_fields (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) stdout_listener = NULL;
  g_autoptr (GSocket) stream = NULL;
  g_autoptr (GSocket) accepted = NULL;
  g_autoptr (GSocketAddress) socket_address = NULL;
  g_autoptr (GSocketAddress) stdout_address = NULL;
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GSubprocess) agent = NULL;
  g_autoptr (VsaTestController) controller = vsa_test_controller_new ("127.0.0.1", 0, NULL, &error);
  g_autoptr (VsaTestPeer) peer = NULL;
  g_autoptr (GPtrArray) entries
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_hash_table_unref);
  g_autofree char *url = NULL;
  g_autofree char *url_arg = NULL;
  g_autofree char *negotiating_message = NULL;
  FakeJournal journal = { NULL, entries, NULL, NULL };
  GHashTable *waiting, *negotiating, *streaming;
  const char *offer_id;

  /* valgrind 3.19 has no pidfd_open (GLib's child watch) and the agent it runs would be
   * slowed past the waits below; the normal and ASan runs cover this. */
  if (vsa_test_skipped_under_valgrind ())
    return;

  g_assert_no_error (error);
  /* only this thread (and what it spawns) sees the tmpfs: the machine's /run is untouched */
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0
      || mount ("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0)
    {
      g_test_skip_printf ("no private /run (needs root): %s", g_strerror (errno));
      return;
    }
  g_assert_cmpint (g_mkdir_with_parents ("/run/systemd/journal", 0755), ==, 0);

  journal.socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
  g_assert_no_error (error);
  socket_address = g_unix_socket_address_new ("/run/systemd/journal/socket");
  g_assert_true (g_socket_bind (journal.socket, socket_address, TRUE, &error));
  g_socket_set_blocking (journal.socket, FALSE);
  stdout_listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
  stdout_address = g_unix_socket_address_new ("/run/systemd/journal/stdout");
  g_assert_true (g_socket_bind (stdout_listener, stdout_address, TRUE, &error));
  g_assert_true (g_socket_listen (stdout_listener, &error));
  stream = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
  g_assert_true (g_socket_connect (stream, stdout_address, NULL, &error));
  accepted = g_socket_accept (stdout_listener, NULL, &error);
  g_assert_no_error (error);

  url = vsa_test_controller_get_url (controller);
  url_arg = g_strconcat ("--controller-url=", url, NULL);
  {
    const char *argv[] = { g_getenv ("VSA_AGENT_BIN"),
                           "--session-id=" SESSION,
                           url_arg,
                           "--source=test",
                           "--codec=vp8",
                           vsa_test_timeout_multiplier () > 1 ? "--fps=10" : "--fps=30",
                           NULL };

    g_assert_nonnull (argv[0]);
    g_subprocess_launcher_take_stderr_fd (launcher, dup (g_socket_get_fd (stream)));
    agent = g_subprocess_launcher_spawnv (launcher, argv, &error);
    g_assert_no_error (error);
  }

  waiting = wait_entry (&journal, "waiting for an offer");
  assert_field (waiting, "SESSION_ID", SESSION);
  assert_field (waiting, "STATE", "waiting");
  assert_field (waiting, "PRIORITY", "5");
  assert_field (waiting, "GLIB_DOMAIN", "vsa");
  assert_field (waiting, "SYSLOG_IDENTIFIER", "vm-stream-agent");
  g_assert_null (g_hash_table_lookup (waiting, "OFFER_ID"));
  g_assert_null (g_hash_table_lookup (waiting, "CODEC"));

  peer = vsa_test_peer_new (VP8_CAPS);
  vsa_test_peer_store_offer (peer, controller, SESSION);
  vsa_test_peer_apply_answer (peer, controller, SESSION);
  negotiating = wait_entry (&journal, ": negotiating: offer ");
  assert_field (negotiating, "STATE", "negotiating");
  offer_id = g_hash_table_lookup (negotiating, "OFFER_ID");
  g_assert_nonnull (offer_id);
  g_assert_cmpuint (strlen (offer_id), ==, 12);
  negotiating_message = g_strdup_printf ("session " SESSION ": negotiating: offer %s", offer_id);
  assert_field (negotiating, "MESSAGE", negotiating_message);
  streaming = wait_entry (&journal, ": streaming: ");
  assert_field (streaming, "SESSION_ID", SESSION);
  assert_field (streaming, "STATE", "streaming");
  assert_field (streaming, "CODEC", "VP8");
  assert_field (streaming, "OFFER_ID", offer_id);

  g_subprocess_send_signal (agent, SIGTERM);
  g_assert_true (vsa_test_process_wait (agent, 10000));
  g_assert_cmpint (g_subprocess_get_exit_status (agent), ==, 0);
  g_clear_object (&journal.socket);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vsa/journal/fields", test_fields);
  g_test_add_func ("/vsa/journal/fields/partial", test_fields_partial);
  g_test_add_func ("/vsa/journal/agent/fields", test_agent_fields);
  return g_test_run ();
}
