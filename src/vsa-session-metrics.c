/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A session's own measures for metrics: the encoder's frames and keyframes (counted by a
 * probe on the encoder's streaming thread, atomically), the sent rate and the fps over
 * each stats interval and the browser's keyframe requests (sampled on the main context
 * from the session's get-stats loop), and the capture size. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-session-metrics"

#include "vsa-session-metrics.h"

struct _VsaSessionMetrics
{
  char *resolution;
  char *encoder_name;
  /* the encoder's output, counted on its streaming thread; atomic */
  gint frames;
  gint keyframes;
  gint last_frames; /* frames at the last stats interval */
  double fps;
  guint64 last_bytes_sent;
  gint64 last_bytes_at; /* monotonic µs */
  guint sent_kbps;      /* over the last stats interval */
  guint64 keyframe_requests;
};

VsaSessionMetrics *
vsa_session_metrics_new (void)
{
  return g_new0 (VsaSessionMetrics, 1);
}

void
vsa_session_metrics_free (VsaSessionMetrics *self)
{
  g_free (self->resolution);
  g_free (self->encoder_name);
  g_free (self);
}

/* On the encoder's streaming thread: every encoded frame. */
static GstPadProbeReturn
vsa_session_metrics_on_encoded (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaSessionMetrics *self = data;

  g_atomic_int_inc (&self->frames);
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info), GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc (&self->keyframes);
  return GST_PAD_PROBE_OK;
}

/* The video bin names its encoder "encoder" (x264enc, vaapih264enc, vp8enc, vp9enc). */
void
vsa_session_metrics_watch_encoder (VsaSessionMetrics *self, GstElement *pipeline)
{
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (GST_BIN (pipeline), "encoder");
  g_autoptr (GstPad) pad = NULL;
  GstElementFactory *factory;

  if (encoder == NULL)
    return;
  factory = gst_element_get_factory (encoder);
  self->encoder_name = g_strdup (factory != NULL ? GST_OBJECT_NAME (factory) : NULL);
  pad = gst_element_get_static_pad (encoder, "src");
  if (pad != NULL)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, vsa_session_metrics_on_encoded, self, NULL);
}

guint
vsa_session_metrics_sample (VsaSessionMetrics *self, guint64 bytes_sent, guint64 keyframe_requests)
{
  gint64 now = g_get_monotonic_time ();
  guint sent_kbps = 0;
  gint frames = g_atomic_int_get (&self->frames);

  if (self->last_bytes_at != 0 && now > self->last_bytes_at)
    {
      sent_kbps = (guint) ((bytes_sent - MIN (bytes_sent, self->last_bytes_sent)) * 8 * 1000
                           / (guint64) (now - self->last_bytes_at));
      self->fps = (double) (frames - self->last_frames) * G_USEC_PER_SEC
                  / (double) (now - self->last_bytes_at);
    }
  self->sent_kbps = sent_kbps;
  self->last_frames = frames;
  self->last_bytes_sent = bytes_sent;
  self->last_bytes_at = now;
  self->keyframe_requests = MAX (self->keyframe_requests, keyframe_requests);
  return sent_kbps;
}

const char *
vsa_session_metrics_get_resolution (VsaSessionMetrics *self, GstElement *pipeline)
{
  g_autoptr (GstElement) convert = NULL;
  g_autoptr (GstPad) pad = NULL;
  g_autoptr (GstCaps) caps = NULL;
  GstStructure *structure;
  int width, height;

  if (self->resolution != NULL || pipeline == NULL)
    return self->resolution;
  convert = gst_bin_get_by_name (GST_BIN (pipeline), "convert");
  pad = convert != NULL ? gst_element_get_static_pad (convert, "src") : NULL;
  caps = pad != NULL ? gst_pad_get_current_caps (pad) : NULL;
  if (caps == NULL)
    return NULL;
  structure = gst_caps_get_structure (caps, 0);
  if (gst_structure_get_int (structure, "width", &width)
      && gst_structure_get_int (structure, "height", &height))
    self->resolution = g_strdup_printf ("%dx%d", width, height);
  return self->resolution;
}

void
vsa_session_metrics_get (VsaSessionMetrics *self, VsaSessionStats *out)
{
  out->sent_kbps = self->sent_kbps;
  out->fps = self->fps;
  out->frames = (guint) g_atomic_int_get (&self->frames);
  out->keyframes = (guint) g_atomic_int_get (&self->keyframes);
  out->keyframe_requests = self->keyframe_requests;
  out->encoder = self->encoder_name;
}
