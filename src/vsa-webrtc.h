/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "vsa-codec.h"
#include "vsa-signaling.h"

G_BEGIN_DECLS

/* webrtcbin as the session sends with it: made, given the ICE servers, its video
 * transceiver set up, and its answer checked. Called on the main context, except
 * vsa_webrtc_check_answer() (any thread). */

/* A webrtcbin named "webrtc" for one offer: max-bundle, no jitter buffer (we only send),
 * @ice_servers (may be NULL: the first STUN server, every TURN one), no UPnP, a short RTX
 * history. NULL when webrtcbin is not installed. */
GstElement *vsa_webrtc_new (GPtrArray *ice_servers, GError **error);

/* @url, one of @server's URLs, as webrtcbin takes it: "stun:host:port" (or
 * "stun://host:port") → "stun://host:port", "stuns:" likewise (which webrtcbin is not
 * given); a "turn:" or "turns:" URL with @server's user name and credential
 * percent-escaped into it, "turn://user:pass@host:port?transport=tcp" (each empty when
 * @server has none). @url has a scheme (vsa_ice_servers_parse() keeps only stun:, stuns:,
 * turn: and turns: URLs). Public for its test. */
char *vsa_webrtc_ice_server_uri (const char *url, const VsaIceServer *server);

/* Links @video_src to a new sendonly video transceiver of @webrtc (both in one bin) that
 * prefers exactly what @choice sends, with NACKs; returns webrtcbin's sink pad. */
GstPad *vsa_webrtc_add_video (GstElement *webrtc, GstPad *video_src, const VsaCodecChoice *choice,
                              GError **error);

/* NULL when @answer sends our video on @mline, else why it would show a black screen. */
char *vsa_webrtc_check_answer (const GstSDPMessage *answer, guint mline);

G_END_DECLS
