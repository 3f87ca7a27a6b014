/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The browser's "input" data channels, the VM's input and its clipboard. The channels'
 * handlers run on webrtcbin's SCTP thread and only post (through the session, which
 * carries them to the main context); everything else runs on the main context. */
#undef G_LOG_DOMAIN /* meson sets "vsa" for every file */
#define G_LOG_DOMAIN "vsa-input-channel"

#include "vsa-input-channel.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include <json-glib/json-glib.h>

#include "vsa-clipboard.h"
#include "vsa-cursor.h"
#include "vsa-input.h"

struct _VsaInputChannel
{
  const VsaConfig *config;
  VsaInputChannelPost post;
  gpointer user_data;
  gboolean stopped;
  gboolean ended;      /* said so to the page: nothing more is injected */
  gboolean told_off;   /* input=false was logged */
  guint ignored;       /* messages input=false dropped */
  GPtrArray *channels; /* the browser's "input" data channels (their handlers are ours) */
  VsaInput *input;
  VsaClipboard *clipboard; /* the VM's, both ways over the channels */
  VsaCursor *cursor;       /* cursor=local: the VM's pointer image, sent to the page */
  char *display_message;   /* the display's state, for a channel that opens later */
};

VsaInputChannel *
vsa_input_channel_new (const VsaConfig *config, VsaInputChannelPost post, gpointer user_data)
{
  VsaInputChannel *self = g_new0 (VsaInputChannel, 1);

  self->config = config;
  self->post = post;
  self->user_data = user_data;
  self->channels = g_ptr_array_new_with_free_func (g_object_unref);
  return self;
}

void
vsa_input_channel_free (VsaInputChannel *self)
{
  vsa_input_channel_stop (self);
  g_ptr_array_unref (self->channels);
  g_free (self->display_message);
  g_free (self);
}

/* On the SCTP thread. A longer message than the input takes is cut, and dropped as too
 * long on the main context: no copy of a huge one waits there. */
static void
vsa_input_channel_on_message (GObject *channel, const char *message, VsaInputChannel *self)
{
  g_autofree char *text = g_strndup (message, VSA_INPUT_MAX_MESSAGE + 1);

  self->post (VSA_INPUT_CHANNEL_MESSAGE, NULL, text, self->user_data);
}

static void
vsa_input_channel_on_close (GObject *channel, VsaInputChannel *self)
{
  self->post (VSA_INPUT_CHANNEL_CLOSED, NULL, NULL, self->user_data);
}

/* Its handlers are connected here rather than on the main context: the browser may send
 * the moment the channel is open. */
void
vsa_input_channel_take (VsaInputChannel *self, GObject *channel)
{
  g_autofree char *label = NULL;

  g_object_get (channel, "label", &label, NULL);
  if (g_strcmp0 (label, "input") != 0)
    {
      g_debug ("ignoring the browser's data channel \"%s\"", label != NULL ? label : "");
      return;
    }
  g_signal_connect (channel, "on-message-string", G_CALLBACK (vsa_input_channel_on_message), self);
  g_signal_connect (channel, "on-close", G_CALLBACK (vsa_input_channel_on_close), self);
  self->post (VSA_INPUT_CHANNEL_OPENED, channel, NULL, self->user_data);
}

/* On the main context: message to one channel, or to all of them (channel NULL). How
 * many took it (a closed one does not). */
static guint
vsa_input_channel_send (VsaInputChannel *self, GObject *channel, const char *message)
{
  guint sent = 0;

  for (guint i = 0; i < self->channels->len; i++)
    {
      GObject *each = g_ptr_array_index (self->channels, i);
      g_autoptr (GError) error = NULL;

      if (channel != NULL && channel != each)
        continue;
      if (gst_webrtc_data_channel_send_string_full (GST_WEBRTC_DATA_CHANNEL (each), message,
                                                    &error))
        sent++;
      else
        g_debug ("session %s: not sent to the browser: %s", self->config->session_id,
                 error->message);
    }
  return sent;
}

/* {"type": type, key: value, …}: members as name, GType, value, ending with NULL. */
static char *
vsa_input_channel_build (const char *type, const char *first_member, ...)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  va_list args;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  va_start (args, first_member);
  for (const char *name = first_member; name != NULL; name = va_arg (args, const char *))
    {
      GType kind = va_arg (args, GType);

      json_builder_set_member_name (builder, name);
      if (kind == G_TYPE_STRING)
        json_builder_add_string_value (builder, va_arg (args, const char *));
      else if (kind == G_TYPE_BOOLEAN)
        json_builder_add_boolean_value (builder, va_arg (args, gboolean));
      else
        json_builder_add_int_value (builder, va_arg (args, int));
    }
  va_end (args);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* On the main context: what another VM client copied goes to the page. */
static void
vsa_input_channel_on_vm_clipboard (VsaClipboard *clipboard, const char *text, VsaInputChannel *self)
{
  g_autofree char *message
      = vsa_input_channel_build ("clipboard", "text", G_TYPE_STRING, text, NULL);

  vsa_input_channel_send (self, NULL, message);
  g_debug ("session %s: the VM's clipboard (%zu bytes) sent to the browser",
           self->config->session_id, strlen (text));
}

static void
vsa_input_channel_on_cursor (VsaCursor *cursor, const char *message, VsaInputChannel *self)
{
  vsa_input_channel_send (self, NULL, message);
}

/* What a channel that just opened should know: the display's state and the pointer's
 * image. The cursor is watched only once a page can take it, and with input off too. */
static void
vsa_input_channel_greet (VsaInputChannel *self, GObject *channel)
{
  if (self->display_message != NULL)
    vsa_input_channel_send (self, channel, self->display_message);
  if (self->config->cursor != VSA_CURSOR_LOCAL || self->config->source != VSA_SOURCE_X11)
    return;
  if (self->cursor == NULL)
    {
      self->cursor = vsa_cursor_new (self->config->display);
      g_signal_connect (self->cursor, "changed", G_CALLBACK (vsa_input_channel_on_cursor), self);
    }
  if (vsa_cursor_get_message (self->cursor) != NULL)
    vsa_input_channel_send (self, channel, vsa_cursor_get_message (self->cursor));
}

/* The input and the clipboard, at the channel's opening or its first message (which may
 * come first): the clipboard is watched only for a browser that can take it. */
static VsaInput *
vsa_input_channel_ensure_input (VsaInputChannel *self)
{
  if (self->input != NULL)
    return self->input;
  self->input = vsa_input_new (self->config->display);
  self->clipboard = vsa_clipboard_new (self->config->display);
  g_signal_connect (self->clipboard, "changed", G_CALLBACK (vsa_input_channel_on_vm_clipboard),
                    self);
  vsa_input_set_clipboard (self->input, self->clipboard);
  return self->input;
}

/* input=false: view only. No X connection is made, so nothing is injected and the VM's
 * clipboard is not sent; the channel is kept only to let go of it at the stop. */
static void
vsa_input_channel_ignore (VsaInputChannel *self, VsaInputChannelEvent event, GObject *channel)
{
  if (!self->told_off)
    g_message ("session %s: input is off (input=false): the browser's keys, pointer and "
               "clipboard are ignored",
               self->config->session_id);
  self->told_off = TRUE;
  if (event == VSA_INPUT_CHANNEL_OPENED)
    {
      g_ptr_array_add (self->channels, g_object_ref (channel));
      vsa_input_channel_greet (self, channel);
    }
  else if (event == VSA_INPUT_CHANNEL_MESSAGE)
    self->ignored++;
}

void
vsa_input_channel_handle (VsaInputChannel *self, VsaInputChannelEvent event, GObject *channel,
                          const char *text)
{
  /* a channel that opened as the session stopped or ended: its handlers go now */
  if (self->stopped || self->ended)
    {
      if (event == VSA_INPUT_CHANNEL_OPENED)
        g_signal_handlers_disconnect_by_data (channel, self);
      return;
    }
  if (!self->config->input)
    {
      vsa_input_channel_ignore (self, event, channel);
      return;
    }

  switch (event)
    {
    case VSA_INPUT_CHANNEL_OPENED:
      g_message ("session %s: the browser opened its input channel", self->config->session_id);
      g_ptr_array_add (self->channels, g_object_ref (channel));
      vsa_input_channel_ensure_input (self);
      vsa_input_channel_greet (self, channel);
      break;
    case VSA_INPUT_CHANNEL_MESSAGE:
      vsa_input_handle_message (vsa_input_channel_ensure_input (self), text);
      break;
    case VSA_INPUT_CHANNEL_CLOSED:
      g_message ("session %s: the browser closed its input channel", self->config->session_id);
      if (self->input != NULL)
        vsa_input_release_all (self->input);
      break;
    }
}

/* Only the current session's channel injects, and nothing stays pressed after it. */
void
vsa_input_channel_stop (VsaInputChannel *self)
{
  self->stopped = TRUE;
  if (self->ignored > 0)
    g_message ("session %s: %u input messages ignored (input=false)", self->config->session_id,
               self->ignored);
  self->ignored = 0;
  for (guint i = 0; i < self->channels->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->channels, i), self);
  g_ptr_array_set_size (self->channels, 0);
  if (self->input != NULL)
    vsa_input_release_all (self->input);
  g_clear_object (&self->input);
  if (self->clipboard != NULL)
    g_signal_handlers_disconnect_by_data (self->clipboard, self);
  g_clear_object (&self->clipboard);
  if (self->cursor != NULL)
    g_signal_handlers_disconnect_by_data (self->cursor, self);
  g_clear_object (&self->cursor);
}

void
vsa_input_channel_set_display (VsaInputChannel *self, gboolean available, const char *reason,
                               int width, int height)
{
  g_free (self->display_message);
  if (available)
    self->display_message
        = vsa_input_channel_build ("display", "available", G_TYPE_BOOLEAN, TRUE, "width",
                                   G_TYPE_INT, width, "height", G_TYPE_INT, height, NULL);
  else
    self->display_message
        = vsa_input_channel_build ("display", "available", G_TYPE_BOOLEAN, FALSE, "reason",
                                   G_TYPE_STRING, reason != NULL ? reason : "", NULL);
  if (!self->stopped)
    vsa_input_channel_send (self, NULL, self->display_message);
}

guint64
vsa_input_channel_get_buffered (VsaInputChannel *self)
{
  guint64 buffered = 0;

  for (guint i = 0; i < self->channels->len; i++)
    {
      guint64 amount;

      g_object_get (g_ptr_array_index (self->channels, i), "buffered-amount", &amount, NULL);
      buffered += amount;
    }
  return buffered;
}

gboolean
vsa_input_channel_say_ended (VsaInputChannel *self, const char *kind, const char *reason)
{
  g_autofree char *message = NULL;

  if (self->stopped || self->ended)
    return FALSE;
  self->ended = TRUE;
  message = vsa_input_channel_build ("ended", "reason", G_TYPE_STRING, kind, "message",
                                     G_TYPE_STRING, reason, NULL);
  if (self->input != NULL)
    vsa_input_release_all (self->input);
  /* a page that closed its channel (the double offer's first one) hears nothing */
  return vsa_input_channel_send (self, NULL, message) > 0;
}
