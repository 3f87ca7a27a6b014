/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-pacer.h"

#include <string.h>

#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-pacer"

#include "vsa-bwe-probe.h"
#include "vsa-codec.h"

#define RTP_HEADER_BYTES 12
/* the one-byte header extension block (RFC 8285) with the transport-wide number alone */
#define PROBE_EXTENSION_BYTES 8
/* A probe waiting for the end of a frame looks again this often. */
#define PROBE_FRAME_WAIT_US 1000

struct _VsaPacer
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex lock; /* guards the fields up to push_lock; cond wakes a wait on a change */
  GCond cond;
  guint kbps;
  gboolean flushing;
  gint64 next_us;
  gboolean paced; /* a packet went through since the start */
  guint8 twcc_id; /* the transport-wide number's extension id in the caps; 0: none */
  /* a probe: padding packets left to send, when the next may leave, their spacing */
  guint probe_left;
  gint64 probe_next_us;
  gint64 probe_gap_us;
  gboolean probe_held;   /* by a frame: the spacing counts from when the next one leaves */
  GThread *probe_thread; /* sends them, from READY to PAUSED until back */
  gboolean probe_thread_stop;

  /* Held while a packet is numbered and pushed, by the streaming thread and the probe
   * thread: the padding goes on the media's SSRC, between its packets, so the media's
   * numbers after it move up by one each. Guards the fields below. */
  GMutex push_lock;
  gboolean have_media;
  guint8 header[RTP_HEADER_BYTES]; /* the last media packet's, as it went out */
  GstClockTime pts;                /* its timestamp */
  guint16 seq_offset;              /* padding packets sent so far */
};

G_DEFINE_FINAL_TYPE (VsaPacer, vsa_pacer, GST_TYPE_ELEMENT)

enum
{
  PROP_0,
  PROP_BITRATE,
};

static GstStaticPadTemplate sink_template
    = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate src_template
    = GST_STATIC_PAD_TEMPLATE ("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

gint64
vsa_pacer_schedule (gint64 *next_us, gint64 now_us, gsize bytes, guint kbps)
{
  gint64 send_us;

  if (kbps == 0)
    return now_us;
  /* idle time earns no credit beyond the burst allowance */
  *next_us = MAX (*next_us, now_us);
  send_us = MAX (now_us, *next_us - VSA_PACER_BURST_US);
  *next_us += (gint64) bytes * 8000 / kbps;
  return send_us;
}

/* Waits for @bytes' turn; FALSE when flushing (the element stops or flushes). */
static gboolean
vsa_pacer_wait (VsaPacer *self, gsize bytes)
{
  gboolean flushing;

  g_mutex_lock (&self->lock);
  for (;;)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 next = self->next_us;
      gint64 send_at = vsa_pacer_schedule (&next, now, bytes, self->kbps);

      if (self->flushing || send_at <= now)
        {
          self->next_us = next;
          self->paced = TRUE;
          break;
        }
      /* woken early by a new bitrate or a flush: the schedule is made again */
      g_cond_wait_until (&self->cond, &self->lock, send_at);
    }
  flushing = self->flushing;
  g_mutex_unlock (&self->lock);
  return !flushing;
}

/* Under the push lock: @buffer's sequence number moved past the padding sent so far, and
 * its header kept for the next padding packet. */
static GstBuffer *
vsa_pacer_number (VsaPacer *self, GstBuffer *buffer)
{
  GstMapInfo map;

  if (self->seq_offset != 0)
    {
      buffer = gst_buffer_make_writable (buffer);
      /* the header alone: the payload's memory may be the encoder's, shared */
      if (gst_buffer_map_range (buffer, 0, 1, &map, GST_MAP_READWRITE))
        {
          if (map.size >= RTP_HEADER_BYTES)
            GST_WRITE_UINT16_BE (map.data + 2,
                                 GST_READ_UINT16_BE (map.data + 2) + self->seq_offset);
          gst_buffer_unmap (buffer, &map);
        }
    }
  if (gst_buffer_map_range (buffer, 0, 1, &map, GST_MAP_READ))
    {
      if (map.size >= RTP_HEADER_BYTES && (map.data[0] & 0xc0) == 0x80)
        {
          memcpy (self->header, map.data, RTP_HEADER_BYTES);
          self->pts = GST_BUFFER_PTS (buffer);
          self->have_media = TRUE;
        }
      gst_buffer_unmap (buffer, &map);
    }
  return buffer;
}

static GstFlowReturn
vsa_pacer_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  VsaPacer *self = VSA_PACER (parent);
  GstFlowReturn ret;

  if (!vsa_pacer_wait (self, gst_buffer_get_size (buffer)))
    {
      gst_buffer_unref (buffer);
      return GST_FLOW_FLUSHING;
    }
  g_mutex_lock (&self->push_lock);
  ret = gst_pad_push (self->srcpad, vsa_pacer_number (self, buffer));
  g_mutex_unlock (&self->push_lock);
  return ret;
}

/* A payloader's list (a frame's packets) goes out packet by packet. */
static GstFlowReturn
vsa_pacer_chain_list (GstPad *pad, GstObject *parent, GstBufferList *list)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint n = gst_buffer_list_length (list);

  for (guint i = 0; i < n && ret == GST_FLOW_OK; i++)
    ret = vsa_pacer_chain (pad, parent, gst_buffer_ref (gst_buffer_list_get (list, i)));
  gst_buffer_list_unref (list);
  return ret;
}

/* A padding packet with @header's (12 bytes) payload type, number, timestamp and SSRC,
 * the extension @twcc_id (its number 0, for rtpsession to write) and
 * VSA_BWE_PROBE_PADDING bytes of padding. */
static GstBuffer *
vsa_pacer_new_padding (const guint8 *header, guint8 twcc_id)
{
  gsize size = RTP_HEADER_BYTES + PROBE_EXTENSION_BYTES + VSA_BWE_PROBE_PADDING;
  GstBuffer *buffer = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;

  gst_buffer_map (buffer, &map, GST_MAP_WRITE);
  memset (map.data, 0, size);
  memcpy (map.data, header, RTP_HEADER_BYTES);
  map.data[0] = 0x80 | 0x20 | 0x10; /* version 2, padding, an extension, no CSRC */
  map.data[1] &= 0x7f;              /* no marker */
  GST_WRITE_UINT16_BE (map.data + RTP_HEADER_BYTES, 0xbede);
  GST_WRITE_UINT16_BE (map.data + RTP_HEADER_BYTES + 2, 1); /* one 32-bit word */
  /* rtpsession writes the number into the two bytes after the id and length - 1 */
  map.data[RTP_HEADER_BYTES + 4] = (guint8) (twcc_id << 4 | 1);
  map.data[size - 1] = VSA_BWE_PROBE_PADDING;
  gst_buffer_unmap (buffer, &map);
  return buffer;
}

/* One padding packet, numbered after the last media packet if that ended a frame (its
 * marker): FALSE if not. A browser puts a frame together from consecutive numbers
 * (libwebrtc's packet buffer: H264 frames have no other reference), so padding in the
 * middle of one loses the frame, and the decoder waits for a keyframe. */
static gboolean
vsa_pacer_push_padding (VsaPacer *self, guint8 twcc_id)
{
  GstBuffer *buffer;
  gboolean between_frames;

  g_mutex_lock (&self->push_lock);
  between_frames = self->have_media && (self->header[1] & 0x80) != 0;
  if (between_frames)
    {
      GST_WRITE_UINT16_BE (self->header + 2, GST_READ_UINT16_BE (self->header + 2) + 1);
      self->seq_offset++;
      buffer = vsa_pacer_new_padding (self->header, twcc_id);
      GST_BUFFER_PTS (buffer) = self->pts;
      gst_pad_push (self->srcpad, buffer); /* flushing or not, the probe goes on */
    }
  g_mutex_unlock (&self->push_lock);
  return between_frames;
}

/* The probe thread: each padding packet at its time, between the media's. */
static gpointer
vsa_pacer_probe_loop (gpointer data)
{
  VsaPacer *self = data;

  g_mutex_lock (&self->lock);
  while (!self->probe_thread_stop)
    {
      gint64 now = g_get_monotonic_time ();
      guint8 twcc_id = self->twcc_id;

      if (self->probe_left == 0)
        g_cond_wait (&self->cond, &self->lock);
      else if (now < self->probe_next_us)
        g_cond_wait_until (&self->cond, &self->lock, self->probe_next_us);
      else
        {
          gboolean sent;

          g_mutex_unlock (&self->lock);
          sent = vsa_pacer_push_padding (self, twcc_id);
          g_mutex_lock (&self->lock);
          /* In the middle of a frame the probe pauses until its end. A late packet lets
           * the next go sooner, but not one held by a frame: the time it waited (its
           * last look may be a while before the frame ended) is not made up in a burst. */
          if (self->probe_left > 0 && sent)
            {
              self->probe_left--;
              self->probe_next_us
                  = (self->probe_held ? now : self->probe_next_us) + self->probe_gap_us;
              self->probe_held = FALSE;
            }
          else if (self->probe_left > 0)
            {
              self->probe_next_us = now + PROBE_FRAME_WAIT_US;
              self->probe_held = TRUE;
            }
        }
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

gboolean
vsa_pacer_probe (VsaPacer *self, guint kbps, guint n_packets)
{
  gboolean started = FALSE;

  g_return_val_if_fail (VSA_IS_PACER (self), FALSE);
  g_mutex_lock (&self->lock);
  if (self->paced && self->twcc_id != 0 && self->probe_thread != NULL && !self->flushing
      && self->probe_left == 0 && kbps > 0)
    {
      self->probe_left = n_packets;
      self->probe_gap_us = (gint64) VSA_BWE_PROBE_PADDING * 8000 / kbps;
      self->probe_next_us = g_get_monotonic_time ();
      self->probe_held = FALSE;
      g_cond_broadcast (&self->cond);
      started = TRUE;
    }
  g_mutex_unlock (&self->lock);
  return started;
}

/* The id of the transport-wide number in the payloader's caps ("extmap-<id>": the URI,
 * or direction, URI and attributes); 0 when it has none. */
static guint8
vsa_pacer_find_twcc_id (GstCaps *caps)
{
  const GstStructure *s = gst_caps_get_size (caps) > 0 ? gst_caps_get_structure (caps, 0) : NULL;

  for (int i = 0; s != NULL && i < gst_structure_n_fields (s); i++)
    {
      const char *name = gst_structure_nth_field_name (s, i);
      const GValue *value = gst_structure_get_value (s, name);
      guint64 id;

      if (!g_str_has_prefix (name, "extmap-")
          || !g_ascii_string_to_unsigned (name + strlen ("extmap-"), 10, 1, 14, &id, NULL))
        continue;
      if (GST_VALUE_HOLDS_ARRAY (value) && gst_value_array_get_size (value) >= 2)
        value = gst_value_array_get_value (value, 1);
      if (G_VALUE_HOLDS_STRING (value)
          && g_strcmp0 (g_value_get_string (value), VSA_CODEC_TWCC_URI) == 0)
        return (guint8) id;
    }
  return 0;
}

static void
vsa_pacer_set_flushing (VsaPacer *self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (flushing)
    self->probe_left = 0;
  if (!flushing)
    self->next_us = 0;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
vsa_pacer_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
  VsaPacer *self = VSA_PACER (parent);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
    {
      GstCaps *caps;

      gst_event_parse_caps (event, &caps);
      g_mutex_lock (&self->lock);
      self->twcc_id = vsa_pacer_find_twcc_id (caps);
      g_mutex_unlock (&self->lock);
    }
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    vsa_pacer_set_flushing (VSA_PACER (parent), TRUE);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    vsa_pacer_set_flushing (VSA_PACER (parent), FALSE);
  return gst_pad_event_default (pad, parent, event);
}

static GstStateChangeReturn
vsa_pacer_change_state (GstElement *element, GstStateChange transition)
{
  VsaPacer *self = VSA_PACER (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    {
      vsa_pacer_set_flushing (self, FALSE);
      g_mutex_lock (&self->lock);
      self->probe_thread_stop = FALSE;
      self->probe_thread = g_thread_new ("vsa-pacer-probe", vsa_pacer_probe_loop, self);
      g_mutex_unlock (&self->lock);
    }
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      vsa_pacer_set_flushing (self, TRUE); /* a wait in progress ends: the queue can stop */
      g_mutex_lock (&self->lock);
      self->probe_thread_stop = TRUE;
      g_cond_broadcast (&self->cond);
      g_mutex_unlock (&self->lock);
    }
  ret = GST_ELEMENT_CLASS (vsa_pacer_parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    {
      GThread *thread;

      g_mutex_lock (&self->lock);
      thread = g_steal_pointer (&self->probe_thread);
      self->paced = FALSE;
      g_mutex_unlock (&self->lock);
      if (thread != NULL)
        g_thread_join (thread);
      g_mutex_lock (&self->push_lock);
      self->have_media = FALSE;
      self->seq_offset = 0;
      g_mutex_unlock (&self->push_lock);
    }
  return ret;
}

static void
vsa_pacer_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  VsaPacer *self = VSA_PACER (object);

  if (prop_id != PROP_BITRATE)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_mutex_lock (&self->lock);
  self->kbps = g_value_get_uint (value);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
vsa_pacer_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VsaPacer *self = VSA_PACER (object);

  if (prop_id != PROP_BITRATE)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_mutex_lock (&self->lock);
  g_value_set_uint (value, self->kbps);
  g_mutex_unlock (&self->lock);
}

static void
vsa_pacer_finalize (GObject *object)
{
  VsaPacer *self = VSA_PACER (object);

  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->push_lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (vsa_pacer_parent_class)->finalize (object);
}

static void
vsa_pacer_class_init (VsaPacerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  object_class->set_property = vsa_pacer_set_property;
  object_class->get_property = vsa_pacer_get_property;
  object_class->finalize = vsa_pacer_finalize;
  element_class->change_state = vsa_pacer_change_state;
  g_object_class_install_property (
      object_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bitrate", "Pacing rate in kbit/s (0: no pacing)", 0, G_MAXUINT,
                         0, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "RTP pacer", "Filter/Network/RTP",
                                         "Spaces packets at a bitrate", "vm-stream-agent");
}

static void
vsa_pacer_init (VsaPacer *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->push_lock);
  g_cond_init (&self->cond);
  self->flushing = TRUE;
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad, vsa_pacer_chain);
  gst_pad_set_chain_list_function (self->sinkpad, vsa_pacer_chain_list);
  gst_pad_set_event_function (self->sinkpad, vsa_pacer_sink_event);
  GST_PAD_SET_PROXY_CAPS (self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION (self->sinkpad);
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  GST_PAD_SET_PROXY_CAPS (self->srcpad);
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);
}

gboolean
vsa_pacer_register (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      gboolean ok = gst_element_register (NULL, "vsapacer", GST_RANK_NONE, VSA_TYPE_PACER);

      g_once_init_leave (&registered, ok ? 1 : 2);
    }
  return registered == 1;
}
