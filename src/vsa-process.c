/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-process.h"

#include <gst/gst.h>
#include <errno.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

void
vsa_process_init_heap (void)
{
  mallopt (M_ARENA_MAX, 1);
}

/* What the first session of the process would otherwise do on its critical path, holding
 * webrtcbin's lock in set-remote-description: make the process's DTLS certificate, an
 * RSA-2048 key (50 to 400 ms), and load libsrtp (its start runs cipher self-tests: 15 ms).
 * Done once, ahead, on a worker thread; a session that starts earlier waits for it as
 * before. Together 7 MB of RSS; the other plugins (libnice alone is 7 MB for 7 ms) are
 * left to the first session. */
static gpointer
vsa_process_prepare_thread (gpointer data)
{
  g_autoptr (GstPlugin) srtp = gst_plugin_load_by_name ("srtp");
  GstElement *dtls;

  dtls = gst_element_factory_make ("dtlsdec", NULL);
  if (dtls != NULL)
    gst_object_unref (gst_object_ref_sink (dtls));
  g_debug ("ready to answer: DTLS key %s, SRTP %s", dtls != NULL ? "made" : "unavailable",
           srtp != NULL ? "loaded" : "unavailable");
  return NULL;
}

/* on the main thread only */
static GThread *prepare_thread;

void
vsa_process_prepare (void)
{
  if (prepare_thread == NULL)
    prepare_thread = g_thread_new ("vsa-prepare", vsa_process_prepare_thread, NULL);
}

void
vsa_process_prepare_wait (void)
{
  if (prepare_thread != NULL)
    g_thread_join (g_steal_pointer (&prepare_thread));
}

static gboolean
vsa_process_trim_heap (gpointer data)
{
  malloc_trim (0);
  return G_SOURCE_REMOVE;
}

void
vsa_process_release_memory_soon (void)
{
  g_idle_add_full (G_PRIORITY_LOW, vsa_process_trim_heap, NULL, NULL);
}

#define HANDOVER_VARIABLE "VSA_HANDOVER"

gboolean
vsa_process_exec_fresh (char **argv, GVariant *handover, GError **error)
{
  g_autofree char *text = g_variant_print (handover, TRUE);
  g_auto (GStrv) environment = g_environ_setenv (g_get_environ (), HANDOVER_VARIABLE, text, TRUE);
  int saved_errno;

  execve ("/proc/self/exe", argv, environment);
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "cannot start afresh: %s",
               g_strerror (saved_errno));
  return FALSE;
}

GVariant *
vsa_process_take_handover (void)
{
  const char *text = g_getenv (HANDOVER_VARIABLE);
  g_autoptr (GError) error = NULL;
  GVariant *handover;

  if (text == NULL)
    return NULL;
  /* exec named the process "exe" after /proc/self/exe: ps, top and pgrep want its own */
  prctl (PR_SET_NAME, "vm-stream-agent");
  handover = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, &error);
  if (handover == NULL)
    g_warning ("ignoring what the previous process handed over: %s", error->message);
  g_unsetenv (HANDOVER_VARIABLE);
  return handover != NULL ? g_variant_ref_sink (handover) : NULL;
}
