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
/* Lets go of the channels, the input (nothing stays pressed) and the clipboard. */
void vsa_input_channel_stop (VsaInputChannel *self);

G_END_DECLS
