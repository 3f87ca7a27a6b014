/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

/* Checks of SDP (an answer the agent wrote) on GStreamer's parse of it, not on split
 * lines: a media section by kind, its attributes by key. */

/* text parsed; NULL if it is not SDP */
GstSDPMessage *vsa_test_sdp_parse (const char *text);
/* the first media section of kind ("video", "application"), or NULL */
const GstSDPMedia *vsa_test_sdp_get_media (const GstSDPMessage *sdp, const char *kind);
/* the values of media's attributes named key, in order ("" for a flag such as sendonly) */
GStrv vsa_test_sdp_get_attributes (const GstSDPMedia *media, const char *key);
/* media's extmap for uri without the uri ("5", "6/sendonly"), or NULL */
char *vsa_test_sdp_get_extmap (const GstSDPMedia *media, const char *uri);

G_END_DECLS
