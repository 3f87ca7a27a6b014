/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encoded frames → their quantiser, read by a reader of each codec. An input is one or
 * more frames split at FRAME_SEPARATOR, read in turn as the agent reads a stream: the
 * H264 reader keeps earlier frames' SPS and PPS, VP8's and VP9's parsers their state. */
#define _GNU_SOURCE /* memmem */
#include "fuzz-common.h"

#include <string.h>

#include "vsa-encoded-qp.h"

#define FRAME_SEPARATOR "VSAQPFRAME"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* No gst_init (): the bitstream parsers need none. */
  vsa_fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const VsaCodec codecs[] = { VSA_CODEC_H264, VSA_CODEC_VP8, VSA_CODEC_VP9 };
  const size_t separator_size = strlen (FRAME_SEPARATOR);

  for (guint c = 0; c < G_N_ELEMENTS (codecs); c++)
    {
      g_autoptr (VsaQpReader) reader = vsa_qp_reader_new (codecs[c]);
      const uint8_t *frame = data;
      size_t left = size;

      for (;;)
        {
          const uint8_t *end = memmem (frame, left, FRAME_SEPARATOR, separator_size);
          size_t frame_size = end != NULL ? (size_t) (end - frame) : left;
          /* a copy of the frame's own size: a read past it is ASan's */
          g_autofree uint8_t *copy = g_memdup2 (frame, frame_size);
          int qp = vsa_qp_reader_read (reader, copy, frame_size);

          VSA_FUZZ_CHECK (qp >= -1 && qp <= vsa_qp_reader_max (codecs[c]));
          if (end == NULL)
            break;
          frame = end + separator_size;
          left -= frame_size + separator_size;
        }
    }
  return 0;
}
