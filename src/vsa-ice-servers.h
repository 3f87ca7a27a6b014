/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "vsa-config.h"
#include "vsa-controller.h"

G_BEGIN_DECLS

/* The controller's ICE servers, kept fresh for the next offer. TURN credentials expire and
 * the controller does not say when: a list is used for ice-servers-max-age at most and
 * fetched again at half that age, so an offer finds a fresh one and does not wait for a
 * request. Main context only. */
typedef struct _VsaIceServers VsaIceServers;

VsaIceServers *vsa_ice_servers_new (VsaController *controller, const VsaConfig *config);
void vsa_ice_servers_free (VsaIceServers *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaIceServers, vsa_ice_servers_free)

/* Fetches now and again every half max age, until stopped. A failed refresh keeps the
 * list it had (logged at debug level: an offer that finds no fresh list fetches its own,
 * and that failure is reported). */
void vsa_ice_servers_start_refresh (VsaIceServers *self);
void vsa_ice_servers_stop_refresh (VsaIceServers *self);

/* The list if one younger than the max age is kept (borrowed), else NULL. */
GPtrArray *vsa_ice_servers_get_fresh (VsaIceServers *self);
/* Keeps servers (a list fetched for an offer) as the fresh one. */
void vsa_ice_servers_keep (VsaIceServers *self, GPtrArray *servers);

G_END_DECLS
