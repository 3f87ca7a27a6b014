/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-notify.h"

#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

struct _VsaNotify
{
  GSocket *socket;         /* NULL: not under a service manager */
  GSocketAddress *address; /* NOTIFY_SOCKET */
  guint64 watchdog_usec;
  GSource *ready_source;
  GSource *watchdog_source;
  char *last_status;
  gboolean send_failed; /* the first failure is logged, the rest are not */
};

gboolean
vsa_notify_parse_watchdog (const char *usec, const char *watchdog_pid, pid_t pid, guint64 *out_usec,
                           GError **error)
{
  guint64 value = 0;
  guint64 owner = 0;

  *out_usec = 0;
  if (usec == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (usec, 10, 1, G_MAXUINT64, &value, error))
    {
      g_prefix_error (error, "WATCHDOG_USEC: ");
      return FALSE;
    }
  if (watchdog_pid != NULL)
    {
      if (!g_ascii_string_to_unsigned (watchdog_pid, 10, 1, G_MAXINT32, &owner, error))
        {
          g_prefix_error (error, "WATCHDOG_PID: ");
          return FALSE;
        }
      /* The pings are another process's job (ours was forked off, say). */
      if ((pid_t) owner != pid)
        return TRUE;
    }
  *out_usec = value;
  return TRUE;
}

GSocketAddress *
vsa_notify_parse_address (const char *notify_socket, GError **error)
{
  struct sockaddr_un native;
  gsize len = strlen (notify_socket);

  /* A path needs its terminating NUL in sun_path; an abstract name has a leading NUL
   * instead of the '@'. */
  if (len < 2 || len >= sizeof native.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "NOTIFY_SOCKET: not a socket address: \"%s\"", notify_socket);
      return NULL;
    }
  if (notify_socket[0] == '@')
    return g_unix_socket_address_new_with_type (notify_socket + 1, -1,
                                                G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  if (notify_socket[0] == '/')
    return g_unix_socket_address_new (notify_socket);
  /* vsock: addresses (systemd 254) are for VMs' managers: not ours. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "NOTIFY_SOCKET: neither a path nor an abstract name: \"%s\"", notify_socket);
  return NULL;
}

char *
vsa_notify_format_status (const char *status)
{
  char *message = g_strconcat ("STATUS=", status, NULL);

  g_strdelimit (message, "\n", ' ');
  return message;
}

VsaNotify *
vsa_notify_new (const char *const *envp)
{
  g_autoptr (VsaNotify) self = g_new0 (VsaNotify, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  const char *notify_socket = g_environ_getenv ((char **) envp, "NOTIFY_SOCKET");

  if (notify_socket == NULL)
    return g_steal_pointer (&self);
  address = vsa_notify_parse_address (notify_socket, &error);
  if (address == NULL)
    {
      g_debug ("not notifying the service manager: %s", error->message);
      return g_steal_pointer (&self);
    }
  self->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_DEFAULT, &error);
  if (self->socket == NULL)
    {
      g_debug ("not notifying the service manager: %s", error->message);
      return g_steal_pointer (&self);
    }
  /* A full queue at the manager must not stall the main loop: the datagram is dropped. */
  g_socket_set_blocking (self->socket, FALSE);
  self->address = g_steal_pointer (&address);

  if (!vsa_notify_parse_watchdog (g_environ_getenv ((char **) envp, "WATCHDOG_USEC"),
                                  g_environ_getenv ((char **) envp, "WATCHDOG_PID"), getpid (),
                                  &self->watchdog_usec, &error))
    g_debug ("no watchdog: %s", error->message);
  return g_steal_pointer (&self);
}

void
vsa_notify_free (VsaNotify *self)
{
  if (self == NULL)
    return;
  if (self->ready_source != NULL)
    g_source_destroy (self->ready_source);
  g_clear_pointer (&self->ready_source, g_source_unref);
  if (self->watchdog_source != NULL)
    g_source_destroy (self->watchdog_source);
  g_clear_pointer (&self->watchdog_source, g_source_unref);
  g_clear_object (&self->socket);
  g_clear_object (&self->address);
  g_free (self->last_status);
  g_free (self);
}

gboolean
vsa_notify_is_enabled (VsaNotify *self)
{
  return self->socket != NULL;
}

guint64
vsa_notify_get_watchdog_usec (VsaNotify *self)
{
  return self->socket != NULL ? self->watchdog_usec : 0;
}

static void
vsa_notify_send_message (VsaNotify *self, const char *message)
{
  g_autoptr (GError) error = NULL;

  if (self->socket == NULL)
    return;
  if (g_socket_send_to (self->socket, self->address, message, strlen (message), NULL, &error) >= 0)
    return;
  /* The manager going away is not the agent's problem: it streams on. */
  if (!self->send_failed)
    g_debug ("notifying the service manager: %s", error->message);
  self->send_failed = TRUE;
}

static gboolean
vsa_notify_on_watchdog (gpointer data)
{
  vsa_notify_send_message (data, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static gboolean
vsa_notify_on_loop_running (gpointer data)
{
  VsaNotify *self = data;

  g_clear_pointer (&self->ready_source, g_source_unref);
  vsa_notify_send_message (self, "READY=1");
  if (self->watchdog_usec != 0)
    {
      /* Half the interval, as sd_watchdog_enabled(3) advises: one late ping is no restart. */
      self->watchdog_source = g_timeout_source_new (MAX (1, self->watchdog_usec / 2000));
      g_source_set_callback (self->watchdog_source, vsa_notify_on_watchdog, self, NULL);
      g_source_set_name (self->watchdog_source, "vsa-notify watchdog");
      g_source_attach (self->watchdog_source, g_main_context_get_thread_default ());
      vsa_notify_on_watchdog (self);
    }
  return G_SOURCE_REMOVE;
}

void
vsa_notify_start (VsaNotify *self)
{
  if (self->socket == NULL || self->ready_source != NULL || self->watchdog_source != NULL)
    return;
  /* Ready when the loop runs, not when the controller first answers: boot never waits. */
  self->ready_source = g_idle_source_new ();
  g_source_set_priority (self->ready_source, G_PRIORITY_HIGH);
  g_source_set_callback (self->ready_source, vsa_notify_on_loop_running, self, NULL);
  g_source_set_name (self->ready_source, "vsa-notify ready");
  g_source_attach (self->ready_source, g_main_context_get_thread_default ());
}

void
vsa_notify_status (VsaNotify *self, const char *status)
{
  g_autofree char *message = NULL;

  if (self->socket == NULL || g_strcmp0 (status, self->last_status) == 0)
    return;
  g_free (self->last_status);
  self->last_status = g_strdup (status);
  message = vsa_notify_format_status (status);
  vsa_notify_send_message (self, message);
}

void
vsa_notify_stopping (VsaNotify *self)
{
  vsa_notify_send_message (self, "STOPPING=1\nSTATUS=stopping");
}
