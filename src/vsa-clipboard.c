/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "vsa-clipboard.h"

#include <string.h>

#include <glib-unix.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include "vsa-x11-connection.h"

/* A display that went away is tried again at most this often. */
#define RECONNECT_INTERVAL_US G_USEC_PER_SEC

enum
{
  ATOM_CLIPBOARD,
  ATOM_PRIMARY,
  ATOM_UTF8_STRING,
  ATOM_TEXT,
  ATOM_TARGETS,
  ATOM_TIMESTAMP,
  ATOM_STRING,
  ATOM_INCR,
  ATOM_INTEGER,
  ATOM_ATOM,
  ATOM_PROPERTY, /* ours: where conversions for us land */
  ATOM_STAMP,    /* ours: appended to for a server timestamp */
  N_ATOMS
};

static const char *const atom_names[N_ATOMS] = {
  "CLIPBOARD", "PRIMARY", "UTF8_STRING", "TEXT", "TARGETS",        "TIMESTAMP",
  "STRING",    "INCR",    "INTEGER",     "ATOM", "_VSA_CLIPBOARD", "_VSA_TIMESTAMP",
};

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _VsaClipboard
{
  GObject parent_instance;

  char *display;
  GMainContext *context;
  VsaX11Connection x11;
  xcb_window_t window;
  xcb_atom_t atoms[N_ATOMS];
  guint8 xfixes_event_base;
  GSource *source;
  GSource *idle;
  GQueue deferred; /* events read while waiting for a timestamp */

  /* what we own CLIPBOARD and PRIMARY with, since owned_at */
  char *text;
  gboolean owns_clipboard, owns_primary;
  xcb_timestamp_t owned_at;

  /* the target asked for of the current owner, XCB_NONE when not converting */
  xcb_atom_t converting;
  /* the last text set or reported: a change is reported once */
  char *last_text;
};

G_DEFINE_FINAL_TYPE (VsaClipboard, vsa_clipboard, G_TYPE_OBJECT)

static gboolean vsa_clipboard_on_readable (int fd, GIOCondition condition, gpointer user_data);

static void
vsa_clipboard_disconnect (VsaClipboard *self)
{
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  if (self->idle != NULL)
    {
      g_source_destroy (self->idle);
      g_clear_pointer (&self->idle, g_source_unref);
    }
  g_queue_clear_full (&self->deferred, free);
  vsa_x11_connection_close (&self->x11);
  self->window = XCB_NONE;
  /* the selections went with the connection */
  self->owns_clipboard = self->owns_primary = FALSE;
  g_clear_pointer (&self->text, g_free);
  self->converting = XCB_NONE;
}

static void
vsa_clipboard_dispose (GObject *object)
{
  VsaClipboard *self = VSA_CLIPBOARD (object);

  vsa_clipboard_disconnect (self);
  G_OBJECT_CLASS (vsa_clipboard_parent_class)->dispose (object);
}

static void
vsa_clipboard_finalize (GObject *object)
{
  VsaClipboard *self = VSA_CLIPBOARD (object);

  g_free (self->display);
  g_free (self->last_text);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (vsa_clipboard_parent_class)->finalize (object);
}

static void
vsa_clipboard_class_init (VsaClipboardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vsa_clipboard_dispose;
  object_class->finalize = vsa_clipboard_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
vsa_clipboard_init (VsaClipboard *self)
{
  g_queue_init (&self->deferred);
  vsa_x11_connection_init (&self->x11, RECONNECT_INTERVAL_US);
}

/* --- the display ---------------------------------------------------------------------- */

static gboolean
vsa_clipboard_give_up (VsaClipboard *self, const char *why)
{
  if (self->x11.conn != NULL)
    g_debug ("clipboard: xcb connection error %d", xcb_connection_has_error (self->x11.conn));
  if (vsa_x11_connection_mark_down (&self->x11))
    g_warning ("clipboard: X display \"%s\" %s: no clipboard",
               vsa_x11_connection_label (self->display), why);
  vsa_clipboard_disconnect (self);
  return FALSE;
}

static gboolean
vsa_clipboard_ensure_connected (VsaClipboard *self)
{
  const guint32 values[] = { XCB_EVENT_MASK_PROPERTY_CHANGE };
  const xcb_query_extension_reply_t *xfixes;
  xcb_intern_atom_cookie_t cookies[N_ATOMS];
  g_autofree xcb_xfixes_query_version_reply_t *version = NULL;

  if (vsa_x11_connection_is_up (&self->x11))
    return TRUE;
  if (self->x11.conn != NULL)
    vsa_clipboard_give_up (self, "went away");
  if (!vsa_x11_connection_may_try (&self->x11))
    return FALSE;
  if (!vsa_x11_connection_open (&self->x11, self->display))
    return vsa_clipboard_give_up (self, "cannot be opened");
  xfixes = vsa_x11_connection_extension (&self->x11, &xcb_xfixes_id);
  if (xfixes == NULL)
    return vsa_clipboard_give_up (self, "has no XFIXES extension");
  self->xfixes_event_base = xfixes->first_event;
  /* the server answers XFixes requests only to a client that said which version it speaks */
  version = xcb_xfixes_query_version_reply (
      self->x11.conn,
      xcb_xfixes_query_version (self->x11.conn, XCB_XFIXES_MAJOR_VERSION, XCB_XFIXES_MINOR_VERSION),
      NULL);
  if (version == NULL)
    return vsa_clipboard_give_up (self, "refused XFIXES");

  for (guint i = 0; i < N_ATOMS; i++)
    cookies[i]
        = xcb_intern_atom (self->x11.conn, FALSE, (guint16) strlen (atom_names[i]), atom_names[i]);
  for (guint i = 0; i < N_ATOMS; i++)
    {
      g_autofree xcb_intern_atom_reply_t *reply
          = xcb_intern_atom_reply (self->x11.conn, cookies[i], NULL);

      self->atoms[i] = reply != NULL ? reply->atom : XCB_NONE;
    }
  if (self->atoms[ATOM_PROPERTY] == XCB_NONE)
    return vsa_clipboard_give_up (self, "cannot intern atoms");

  /* never mapped: it only owns selections and receives properties */
  self->window = xcb_generate_id (self->x11.conn);
  xcb_create_window (self->x11.conn, 0, self->window, self->x11.screen->root, -1, -1, 1, 1, 0,
                     XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT, XCB_CW_EVENT_MASK, values);
  xcb_xfixes_select_selection_input (self->x11.conn, self->window, self->atoms[ATOM_CLIPBOARD],
                                     XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER);
  xcb_flush (self->x11.conn);
  if (xcb_connection_has_error (self->x11.conn))
    return vsa_clipboard_give_up (self, "went away");

  self->source = g_unix_fd_source_new (xcb_get_file_descriptor (self->x11.conn),
                                       G_IO_IN | G_IO_HUP | G_IO_ERR);
  g_source_set_callback (self->source, G_SOURCE_FUNC (vsa_clipboard_on_readable), self, NULL);
  g_source_set_static_name (self->source, "vsa-clipboard");
  g_source_attach (self->source, self->context);
  vsa_x11_connection_mark_up (&self->x11);
  return TRUE;
}

/* --- serving our text ----------------------------------------------------------------- */

static char *
to_latin1 (const char *text, gsize *length)
{
  return g_convert (text, -1, "ISO-8859-1", "UTF-8", NULL, length, NULL);
}

static gboolean
vsa_clipboard_owns (VsaClipboard *self, xcb_atom_t selection)
{
  return self->text != NULL
         && ((selection == self->atoms[ATOM_CLIPBOARD] && self->owns_clipboard)
             || (selection == self->atoms[ATOM_PRIMARY] && self->owns_primary));
}

/* Puts target's form of our text on the requestor's property; FALSE to refuse. */
static gboolean
vsa_clipboard_convert (VsaClipboard *self, xcb_selection_request_event_t *request,
                       xcb_atom_t property)
{
  xcb_atom_t target = request->target;
  xcb_atom_t *atoms = self->atoms;

  if (target == atoms[ATOM_TARGETS])
    {
      g_autofree char *latin1 = to_latin1 (self->text, NULL);
      xcb_atom_t targets[] = { atoms[ATOM_TARGETS], atoms[ATOM_TIMESTAMP], atoms[ATOM_UTF8_STRING],
                               atoms[ATOM_TEXT], atoms[ATOM_STRING] };

      xcb_change_property (self->x11.conn, XCB_PROP_MODE_REPLACE, request->requestor, property,
                           atoms[ATOM_ATOM], 32, G_N_ELEMENTS (targets) - (latin1 == NULL),
                           targets);
      return TRUE;
    }
  if (target == atoms[ATOM_TIMESTAMP])
    {
      xcb_change_property (self->x11.conn, XCB_PROP_MODE_REPLACE, request->requestor, property,
                           atoms[ATOM_INTEGER], 32, 1, &self->owned_at);
      return TRUE;
    }
  if (target == atoms[ATOM_UTF8_STRING] || target == atoms[ATOM_TEXT])
    {
      /* TEXT lets us pick the encoding */
      xcb_change_property (self->x11.conn, XCB_PROP_MODE_REPLACE, request->requestor, property,
                           atoms[ATOM_UTF8_STRING], 8, (guint32) strlen (self->text), self->text);
      return TRUE;
    }
  if (target == atoms[ATOM_STRING])
    {
      gsize length = 0;
      g_autofree char *latin1 = to_latin1 (self->text, &length);

      if (latin1 == NULL)
        return FALSE;
      xcb_change_property (self->x11.conn, XCB_PROP_MODE_REPLACE, request->requestor, property,
                           atoms[ATOM_STRING], 8, (guint32) length, latin1);
      return TRUE;
    }
  /* MULTIPLE, images, …: refused */
  return FALSE;
}

static void
vsa_clipboard_handle_selection_request (VsaClipboard *self, xcb_selection_request_event_t *request)
{
  /* SendEvent sends 32 bytes, more than the event's struct: zeroed all round */
  union
  {
    xcb_selection_notify_event_t event;
    char bytes[32];
  } notify;
  /* obsolete clients name no property: the target is the property (ICCCM 2.2) */
  xcb_atom_t property = request->property != XCB_NONE ? request->property : request->target;

  memset (&notify, 0, sizeof notify);
  notify.event.response_type = XCB_SELECTION_NOTIFY;
  notify.event.time = request->time;
  notify.event.requestor = request->requestor;
  notify.event.selection = request->selection;
  notify.event.target = request->target;
  notify.event.property = XCB_NONE;
  if (vsa_clipboard_owns (self, request->selection)
      && (request->time == XCB_CURRENT_TIME || request->time >= self->owned_at)
      && vsa_clipboard_convert (self, request, property))
    notify.event.property = property;
  else
    g_debug ("clipboard: refusing a request for target %u", request->target);
  xcb_send_event (self->x11.conn, FALSE, request->requestor, XCB_EVENT_MASK_NO_EVENT, notify.bytes);
}

static void
vsa_clipboard_handle_selection_clear (VsaClipboard *self, xcb_selection_clear_event_t *clear)
{
  if (clear->selection == self->atoms[ATOM_CLIPBOARD])
    self->owns_clipboard = FALSE;
  else if (clear->selection == self->atoms[ATOM_PRIMARY])
    self->owns_primary = FALSE;
  if (!self->owns_clipboard && !self->owns_primary)
    g_clear_pointer (&self->text, g_free);
}

/* --- reading another client's text ---------------------------------------------------- */

static void
vsa_clipboard_request_text (VsaClipboard *self, xcb_atom_t target, xcb_timestamp_t time)
{
  self->converting = target;
  xcb_convert_selection (self->x11.conn, self->window, self->atoms[ATOM_CLIPBOARD], target,
                         self->atoms[ATOM_PROPERTY], time);
}

static void
vsa_clipboard_report (VsaClipboard *self, const char *text)
{
  if (g_strcmp0 (text, self->last_text) == 0)
    return;
  g_free (self->last_text);
  self->last_text = g_strdup (text);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, text);
}

static void
vsa_clipboard_handle_selection_notify (VsaClipboard *self, xcb_selection_notify_event_t *notify)
{
  g_autofree xcb_get_property_reply_t *reply = NULL;
  g_autofree char *text = NULL;
  xcb_atom_t asked = self->converting;
  const char *value;
  int length;

  if (notify->requestor != self->window || notify->selection != self->atoms[ATOM_CLIPBOARD]
      || asked == XCB_NONE)
    return;
  self->converting = XCB_NONE;
  if (notify->property == XCB_NONE)
    {
      if (asked == self->atoms[ATOM_UTF8_STRING])
        vsa_clipboard_request_text (self, self->atoms[ATOM_STRING], notify->time);
      else
        g_debug ("clipboard: the new CLIPBOARD has no text");
      return;
    }
  /* one long more than the limit, to tell a text at the limit from one over it */
  reply = xcb_get_property_reply (
      self->x11.conn,
      xcb_get_property (self->x11.conn, TRUE, self->window, self->atoms[ATOM_PROPERTY],
                        XCB_GET_PROPERTY_TYPE_ANY, 0, VSA_CLIPBOARD_MAX_TEXT / 4 + 1),
      NULL);
  /* deleted even when too long to be read whole */
  xcb_delete_property (self->x11.conn, self->window, self->atoms[ATOM_PROPERTY]);
  if (reply == NULL)
    return;
  value = xcb_get_property_value (reply);
  length = xcb_get_property_value_length (reply);
  if (reply->type == self->atoms[ATOM_INCR])
    {
      g_debug ("clipboard: skipping a CLIPBOARD sent incrementally (too large)");
      return;
    }
  if (reply->format != 8 || reply->bytes_after > 0 || length > VSA_CLIPBOARD_MAX_TEXT)
    {
      g_debug ("clipboard: skipping a CLIPBOARD text over %d bytes or not text",
               VSA_CLIPBOARD_MAX_TEXT);
      return;
    }
  if (reply->type != self->atoms[ATOM_STRING] && reply->type != self->atoms[ATOM_UTF8_STRING])
    {
      g_debug ("clipboard: skipping a CLIPBOARD that is not text (type %u)", reply->type);
      return;
    }
  if (reply->type == self->atoms[ATOM_STRING])
    text = g_convert (value, length, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  else if (reply->type == self->atoms[ATOM_UTF8_STRING])
    {
      /* a NUL inside counts as invalid: it would cut the text short */
      if (g_utf8_validate (value, length, NULL))
        text = g_strndup (value, length);
    }
  if (text == NULL || strlen (text) > VSA_CLIPBOARD_MAX_TEXT)
    {
      g_debug ("clipboard: skipping a CLIPBOARD text that is not valid or too long");
      return;
    }
  vsa_clipboard_report (self, text);
}

static void
vsa_clipboard_handle_owner_change (VsaClipboard *self, xcb_xfixes_selection_notify_event_t *notify)
{
  if (notify->selection != self->atoms[ATOM_CLIPBOARD] || notify->owner == XCB_NONE
      || notify->owner == self->window)
    return;
  vsa_clipboard_request_text (self, self->atoms[ATOM_UTF8_STRING], notify->selection_timestamp);
}

static void
vsa_clipboard_handle_event (VsaClipboard *self, xcb_generic_event_t *event)
{
  guint8 type = event->response_type & 0x7f;

  if (type == XCB_SELECTION_REQUEST)
    vsa_clipboard_handle_selection_request (self, (xcb_selection_request_event_t *) event);
  else if (type == XCB_SELECTION_CLEAR)
    vsa_clipboard_handle_selection_clear (self, (xcb_selection_clear_event_t *) event);
  else if (type == XCB_SELECTION_NOTIFY)
    vsa_clipboard_handle_selection_notify (self, (xcb_selection_notify_event_t *) event);
  else if (type == self->xfixes_event_base + XCB_XFIXES_SELECTION_NOTIFY)
    vsa_clipboard_handle_owner_change (self, (xcb_xfixes_selection_notify_event_t *) event);
}

/* Handles every event already read (also those a reply brought along) and the rest the
 * socket has; FALSE if the display went away. */
static gboolean
vsa_clipboard_drain (VsaClipboard *self)
{
  xcb_generic_event_t *event;
  gboolean connected;

  g_object_ref (self);
  while (self->x11.conn != NULL
         && ((event = g_queue_pop_head (&self->deferred)) != NULL
             || (event = xcb_poll_for_event (self->x11.conn)) != NULL))
    {
      vsa_clipboard_handle_event (self, event);
      free (event);
    }
  if (self->x11.conn != NULL)
    xcb_flush (self->x11.conn);
  if (self->x11.conn != NULL && xcb_connection_has_error (self->x11.conn))
    vsa_clipboard_give_up (self, "went away");
  connected = self->x11.conn != NULL;
  /* a "changed" handler may have dropped the last other reference */
  g_object_unref (self);
  return connected;
}

static gboolean
vsa_clipboard_on_readable (int fd, GIOCondition condition, gpointer user_data)
{
  VsaClipboard *self = user_data;

  /* vsa_clipboard_give_up() destroys this source; keep its reference until we return */
  g_autoptr (GSource) source = g_source_ref (g_main_current_source ());

  vsa_clipboard_drain (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
vsa_clipboard_on_idle (gpointer user_data)
{
  VsaClipboard *self = user_data;

  g_clear_pointer (&self->idle, g_source_unref);
  vsa_clipboard_drain (self);
  return G_SOURCE_REMOVE;
}

/* Events a round trip read into xcb's queue do not wake the socket's source. */
static void
vsa_clipboard_drain_soon (VsaClipboard *self)
{
  if (self->idle != NULL || self->x11.conn == NULL)
    return;
  self->idle = g_idle_source_new ();
  g_source_set_callback (self->idle, vsa_clipboard_on_idle, self, NULL);
  g_source_set_static_name (self->idle, "vsa-clipboard-drain");
  g_source_attach (self->idle, self->context);
}

VsaClipboard *
vsa_clipboard_new (const char *display)
{
  VsaClipboard *self = g_object_new (VSA_TYPE_CLIPBOARD, NULL);

  self->display = g_strdup (display);
  self->context = g_main_context_ref_thread_default ();
  vsa_clipboard_ensure_connected (self);
  return self;
}

/* A server timestamp for SetSelectionOwner (ICCCM 2.1: not CurrentTime): a zero-length
 * append to a property of ours, and its PropertyNotify. 0 if the display went away. */
static xcb_timestamp_t
vsa_clipboard_server_time (VsaClipboard *self)
{
  xcb_generic_event_t *event;

  xcb_change_property (self->x11.conn, XCB_PROP_MODE_APPEND, self->window, self->atoms[ATOM_STAMP],
                       self->atoms[ATOM_INTEGER], 32, 0, NULL);
  xcb_flush (self->x11.conn);
  while ((event = xcb_wait_for_event (self->x11.conn)) != NULL)
    {
      xcb_property_notify_event_t *property = (xcb_property_notify_event_t *) event;

      if ((event->response_type & 0x7f) == XCB_PROPERTY_NOTIFY && property->window == self->window
          && property->atom == self->atoms[ATOM_STAMP])
        {
          xcb_timestamp_t time = property->time;

          free (event);
          return time;
        }
      /* handled from the main loop, not from inside set_text */
      g_queue_push_tail (&self->deferred, event);
    }
  return 0;
}

static gboolean
vsa_clipboard_take_selection (VsaClipboard *self, xcb_atom_t selection, xcb_timestamp_t time)
{
  g_autofree xcb_get_selection_owner_reply_t *reply = NULL;

  xcb_set_selection_owner (self->x11.conn, self->window, selection, time);
  reply = xcb_get_selection_owner_reply (self->x11.conn,
                                         xcb_get_selection_owner (self->x11.conn, selection), NULL);
  return reply != NULL && reply->owner == self->window;
}

gboolean
vsa_clipboard_set_text (VsaClipboard *self, const char *text)
{
  xcb_timestamp_t time;

  g_return_val_if_fail (VSA_IS_CLIPBOARD (self), FALSE);

  if (text == NULL || strnlen (text, VSA_CLIPBOARD_MAX_TEXT + 1) > VSA_CLIPBOARD_MAX_TEXT)
    {
      g_debug ("clipboard: refusing a text over %d bytes", VSA_CLIPBOARD_MAX_TEXT);
      return FALSE;
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_debug ("clipboard: refusing a text that is not valid UTF-8");
      return FALSE;
    }
  if (!vsa_clipboard_ensure_connected (self))
    return FALSE;

  time = vsa_clipboard_server_time (self);
  if (time == 0)
    {
      vsa_clipboard_drain (self);
      return FALSE;
    }
  g_free (self->text);
  self->text = g_strdup (text);
  self->owned_at = time;
  self->owns_clipboard = vsa_clipboard_take_selection (self, self->atoms[ATOM_CLIPBOARD], time);
  self->owns_primary = vsa_clipboard_take_selection (self, self->atoms[ATOM_PRIMARY], time);
  /* our own text is no change to report, now or when it comes back; nor is the previous
   * owner's, should a conversion of it still be under way */
  self->converting = XCB_NONE;
  g_free (self->last_text);
  self->last_text = g_strdup (text);
  vsa_clipboard_drain_soon (self);
  if (!self->owns_clipboard && !self->owns_primary)
    {
      g_debug ("clipboard: could not take the selections");
      g_clear_pointer (&self->text, g_free);
      return FALSE;
    }
  return TRUE;
}
