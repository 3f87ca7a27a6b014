/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gst/gst.h>

#include "vsa-config.h"

G_BEGIN_DECLS

typedef enum
{
  VSA_H264_ENCODER_X264,
  VSA_H264_ENCODER_VAAPI,
} VsaH264Encoder;

/* What this machine offers for VA-API H264. Each fact is looked for only when the one
 * before it holds: no render node, no look at the element. */
typedef struct
{
  char *render_node;     /* the first /dev/dri/renderD* this process can open, or NULL */
  gboolean have_element; /* vaapih264enc is registered (gstreamer1.0-vaapi found a device) */
  gboolean works;        /* it encoded test frames in the agent's chain */
  const char *tune;      /* the "tune" it worked with: "low-power" or "none" */
  char *failure;         /* why it did not work, or NULL */
} VsaVaapiProbe;

void vsa_vaapi_probe_clear (VsaVaapiProbe *probe);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VsaVaapiProbe, vsa_vaapi_probe_clear)

const char *vsa_h264_encoder_to_string (VsaH264Encoder encoder);

/* The render nodes (renderD*) in dir, sorted; empty when dir does not exist. */
char **vsa_encoder_list_render_nodes (const char *dir);

/* The first of paths this process can open read-write, or NULL. */
char *vsa_encoder_find_render_node (const char *const *paths);

/* The H264 encoder for mode given what probe found, and *reason, a few words for the
 * log. FALSE with a VSA_CONFIG_ERROR when mode is vaapi and the machine has none. */
gboolean vsa_encoder_choose_h264 (VsaEncoderMode mode, const VsaVaapiProbe *probe,
                                  VsaH264Encoder *out, char **reason, GError **error);

/* vsa_encoder_choose_h264() on this machine. The machine is probed once per process,
 * at the first call with a mode other than software (a test encode: up to a few
 * seconds); later calls reuse it. */
gboolean vsa_encoder_settle_h264 (VsaEncoderMode mode, VsaH264Encoder *out, char **reason,
                                  GError **error);

/* The elements from the capture's raw video to VA-API H264 (a converter uploading to
 * VA surfaces, the encoder named "encoder"), tuned for latency; NULL entries when an
 * element is missing. Returns how many it wrote to out (at most 3). */
guint vsa_encoder_new_vaapi_h264 (guint kbps, guint fps, GstElement **out);

G_END_DECLS
