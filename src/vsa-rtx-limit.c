/* SPDX-License-Identifier: LGPL-2.1-or-later */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-rtx-limit"

#include "vsa-rtx-limit.h"

#define BINS 10
#define BIN_US (VSA_RTX_LIMIT_WINDOW_US / BINS)
#define REQUEST_EVENT "GstRTPRetransmissionRequest"

struct _VsaRtxBudget
{
  GMutex lock;
  gint64 bin[BINS];                   /* which bin (time / BIN_US) each slot holds */
  guint64 media[BINS], packets[BINS]; /* into the RTX sender */
  double resent[BINS];                /* granted resends, at the media's mean packet size */
  guint64 refused;
};

VsaRtxBudget *
vsa_rtx_budget_new (void)
{
  VsaRtxBudget *self = g_new0 (VsaRtxBudget, 1);

  g_mutex_init (&self->lock);
  for (guint i = 0; i < BINS; i++)
    self->bin[i] = -1;
  return self;
}

void
vsa_rtx_budget_free (VsaRtxBudget *self)
{
  if (self == NULL)
    return;
  g_mutex_clear (&self->lock);
  g_free (self);
}

/* Under the lock: the slot of now's bin, emptied if it held an older one. */
static guint
vsa_rtx_budget_slot (VsaRtxBudget *self, gint64 now_us)
{
  gint64 bin = now_us / BIN_US;
  guint slot = (guint) (bin % BINS);

  if (self->bin[slot] != bin)
    {
      self->bin[slot] = bin;
      self->media[slot] = self->packets[slot] = 0;
      self->resent[slot] = 0;
    }
  return slot;
}

void
vsa_rtx_budget_add_media (VsaRtxBudget *self, gsize bytes, guint packets, gint64 now_us)
{
  guint slot;

  g_mutex_lock (&self->lock);
  slot = vsa_rtx_budget_slot (self, now_us);
  self->media[slot] += bytes;
  self->packets[slot] += packets;
  g_mutex_unlock (&self->lock);
}

gboolean
vsa_rtx_budget_allows (VsaRtxBudget *self, gint64 now_us)
{
  gint64 newest = now_us / BIN_US;
  guint64 media = 0, packets = 0;
  double resent = 0, size;
  gboolean allows;

  g_mutex_lock (&self->lock);
  for (guint i = 0; i < BINS; i++)
    if (self->bin[i] > newest - BINS)
      {
        media += self->media[i];
        packets += self->packets[i];
        resent += self->resent[i];
      }
  /* counted when granted: a NACK's requests come all at once, before any resend leaves */
  size = packets > 0 ? (double) media / packets : 0;
  allows = packets > 0 && resent + size <= VSA_RTX_LIMIT_SHARE * media;
  if (allows)
    self->resent[vsa_rtx_budget_slot (self, now_us)] += size;
  else
    self->refused++;
  g_mutex_unlock (&self->lock);
  return allows;
}

static GstPadProbeReturn
vsa_rtx_limit_count_media (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  gint64 now = g_get_monotonic_time ();

  if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
    {
      GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

      vsa_rtx_budget_add_media (data, gst_buffer_list_calculate_size (list),
                                gst_buffer_list_length (list), now);
    }
  else
    vsa_rtx_budget_add_media (data, gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info)), 1, now);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
vsa_rtx_limit_filter_requests (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (!gst_event_has_name (event, REQUEST_EVENT)
      || vsa_rtx_budget_allows (data, g_get_monotonic_time ()))
    return GST_PAD_PROBE_OK;
  g_debug ("retransmission refused: resends over %.0f %% of the media in the last second",
           VSA_RTX_LIMIT_SHARE * 100);
  return GST_PAD_PROBE_DROP;
}

void
vsa_rtx_limit_attach (GstElement *rtxsend)
{
  VsaRtxBudget *budget = vsa_rtx_budget_new ();
  g_autoptr (GstPad) sink = gst_element_get_static_pad (rtxsend, "sink");
  g_autoptr (GstPad) src = gst_element_get_static_pad (rtxsend, "src");
  const GstPadProbeType data = GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST;

  /* the budget lives as long as the element and its pads' probes */
  g_object_set_data_full (G_OBJECT (rtxsend), "vsa-rtx-budget", budget,
                          (GDestroyNotify) vsa_rtx_budget_free);
  gst_pad_add_probe (sink, data, vsa_rtx_limit_count_media, budget, NULL);
  gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, vsa_rtx_limit_filter_requests, budget,
                     NULL);
}

guint64
vsa_rtx_limit_get_refused (GstElement *rtxsend)
{
  VsaRtxBudget *budget = g_object_get_data (G_OBJECT (rtxsend), "vsa-rtx-budget");
  guint64 refused;

  if (budget == NULL)
    return 0;
  g_mutex_lock (&budget->lock);
  refused = budget->refused;
  g_mutex_unlock (&budget->lock);
  return refused;
}
