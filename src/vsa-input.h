/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

#include "vsa-clipboard.h"

G_BEGIN_DECLS

/* The browser's input, injected into the X display with XTEST. One per session: what it
 * pressed is released when the session's channel closes or the session ends.
 *
 * Messages are JSON objects, at most VSA_INPUT_MAX_MESSAGE bytes:
 *   {"type":"pointermove","x":0..1,"y":0..1}       video coordinates, scaled to the root
 *   {"type":"pointerdown"|"pointerup","button":N}  DOM buttons 0,1,2 (3,4) → X 1,2,3 (8,9)
 *   {"type":"wheel","dx":px,"dy":px}                DOM pixels; 100 px = a notch = a click
 *                                                   of X button 4/5 (dy) or 6/7 (dx)
 *   {"type":"keydown"|"keyup","code":"KeyA","key":"a"}  key: a character or a named key
 *   {"type":"text","text":"…"}                      types each character
 *   {"type":"clipboard","text":"…"}                 becomes the VM's CLIPBOARD and PRIMARY
 *                                                   (at most VSA_CLIPBOARD_MAX_TEXT bytes)
 * At most VSA_INPUT_MAX_RATE events a second are injected (a text counts one event per
 * character, any message one per started 4 KiB); the excess is dropped. A malformed, oversized or
 * excess message is dropped with one warning per session and kind.
 *
 * A character key types `key` (the user's layout decides it, not the VM's), at exactly
 * the Shift level the VM's map needs, whatever Shift the user holds or Caps Lock says.
 * AltGr and dead keys are resolved by the browser's layout (`key` is what they
 * produced), so the keys "AltGraph" and "Dead" are ignored, as are "Process" and
 * "Unidentified" (an IME's); pressed in the VM they would change the next keys' symbols. */
/* A character the VM's map lacks goes on a spare keycode, lent to it, and is pressed
 * VSA_INPUT_LEND_PAUSE_MS after the new mapping went out, the messages arriving meanwhile
 * waiting in order: a busy client reads a key pressed at once with its old map (Chromium
 * compiles the new one on another thread) and types nothing, or the keycode's previous
 * character. 50 ms was enough for Chromium on 2 cores with 3 busy loops; it is paid once
 * per character lent. */
#define VSA_INPUT_LEND_PAUSE_MS 50
#define VSA_INPUT_MAX_MESSAGE (2 * VSA_CLIPBOARD_MAX_TEXT)
#define VSA_INPUT_MAX_RATE 200

#define VSA_TYPE_INPUT (vsa_input_get_type ())
G_DECLARE_FINAL_TYPE (VsaInput, vsa_input, VSA, INPUT, GObject)

/* display: NULL for $DISPLAY. It is opened at the first event (and again after it went
 * away), so that a session without a display still streams. */
VsaInput *vsa_input_new (const char *display);

/* Parses one message and injects it; a bad one is dropped (see above). */
void vsa_input_handle_message (VsaInput *self, const char *message);

/* Where "clipboard" messages go (a reference is kept); none: they are dropped. */
void vsa_input_set_clipboard (VsaInput *self, VsaClipboard *clipboard);

/* Releases every key and button still pressed (no stuck modifiers). */
void vsa_input_release_all (VsaInput *self);

G_END_DECLS
