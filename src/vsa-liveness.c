/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The session's liveness: the first-caps and connect timers from the start, the
 * disconnect timer while ICE is disconnected, and once connected the peer's silence
 * (a probe on each transport's nicesrc notes, on its streaming thread, when the last
 * packet came; a one-second timer on the main context judges it). The session feeds it
 * webrtcbin's events already on the main context and is told of the end there. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-liveness"

#include "vsa-liveness.h"

#define CONNECT_TIMEOUT_S 30
#define FIRST_CAPS_TIMEOUT_S 5
#define DISCONNECT_TIMEOUT_S 10
/* A receiving browser sends RTCP at least every second or so; libnice has no consent
 * freshness here, so silence is how a closed tab or a sleeping machine shows. */
#define PEER_SILENCE_TIMEOUT_S 10

struct _VsaLiveness
{
  VsaLivenessEndFunc end;
  gpointer user_data;
  guint connect_timeout_id;
  guint disconnect_timeout_id;
  guint first_caps_timeout_id;
  guint silence_id;
  gboolean connected;   /* ICE connected once */
  gint last_received_s; /* monotonic s of the last packet from the peer; atomic */
};

VsaLiveness *
vsa_liveness_new (VsaLivenessEndFunc end, gpointer user_data)
{
  VsaLiveness *self = g_new0 (VsaLiveness, 1);

  self->end = end;
  self->user_data = user_data;
  return self;
}

void
vsa_liveness_free (VsaLiveness *self)
{
  vsa_liveness_stop (self);
  g_free (self);
}

static gboolean
vsa_liveness_on_first_caps_timeout (gpointer data)
{
  VsaLiveness *self = data;

  self->first_caps_timeout_id = 0;
  self->end (VSA_END_REASON_PIPELINE_ERROR,
             "the video source produced nothing within " G_STRINGIFY (FIRST_CAPS_TIMEOUT_S) " s",
             self->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
vsa_liveness_on_connect_timeout (gpointer data)
{
  VsaLiveness *self = data;

  self->connect_timeout_id = 0;
  self->end (VSA_END_REASON_NOT_CONNECTED,
             "not connected within " G_STRINGIFY (CONNECT_TIMEOUT_S) " s", self->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
vsa_liveness_on_disconnect_timeout (gpointer data)
{
  VsaLiveness *self = data;

  self->disconnect_timeout_id = 0;
  self->end (VSA_END_REASON_DISCONNECTED,
             "disconnected for " G_STRINGIFY (DISCONNECT_TIMEOUT_S) " s", self->user_data);
  return G_SOURCE_REMOVE;
}

static gint
vsa_liveness_monotonic_s (void)
{
  return (gint) (g_get_monotonic_time () / G_USEC_PER_SEC);
}

/* On the ICE transport's streaming thread: every packet the peer sends. */
static GstPadProbeReturn
vsa_liveness_on_received (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  VsaLiveness *self = data;

  g_atomic_int_set (&self->last_received_s, vsa_liveness_monotonic_s ());
  return GST_PAD_PROBE_OK;
}

static gboolean
vsa_liveness_check_peer (gpointer data)
{
  VsaLiveness *self = data;

  if (vsa_liveness_monotonic_s () - g_atomic_int_get (&self->last_received_s)
      < PEER_SILENCE_TIMEOUT_S)
    return G_SOURCE_CONTINUE;
  self->silence_id = 0;
  self->end (VSA_END_REASON_PEER_SILENT,
             "nothing from the browser for " G_STRINGIFY (PEER_SILENCE_TIMEOUT_S) " s",
             self->user_data);
  return G_SOURCE_REMOVE;
}

/* Watches what arrives from the peer: webrtcbin's transports receive through nicesrc. */
static void
vsa_liveness_watch_peer (VsaLiveness *self, GstElement *webrtc)
{
  g_autoptr (GstIterator) sources
      = gst_bin_iterate_all_by_element_factory_name (GST_BIN (webrtc), "nicesrc");
  GValue item = G_VALUE_INIT;

  g_atomic_int_set (&self->last_received_s, vsa_liveness_monotonic_s ());
  while (gst_iterator_next (sources, &item) == GST_ITERATOR_OK)
    {
      g_autoptr (GstPad) pad = gst_element_get_static_pad (g_value_get_object (&item), "src");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                         vsa_liveness_on_received, self, NULL);
      g_value_reset (&item);
    }
  g_value_unset (&item);
  self->silence_id = g_timeout_add_seconds (1, vsa_liveness_check_peer, self);
}

void
vsa_liveness_start (VsaLiveness *self)
{
  self->first_caps_timeout_id
      = g_timeout_add_seconds (FIRST_CAPS_TIMEOUT_S, vsa_liveness_on_first_caps_timeout, self);
  self->connect_timeout_id
      = g_timeout_add_seconds (CONNECT_TIMEOUT_S, vsa_liveness_on_connect_timeout, self);
}

void
vsa_liveness_caps_arrived (VsaLiveness *self)
{
  g_clear_handle_id (&self->first_caps_timeout_id, g_source_remove);
}

gboolean
vsa_liveness_connected (VsaLiveness *self, GstElement *webrtc)
{
  g_clear_handle_id (&self->disconnect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  if (self->connected)
    return FALSE;
  self->connected = TRUE;
  vsa_liveness_watch_peer (self, webrtc);
  return TRUE;
}

void
vsa_liveness_disconnected (VsaLiveness *self)
{
  if (self->disconnect_timeout_id == 0)
    self->disconnect_timeout_id
        = g_timeout_add_seconds (DISCONNECT_TIMEOUT_S, vsa_liveness_on_disconnect_timeout, self);
}

void
vsa_liveness_stop (VsaLiveness *self)
{
  g_clear_handle_id (&self->connect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->disconnect_timeout_id, g_source_remove);
  g_clear_handle_id (&self->first_caps_timeout_id, g_source_remove);
  g_clear_handle_id (&self->silence_id, g_source_remove);
}
