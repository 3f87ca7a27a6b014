/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-x11-connection.h"

void
vsa_x11_connection_init (VsaX11Connection *self, gint64 retry_interval_us)
{
  *self = (VsaX11Connection){ .retry_interval_us = retry_interval_us };
}

const char *
vsa_x11_connection_label (const char *display)
{
  if (display == NULL)
    display = g_getenv ("DISPLAY");
  return display != NULL ? display : "";
}

gboolean
vsa_x11_connection_is_up (const VsaX11Connection *self)
{
  return self->conn != NULL && !xcb_connection_has_error (self->conn);
}

gboolean
vsa_x11_connection_may_try (const VsaX11Connection *self)
{
  return g_get_monotonic_time () >= self->next_try_us;
}

gboolean
vsa_x11_connection_open (VsaX11Connection *self, const char *display)
{
  xcb_screen_iterator_t screens;

  g_return_val_if_fail (self->conn == NULL, FALSE);

  vsa_x11_connection_hold_off (self);
  self->conn = xcb_connect (display, &self->screen_number);
  if (xcb_connection_has_error (self->conn))
    return FALSE;
  /* xcb_connect fails for a screen the display does not have
   * (XCB_CONN_CLOSED_INVALID_SCREEN): this one is there. */
  screens = xcb_setup_roots_iterator (xcb_get_setup (self->conn));
  for (int i = 0; i < self->screen_number; i++)
    xcb_screen_next (&screens);
  self->screen = screens.data;
  return TRUE;
}

const xcb_query_extension_reply_t *
vsa_x11_connection_extension (VsaX11Connection *self, xcb_extension_t *extension)
{
  const xcb_query_extension_reply_t *reply = xcb_get_extension_data (self->conn, extension);

  return reply != NULL && reply->present ? reply : NULL;
}

void
vsa_x11_connection_mark_up (VsaX11Connection *self)
{
  self->down = FALSE;
}

gboolean
vsa_x11_connection_mark_down (VsaX11Connection *self)
{
  gboolean was_up = !self->down;

  self->down = TRUE;
  return was_up;
}

void
vsa_x11_connection_close (VsaX11Connection *self)
{
  g_clear_pointer (&self->conn, xcb_disconnect);
  self->screen = NULL;
}

void
vsa_x11_connection_hold_off (VsaX11Connection *self)
{
  self->next_try_us = g_get_monotonic_time () + self->retry_interval_us;
}
