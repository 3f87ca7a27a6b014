/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "vsa-codec.h"
#include "vsa-config.h"

G_BEGIN_DECLS

/* The media half of a session: capture → convert → encode → payload → pace, as a bin with one
 * "src" ghost pad producing RTP with the chosen payload type. */
/* Adds elements[0..n) to bin and links them in order. A NULL entry (an element that
 * could not be made) fails with GST_CORE_ERROR_MISSING_PLUGIN and frees the others. */
gboolean vsa_pipeline_add_linked (GstBin *bin, GstElement **elements, guint n, GError **error);

GstElement *vsa_pipeline_new_video_bin (const VsaConfig *config, const VsaCodecChoice *choice,
                                        GError **error);

/* The RTP header extensions the payloader writes for @choice, under the offer's ids:
 * playout-delay and transport-wide sequence numbers, each when offered (TWCC also needs
 * rtpmanager's rtphdrexttwcc). webrtcbin answers the extmaps of the payloader's caps. */
GPtrArray *vsa_pipeline_new_header_extensions (const VsaCodecChoice *choice);

/* The bin's packets leave no faster than this (vsa-pacer.h): 2.5 × the target, as
 * libwebrtc's pacer, so that a frame over its share (a keyframe, a frame after a change)
 * is spread over a few frame times instead of leaving at line rate. */
#define VSA_PIPELINE_PACING_KBPS(target_kbps) ((target_kbps) *5 / 2)

/* Sets the encoder's target bitrate while it runs (x264enc, vaapih264enc and vpxenc all
 * reconfigure live, their VBV/CPB sizes in ms following), and the pacing rate with it. */
void vsa_pipeline_set_bitrate (GstElement *video_bin, VsaCodec codec, guint kbps);
/* Has the pacer send a probe of @n_packets padding packets at @kbps (vsa_pacer_probe());
 * FALSE when it cannot. */
gboolean vsa_pipeline_probe (GstElement *video_bin, guint kbps, guint n_packets);

/* The elements the configured source and encoders need that are not installed, or NULL. */
char *vsa_pipeline_missing_elements (const VsaConfig *config);

G_END_DECLS
