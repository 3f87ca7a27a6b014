/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "vsa-encoder.h"

#include "vsa-pipeline.h"

#include <fcntl.h>
#include <unistd.h>

/* A test encode needs well under a second on a working device; a hung driver must not
 * hold the agent's start for long. */
#define PROBE_TIMEOUT_S 5

void
vsa_vaapi_probe_clear (VsaVaapiProbe *probe)
{
  g_clear_pointer (&probe->render_node, g_free);
  g_clear_pointer (&probe->failure, g_free);
}

const char *
vsa_h264_encoder_to_string (VsaH264Encoder encoder)
{
  return encoder == VSA_H264_ENCODER_VAAPI ? "vaapih264enc" : "x264enc";
}

static int
vsa_encoder_compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

char **
vsa_encoder_list_render_nodes (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) nodes = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    if (g_str_has_prefix (name, "renderD"))
      g_ptr_array_add (nodes, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (nodes, vsa_encoder_compare_strings);
  g_ptr_array_add (nodes, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&nodes), FALSE);
}

char *
vsa_encoder_find_render_node (const char *const *paths)
{
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      /* Read-write, as the VA driver opens it: a node the agent's user may not use (not
       * in the render group) is no node at all. */
      int fd = open (paths[i], O_RDWR | O_CLOEXEC);

      if (fd >= 0)
        {
          close (fd);
          return g_strdup (paths[i]);
        }
    }
  return NULL;
}

gboolean
vsa_encoder_choose_h264 (VsaEncoderMode mode, const VsaVaapiProbe *probe, VsaH264Encoder *out,
                         char **reason, GError **error)
{
  g_autofree char *why = NULL;

  if (mode == VSA_ENCODER_SOFTWARE)
    why = g_strdup ("encoder=software");
  else if (probe->render_node == NULL)
    why = g_strdup ("no usable /dev/dri render node");
  else if (!probe->have_element)
    why = g_strdup_printf ("vaapih264enc is not available on %s (gstreamer1.0-vaapi, a VA "
                           "driver with H264 encoding)",
                           probe->render_node);
  else if (!probe->works)
    why = g_strdup_printf ("vaapih264enc failed a test encode on %s: %s", probe->render_node,
                           probe->failure != NULL ? probe->failure : "no output");

  if (why == NULL)
    {
      *out = VSA_H264_ENCODER_VAAPI;
      if (reason != NULL)
        *reason = g_strdup_printf ("%s, tune=%s", probe->render_node, probe->tune);
      return TRUE;
    }
  /* Forced hardware that is not there is a configuration error, as any other: an operator
   * who asked for it should not find a loaded CPU instead. auto is the mode that falls
   * back. */
  if (mode == VSA_ENCODER_VAAPI)
    {
      g_set_error (error, VSA_CONFIG_ERROR, VSA_CONFIG_ERROR_INVALID,
                   "encoder: vaapi, but %s (use encoder=auto to fall back to x264)", why);
      return FALSE;
    }
  *out = VSA_H264_ENCODER_X264;
  if (reason != NULL)
    *reason = g_steal_pointer (&why);
  return TRUE;
}

/* Sets a property by its string form when the element has it: the VA-API encoders' sets
 * of properties and of enum values (rate controls, tunes) follow the driver. */
static void
vsa_encoder_set_if_supported (GstElement *element, const char *name, const char *value)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (element), name) == NULL)
    {
      g_debug ("%s has no property %s", GST_ELEMENT_NAME (element), name);
      return;
    }
  gst_util_set_object_arg (G_OBJECT (element), name, value);
}

static guint
vsa_encoder_make_vaapi_h264 (guint kbps, guint fps, const char *tune, GstElement **out)
{
  g_autoptr (GstElementFactory) postproc = gst_element_factory_find ("vaapipostproc");
  g_autoptr (GstCaps) surface_caps = NULL;
  GstElement *encoder;
  guint n = 0;
  g_autofree char *bitrate = g_strdup_printf ("%u", kbps);
  g_autofree char *gop = g_strdup_printf ("%u", fps * 300);
  g_autofree char *cpb_ms = g_strdup_printf ("%u", MAX (1, 1500 / fps));

  /* BGRx to NV12 on the GPU, uploading as it goes: no CPU conversion. A driver without
   * video processing has no vaapipostproc: the CPU converts, the encoder uploads. */
  if (postproc != NULL)
    {
      surface_caps = gst_caps_from_string ("video/x-raw(memory:VASurface),format=NV12");
      out[n++] = gst_element_factory_make_full ("vaapipostproc", "name", "convert", NULL);
    }
  else
    {
      surface_caps = gst_caps_from_string ("video/x-raw,format=NV12");
      out[n++] = gst_element_factory_make_full ("videoconvert", "name", "convert", NULL);
    }
  out[n++] = gst_element_factory_make_full ("capsfilter", "caps", surface_caps, NULL);
  out[n++] = encoder = gst_element_factory_make_full ("vaapih264enc", "name", "encoder", NULL);
  if (encoder == NULL)
    return n;

  /* As x264enc's settings: CBR with a CPB of about one and a half frames, no B-frames, a
   * very long GOP (the browser's PLI/FIR asks for keyframes). The fastest quality level
   * (Intel's TU7) and, where the driver has it, the low-power (VDEnc) entrypoint. The
   * profile (constrained-baseline) comes from the caps after the encoder. */
  vsa_encoder_set_if_supported (encoder, "rate-control", "cbr");
  vsa_encoder_set_if_supported (encoder, "bitrate", bitrate);
  vsa_encoder_set_if_supported (encoder, "cpb-length", cpb_ms);
  vsa_encoder_set_if_supported (encoder, "keyframe-period", gop);
  vsa_encoder_set_if_supported (encoder, "max-bframes", "0");
  vsa_encoder_set_if_supported (encoder, "quality-level", "7");
  vsa_encoder_set_if_supported (encoder, "tune", tune);
  return n;
}

/* Encodes a few frames through the agent's own chain (same elements, same settings, same
 * caps) so that what fails here never reaches a session. */
static gboolean
vsa_encoder_test_encode (const char *tune, GError **error)
{
  g_autoptr (GstElement) pipeline = gst_pipeline_new ("vaapi-probe");
  g_autoptr (GstCaps) raw_caps
      = gst_caps_from_string ("video/x-raw,format=BGRx,width=320,height=240,framerate=30/1");
  g_autoptr (GstCaps) encoded_caps = gst_caps_from_string (
      "video/x-h264,profile=constrained-baseline,stream-format=byte-stream");
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message = NULL;
  GstElement *elements[7] = { 0 };
  guint n = 0;
  gboolean ok;

  elements[n++] = gst_element_factory_make_full ("videotestsrc", "num-buffers", 3, NULL);
  elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", raw_caps, NULL);
  n += vsa_encoder_make_vaapi_h264 (1000, 30, tune, &elements[n]);
  elements[n++] = gst_element_factory_make_full ("capsfilter", "caps", encoded_caps, NULL);
  elements[n++] = gst_element_factory_make ("fakesink", NULL);

  if (!vsa_pipeline_add_linked (GST_BIN (pipeline), elements, n, error))
    return FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE,
                           "the test pipeline did not start");
      gst_element_set_state (pipeline, GST_STATE_NULL);
      return FALSE;
    }
  message = gst_bus_timed_pop_filtered (bus, PROBE_TIMEOUT_S * GST_SECOND,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  ok = message != NULL && GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS;
  if (message == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "no output in %u s",
                 PROBE_TIMEOUT_S);
  else if (!ok)
    gst_message_parse_error (message, error, NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return ok;
}

/* Whether the encoder's "tune" has a low-power value (it lists what the driver has). */
static gboolean
vsa_encoder_has_low_power (GstElementFactory *factory)
{
  g_autoptr (GstElement) encoder = gst_element_factory_create (factory, NULL);
  GParamSpec *tune;

  if (encoder == NULL)
    return FALSE;
  gst_object_ref_sink (encoder);
  tune = g_object_class_find_property (G_OBJECT_GET_CLASS (encoder), "tune");
  return tune != NULL && G_IS_PARAM_SPEC_ENUM (tune)
         && g_enum_get_value_by_nick (G_PARAM_SPEC_ENUM (tune)->enum_class, "low-power") != NULL;
}

static void
vsa_encoder_probe_machine (VsaVaapiProbe *probe)
{
  g_auto (GStrv) nodes = vsa_encoder_list_render_nodes (VSA_DRI_DIR);
  g_autoptr (GstElementFactory) factory = NULL;
  /* Low-power (fixed-function) first; "none" lets the driver pick whatever it has. */
  const char *const tunes[] = { "low-power", "none" };

  probe->render_node = vsa_encoder_find_render_node ((const char *const *) nodes);
  if (probe->render_node == NULL)
    return;
  /* gstreamer-vaapi picks a node of its own: make it the one found usable (unless the
   * operator chose one). Before any session, while no other thread reads the environment. */
  g_setenv ("GST_VAAPI_DRM_DEVICE", probe->render_node, FALSE);
  factory = gst_element_factory_find ("vaapih264enc");
  probe->have_element = factory != NULL;
  for (guint i = 0; probe->have_element && !probe->works && i < G_N_ELEMENTS (tunes); i++)
    {
      if (i == 0 && !vsa_encoder_has_low_power (factory))
        continue;
      g_autoptr (GError) error = NULL;

      probe->works = vsa_encoder_test_encode (tunes[i], &error);
      if (probe->works)
        probe->tune = tunes[i];
      else
        {
          g_debug ("vaapih264enc with tune=%s: %s", tunes[i], error->message);
          g_free (probe->failure);
          probe->failure = g_strdup (error->message);
        }
    }
}

static GMutex probe_lock;
static gboolean probed;
static VsaVaapiProbe machine;

gboolean
vsa_encoder_settle_h264 (VsaEncoderMode mode, VsaH264Encoder *out, char **reason, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  VsaVaapiProbe nothing = { 0 };

  if (mode == VSA_ENCODER_SOFTWARE)
    return vsa_encoder_choose_h264 (mode, &nothing, out, reason, error);
  locker = g_mutex_locker_new (&probe_lock);
  if (!probed)
    {
      vsa_encoder_probe_machine (&machine);
      probed = TRUE;
    }
  return vsa_encoder_choose_h264 (mode, &machine, out, reason, error);
}

guint
vsa_encoder_new_vaapi_h264 (guint kbps, guint fps, GstElement **out)
{
  const char *tune;

  g_mutex_lock (&probe_lock);
  tune = machine.tune != NULL ? machine.tune : "none";
  g_mutex_unlock (&probe_lock);
  return vsa_encoder_make_vaapi_h264 (kbps, fps, tune, out);
}
