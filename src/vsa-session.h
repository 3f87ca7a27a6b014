#pragma once

#include <gio/gio.h>
#include <gst/sdp/sdp.h>

#include "vsa-codec.h"
#include "vsa-config.h"
#include "vsa-signaling.h"

G_BEGIN_DECLS

/* One offer answered by one webrtcbin. Signals are emitted on the main context:
 *   "answer-ready" (const char *sdp, GPtrArray *candidates): once, when ICE gathering
 *     completed or the answer window passed; candidates holds those gathered so far.
 *   "local-candidate" (VsaCandidate *): each candidate gathered after "answer-ready".
 *   "connected": ICE connected (first time).
 *   "ended" (const char *reason): the session failed or the peer is gone. */
#define VSA_TYPE_SESSION (vsa_session_get_type ())
G_DECLARE_FINAL_TYPE (VsaSession, vsa_session, VSA, SESSION, GObject)

VsaSession *vsa_session_new (const VsaConfig *config, const VsaCodecChoice *choice);

/* Builds the pipeline and starts negotiating @offer (parsed as @sdp). */
gboolean vsa_session_start (VsaSession *self, GstSDPMessage *sdp, GPtrArray *offer_candidates,
                            GPtrArray *ice_servers, GError **error);

/* Remote candidates may come at any time; they are buffered until the remote
 * description is set. Duplicates are ignored. */
void vsa_session_add_remote_candidate (VsaSession *self, const VsaCandidate *candidate);

/* "1280x720" once the capture size is known, else NULL. */
const char *vsa_session_get_resolution (VsaSession *self);

/* The encoder's current target bitrate: the configured bitrate until the browser's
 * receiver reports or transport-wide feedback say to go lower (and later back up). */
guint vsa_session_get_bitrate_kbps (VsaSession *self);
/* TRUE while loss is judged from the browser's transport-wide feedback (negotiated and
 * arriving) rather than from its receiver reports. */
gboolean vsa_session_get_loss_by_feedback (VsaSession *self);

/* Does once per process, on a worker thread, what the first session would otherwise do
 * on its critical path (libsrtp's start, the DTLS certificate). FALSE: no DTLS plugin. */
void vsa_session_prepare_async (GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean vsa_session_prepare_finish (GAsyncResult *result, GError **error);

/* Tears the pipeline down; no signal is emitted afterwards. */
void vsa_session_stop (VsaSession *self);

G_END_DECLS
