/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The waiting offer poll, cheap: the same GET on one kept-alive plain-HTTP connection,
 * its request written once, and only a 404 with a small Content-Length understood. A
 * poll through libsoup (a message, its headers, streams, sources and tasks) cost about
 * 0.5 ms of CPU; this costs a send, a receive and a wakeup. Anything else (https, a
 * 200, an error, a slow or odd reply) is left to libsoup: the probe drops its
 * connection and says so. Main context only. */
typedef struct _VsaOfferProbe VsaOfferProbe;

/* The result of a probe: TRUE for a 404, FALSE when libsoup should ask instead. */
typedef void (*VsaOfferProbeCallback) (gboolean not_found, gpointer data);

/* NULL unless url is http://. authorization: the header's value, or NULL. */
VsaOfferProbe *vsa_offer_probe_new (const char *url, const char *authorization, guint timeout_s);
void vsa_offer_probe_free (VsaOfferProbe *self);

/* Sends the GET and calls callback once with its result, within timeout_s. FALSE (and
 * no callback) when it cannot now: no connection yet (one is made for the next time) or
 * a probe in flight. */
gboolean vsa_offer_probe_send (VsaOfferProbe *self, VsaOfferProbeCallback callback, gpointer data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaOfferProbe, vsa_offer_probe_free)

G_END_DECLS
