/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/* A budget for webrtcbin's RTX sender, which resends every packet a NACK names, at once
 * and without limit. On a link that has fallen below the stream, the browser NACKs what
 * the router's full queue dropped, the resends overflow it again, and so on: Firefox's
 * NACKs drove 10 Mbit/s of resends into a 1 Mbit/s link and 77 % of the media was lost
 * (BENCHMARKS.md, "Real networks" (c)). libwebrtc limits resends to its estimate over a
 * second. Here a retransmission request is let through only while the last second's
 * resends are under VSA_RTX_LIMIT_SHARE of the media bytes sent in it: a few % of
 * random loss is far under it, a storm is cut to it. Counts at the element's sink pad, so
 * it needs no codec, payload type or bitrate. */
#define VSA_RTX_LIMIT_SHARE 0.5
#define VSA_RTX_LIMIT_WINDOW_US G_USEC_PER_SEC

/* Attaches the budget to an rtprtxsend, for its lifetime. */
void vsa_rtx_limit_attach (GstElement *rtxsend);
/* Requests refused so far on @rtxsend (0 before attach). */
guint64 vsa_rtx_limit_get_refused (GstElement *rtxsend);

/* The budget's arithmetic, for its test: the media into the RTX sender, in bins of a
 * tenth of the window; whether a request may pass now, a resend counted at the media's
 * mean packet size if so, a refusal counted if not. */
typedef struct _VsaRtxBudget VsaRtxBudget;
VsaRtxBudget *vsa_rtx_budget_new (void);
void vsa_rtx_budget_free (VsaRtxBudget *self);
void vsa_rtx_budget_add_media (VsaRtxBudget *self, gsize bytes, guint packets, gint64 now_us);
gboolean vsa_rtx_budget_allows (VsaRtxBudget *self, gint64 now_us);

G_END_DECLS
