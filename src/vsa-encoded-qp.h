/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "vsa-codec.h"

G_BEGIN_DECLS

/* Reads the quantiser an encoder chose for a frame out of the frame's own headers, as
 * libwebrtc's screenshare mode does: a still screen has converged when it stops falling.
 * One reader per stream: it remembers what later frames need of earlier ones (H264's
 * SPS and PPS, which x264 repeats only on keyframes; VP8's and VP9's parser state). */
typedef struct _VsaQpReader VsaQpReader;

VsaQpReader *vsa_qp_reader_new (VsaCodec codec);
void vsa_qp_reader_free (VsaQpReader *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaQpReader, vsa_qp_reader_free)

/* The frame's quantiser, 0..vsa_qp_reader_max (), or -1 when it cannot be read: no slice
 * or frame header, a slice whose SPS/PPS was not seen yet, a VP9 frame that only shows
 * an earlier one, a truncated header, garbage. @data is one encoded frame as the encoder
 * outputs it: H264 Annex B byte-stream (several NAL units: maybe AUD, SPS, PPS, one or
 * more slices), VP8 or VP9 one frame (a VP9 superframe: its first frame).
 * H264: the slice QP, 26 + pic_init_qp_minus26 + slice_qp_delta (8-bit video), the rounded
 * mean over the frame's slices. VP8: the base quantiser index y_ac_qi (0..127). VP9:
 * base_q_idx (0..255). These are the frame's base: macroblock deltas (x264's adaptive
 * quantisation) and segment deltas (libvpx's cyclic refresh) are not in them. */
int vsa_qp_reader_read (VsaQpReader *self, const guint8 *data, gsize size);

/* The largest value vsa_qp_reader_read () can return for @codec: 51 for H264, 127 for
 * VP8, 255 for VP9. */
int vsa_qp_reader_max (VsaCodec codec);

G_END_DECLS
