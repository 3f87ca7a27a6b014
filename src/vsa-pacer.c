/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-pacer.h"

#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-pacer"

struct _VsaPacer
{
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;

  GMutex lock; /* guards the three below; cond wakes a wait on a change */
  GCond cond;
  guint kbps;
  gboolean flushing;
  gint64 next_us;
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
          break;
        }
      /* woken early by a new bitrate or a flush: the schedule is made again */
      g_cond_wait_until (&self->cond, &self->lock, send_at);
    }
  flushing = self->flushing;
  g_mutex_unlock (&self->lock);
  return !flushing;
}

static GstFlowReturn
vsa_pacer_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  VsaPacer *self = VSA_PACER (parent);

  if (!vsa_pacer_wait (self, gst_buffer_get_size (buffer)))
    {
      gst_buffer_unref (buffer);
      return GST_FLOW_FLUSHING;
    }
  return gst_pad_push (self->srcpad, buffer);
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

static void
vsa_pacer_set_flushing (VsaPacer *self, gboolean flushing)
{
  g_mutex_lock (&self->lock);
  self->flushing = flushing;
  if (!flushing)
    self->next_us = 0;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static gboolean
vsa_pacer_sink_event (GstPad *pad, GstObject *parent, GstEvent *event)
{
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

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    vsa_pacer_set_flushing (self, FALSE);
  else if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    vsa_pacer_set_flushing (self, TRUE); /* a wait in progress ends: the queue can stop */
  return GST_ELEMENT_CLASS (vsa_pacer_parent_class)->change_state (element, transition);
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
