/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "vsa-config.h"

G_BEGIN_DECLS

/* The browser's "input" data channel: what it sends there drives the VM's pointer,
 * keyboard and clipboard (vsa-input.c, vsa-clipboard.c), and what the VM copies goes back
 * to it. The channel's signals come on webrtcbin's SCTP thread; what they say reaches
 * the main context through @post, and vsa_input_channel_handle() there. */
typedef struct _VsaInputChannel VsaInputChannel;

typedef enum
{
  VSA_INPUT_CHANNEL_OPENED,
  VSA_INPUT_CHANNEL_MESSAGE,
  VSA_INPUT_CHANNEL_CLOSED,
} VsaInputChannelEvent;

/* Called on the channel's thread: @channel is set for OPENED, @text for MESSAGE; both
 * are to be copied. */
typedef void (*VsaInputChannelPost) (VsaInputChannelEvent event, GObject *channel, const char *text,
                                     gpointer user_data);

VsaInputChannel *vsa_input_channel_new (const VsaConfig *config, VsaInputChannelPost post,
                                        gpointer user_data);
/* Stops it first. */
void vsa_input_channel_free (VsaInputChannel *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaInputChannel, vsa_input_channel_free)

/* On webrtcbin's thread: the browser opened @channel (a GstWebRTCDataChannel); only the
 * one named "input" is taken. */
void vsa_input_channel_take (VsaInputChannel *self, GObject *channel);
/* On the main context: what @post carried. After the stop it only lets go of a channel
 * that opened meanwhile. */
void vsa_input_channel_handle (VsaInputChannel *self, VsaInputChannelEvent event, GObject *channel,
                               const char *text);
/* Agent → page messages (README, "Messages to the page"), on the main context. The
 * display's state is sent now and again to each channel that opens later. */
void vsa_input_channel_set_display (VsaInputChannel *self, gboolean available, const char *reason,
                                    int width, int height);
/* kind: vsa_end_reason_to_string(); reason: for people. Before the stop. TRUE when a
 * channel took the message: it is out once get_buffered() is 0. */
gboolean vsa_input_channel_say_ended (VsaInputChannel *self, const char *kind, const char *reason);
/* What the channels hold that SCTP has not taken yet, in bytes. */
guint64 vsa_input_channel_get_buffered (VsaInputChannel *self);

/* Lets go of the channels, the input (nothing stays pressed), the clipboard and the
 * cursor. */
void vsa_input_channel_stop (VsaInputChannel *self);

G_END_DECLS
