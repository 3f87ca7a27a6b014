/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-ice-servers.h"

struct _VsaIceServers
{
  VsaController *controller;
  const VsaConfig *config;
  GCancellable *cancellable; /* the refresh's request; cancelled by stop */
  GPtrArray *servers;        /* or NULL */
  gint64 fetched_at;         /* monotonic µs */
  guint refresh_id;
};

VsaIceServers *
vsa_ice_servers_new (VsaController *controller, const VsaConfig *config)
{
  VsaIceServers *self = g_new0 (VsaIceServers, 1);

  self->controller = g_object_ref (controller);
  self->config = config;
  return self;
}

void
vsa_ice_servers_free (VsaIceServers *self)
{
  if (self == NULL)
    return;
  vsa_ice_servers_stop_refresh (self);
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  g_object_unref (self->controller);
  g_free (self);
}

GPtrArray *
vsa_ice_servers_get_fresh (VsaIceServers *self)
{
  if (self->servers == NULL
      || g_get_monotonic_time () - self->fetched_at
             >= (gint64) self->config->ice_servers_max_age_s * G_USEC_PER_SEC)
    return NULL;
  return self->servers;
}

void
vsa_ice_servers_keep (VsaIceServers *self, GPtrArray *servers)
{
  g_clear_pointer (&self->servers, g_ptr_array_unref);
  self->servers = g_ptr_array_ref (servers);
  self->fetched_at = g_get_monotonic_time ();
}

static gboolean vsa_ice_servers_refresh (gpointer data);

static void
vsa_ice_servers_on_refreshed (GObject *source, GAsyncResult *result, gpointer data)
{
  VsaIceServers *self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) servers = NULL;

  servers = vsa_controller_get_ice_servers_finish (VSA_CONTROLLER (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (servers == NULL)
    g_debug ("session %s: ICE servers not refreshed: %s", self->config->session_id, error->message);
  else
    vsa_ice_servers_keep (self, servers);
  self->refresh_id = g_timeout_add_seconds (MAX (1, self->config->ice_servers_max_age_s / 2),
                                            vsa_ice_servers_refresh, self);
}

static gboolean
vsa_ice_servers_refresh (gpointer data)
{
  VsaIceServers *self = data;

  self->refresh_id = 0;
  vsa_controller_get_ice_servers_async (self->controller, self->cancellable,
                                        vsa_ice_servers_on_refreshed, self);
  return G_SOURCE_REMOVE;
}

void
vsa_ice_servers_start_refresh (VsaIceServers *self)
{
  vsa_ice_servers_stop_refresh (self);
  self->cancellable = g_cancellable_new ();
  vsa_ice_servers_refresh (self);
}

void
vsa_ice_servers_stop_refresh (VsaIceServers *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
}
