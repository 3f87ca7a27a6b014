/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"
#include "vsa-session-host.h"

G_BEGIN_DECLS

/* Standalone mode: the browser brings its offer to the agent over WHEP (RFC 9725's rules
 * shared by WHIP and WHEP, draft-ietf-wish-whep) instead of the controller. On the main
 * context:
 *   POST /whep (application/sdp offer) → 201, the answer with the agent's candidates,
 *     Location /whep/<id>, an ETag, and a Link per configured ICE server; a new POST
 *     replaces the current session (one viewer at a time); 415 for another content type,
 *     400 for an offer that cannot be answered, 401 without the configured token as
 *     "Authorization: Bearer".
 *   PATCH /whep/<id> (application/trickle-ice-sdpfrag) → 204, the client's candidates
 *     added; 415, 400 for a fragment that cannot be read, 412 for an If-Match that is not
 *     the ETag, 422 for an ICE restart (webrtcbin cannot restart).
 *   DELETE /whep/<id> → 200 and the session ends; 404 for any other id.
 *   OPTIONS → 204 with Allow (before the token: a CORS preflight carries none), and ICE
 *     servers as Link to a client that showed the token. Any other method → 405, Allow.
 *   With allow-origins, a request whose Origin is listed gets CORS headers.
 *   GET / → the viewer page (redirected to /?flow=whep unless a flow is given). */
typedef struct _VsaWhep VsaWhep;

VsaWhep *vsa_whep_new (const VsaConfig *config);
/* Tears the session down; a POST still waiting gets 503. */
void vsa_whep_free (VsaWhep *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaWhep, vsa_whep_free)

/* Listens on address (an IP literal) and port (0: a free one) on the thread-default
 * main context. */
gboolean vsa_whep_listen (VsaWhep *self, const char *address, guint port, GError **error);
/* The port listened on, 0 before vsa_whep_listen(). */
guint vsa_whep_get_port (VsaWhep *self);
/* The session host: state, the current session, counters. */
VsaSessionHost *vsa_whep_get_host (VsaWhep *self);

G_END_DECLS
