/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* systemd's notification protocol (sd_notify), without libsystemd: one datagram of
 * newline-separated VAR=value lines to the socket named by $NOTIFY_SOCKET (a path, or
 * '@' for an abstract name). Without NOTIFY_SOCKET (a run from a terminal) every call
 * does nothing. Sending never fails the caller: the first error is logged at debug level. */
typedef struct _VsaNotify VsaNotify;

/* envp: an environment as from g_get_environ(). A malformed NOTIFY_SOCKET or
 * WATCHDOG_USEC is logged at debug level and treated as absent. */
VsaNotify *vsa_notify_new (const char *const *envp);
void vsa_notify_free (VsaNotify *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaNotify, vsa_notify_free)

gboolean vsa_notify_is_enabled (VsaNotify *self);
/* The watchdog interval the service manager asked for, in µs; 0: none. */
guint64 vsa_notify_get_watchdog_usec (VsaNotify *self);

/* Once the thread-default main loop runs: READY=1, then WATCHDOG=1 every half watchdog
 * interval from that loop, so that a wedged loop stops the pings and gets restarted. */
void vsa_notify_start (VsaNotify *self);
/* STATUS=, for `systemctl status`; the same status twice is sent once. */
void vsa_notify_status (VsaNotify *self, const char *status);
/* STOPPING=1 (and STATUS=stopping): shutdown has begun. */
void vsa_notify_stopping (VsaNotify *self);

/* The pieces above, for tests. */

/* The interval sd_watchdog_enabled() gives: WATCHDOG_USEC (decimal µs, > 0), unless
 * WATCHDOG_PID is set and is not pid (the watchdog is then another process's): 0. NULL
 * usec: 0. FALSE with error on malformed values. */
gboolean vsa_notify_parse_watchdog (const char *usec, const char *watchdog_pid, pid_t pid,
                                    guint64 *out_usec, GError **error);
/* The address NOTIFY_SOCKET names: an absolute path, or '@name' for an abstract one. */
GSocketAddress *vsa_notify_parse_address (const char *notify_socket, GError **error);
/* "STATUS=<status>", its newlines (which would end the field) made spaces. */
char *vsa_notify_format_status (const char *status);

G_END_DECLS
