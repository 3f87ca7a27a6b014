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

/* The plugins the agent uses (libgst<name>.so): its pipelines' (the test source, the
 * converter, the encoders and payloaders), webrtcbin's own (rtpbin, RTX, RED and ULPFEC,
 * libnice, DTLS, SRTP, SCTP and appsrc/appsink for the data channel), and the tracers an
 * operator may ask for with GST_TRACERS. Missing ones are left out. */
static const char *const used_plugins[] = {
  "coreelements", "coretracers", "app",   "videotestsrc", "videoconvertscale",
  "x264",         "vpx",         "vaapi", "rtp",          "rtpmanager",
  "webrtc",       "nice",        "dtls",  "srtp",         "sctp",
};

/* GStreamer reads the registry of every installed plugin into the heap at its start
 * (265 on a desktop Debian: 2 MB of a waiting agent's 20). */
void
vsa_process_init_plugins (void)
{
  const char *registry = g_getenv ("GST_REGISTRY_1_0");
  g_autofree char *dir = NULL;
  g_autofree char *links = NULL;

  if (g_getenv ("GST_PLUGIN_SYSTEM_PATH_1_0") != NULL
      || g_getenv ("GST_PLUGIN_SYSTEM_PATH") != NULL)
    return;
  if (registry == NULL)
    registry = g_getenv ("GST_REGISTRY");
  dir = registry != NULL ? g_path_get_dirname (registry)
                         : g_build_filename (g_get_user_cache_dir (), "vm-stream-agent", NULL);
  links = g_build_filename (dir, "gst-plugins", NULL);
  if (g_mkdir_with_parents (links, 0755) != 0)
    {
      g_debug ("all GStreamer plugins: %s: %s", links, g_strerror (errno));
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (used_plugins); i++)
    {
      g_autofree char *name = g_strdup_printf ("libgst%s.so", used_plugins[i]);
      g_autofree char *target = g_build_filename (VSA_GST_PLUGINS_DIR, name, NULL);
      g_autofree char *link = g_build_filename (links, name, NULL);

      if (g_file_test (target, G_FILE_TEST_EXISTS) && symlink (target, link) != 0
          && errno != EEXIST)
        {
          g_debug ("all GStreamer plugins: %s: %s", link, g_strerror (errno));
          return;
        }
    }
  if (registry == NULL)
    {
      g_autofree char *own = g_build_filename (dir, "gstreamer-registry.bin", NULL);

      g_setenv ("GST_REGISTRY_1_0", own, TRUE);
    }
  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", links, TRUE);
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
