/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What the whole process shares, whichever transport runs its sessions (the agent or
 * WHEP): its heap, and the work done ahead of the first session. Main thread only. */

/* One malloc arena: per-thread arenas keep what each session's streaming threads freed,
 * and RSS grew by 20 MB over 10 sessions; with one it stays within 1 MB. First thing in
 * main(). */
void vsa_process_init_heap (void);

/* Before gst_init(): GStreamer scans and registers only the plugins the agent uses,
 * through a directory of links to them and a registry of its own, beside GST_REGISTRY
 * or in the user's cache directory (vm-stream-agent/). All of them, as GStreamer would,
 * when GST_PLUGIN_SYSTEM_PATH(_1_0) is set or that directory cannot be made. */
void vsa_process_init_plugins (void);

/* Starts doing, on a worker thread, what the first session would otherwise do on its
 * critical path (libsrtp's start, the process's DTLS certificate); again only after
 * vsa_process_prepare_wait(). */
void vsa_process_prepare (void);
/* Waits for that to finish (at most a few hundred ms): before the process exits, since an
 * exit while the key is made crashes in OpenSSL's exit handlers. */
void vsa_process_prepare_wait (void);

/* After a session ended: gives the heap it freed back to the system once the main loop is
 * idle. glibc keeps freed memory in its arenas, so the RSS while waiting, and from one
 * session to the next, would otherwise depend on how the last session's threads left them
 * (seen: 3 MB either way). */
void vsa_process_release_memory_soon (void);

/* After a session: the same program started afresh in this process (execve of
 * /proc/self/exe with @argv, the environment kept), so the waiting agent holds what a
 * new one does, not what the session's libraries and threads left (14 MB more, of which
 * the heap was 3.6 MB: malloc_trim gave back 0.1 MB). @handover (a{sv}) goes to the new
 * image through the environment, for vsa_process_take_handover(); it must be small
 * (a few KiB). Returns only when the exec failed, with @error: the process goes on. */
gboolean vsa_process_exec_fresh (char **argv, GVariant *handover, GError **error);
/* What the image before this one handed over (a{sv}, owned), once; NULL
 * when this is the first image. */
GVariant *vsa_process_take_handover (void);

G_END_DECLS
