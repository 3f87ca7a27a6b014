/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VSA_CONFIG_ERROR (vsa_config_error_quark ())
GQuark vsa_config_error_quark (void);

typedef enum
{
  VSA_CONFIG_ERROR_MISSING,
  VSA_CONFIG_ERROR_INVALID,
} VsaConfigError;

typedef enum
{
  VSA_SOURCE_X11,
  VSA_SOURCE_TEST,
} VsaSourceKind;

/* Where the VM's pointer is shown: local (the page draws it as its own cursor from the
 * image sent on the input channel; the video has none) or video (drawn into the video). */
typedef enum
{
  VSA_CURSOR_LOCAL,
  VSA_CURSOR_VIDEO,
} VsaCursorMode;

/* Which H264 encoder: auto (VA-API when a render node and a working vaapih264enc exist,
 * x264 otherwise), software (always x264) or vaapi (VA-API or a configuration error). */
typedef enum
{
  VSA_ENCODER_AUTO,
  VSA_ENCODER_SOFTWARE,
  VSA_ENCODER_VAAPI,
} VsaEncoderMode;

/* Everything the agent is told from outside. Filled by vsa_config_load() from,
 * highest precedence first: flags, environment, key file, defaults. */
typedef struct
{
  char *session_id;
  char *controller_url; /* scheme://host[:port][/prefix], no trailing slash */
  char *display;
  VsaSourceKind source;
  char **codecs; /* preference order, lower case: "h264", "vp8", "vp9" */
  VsaEncoderMode encoder;
  guint fps;
  guint bitrate_kbps;       /* the encoder's target, and the most adaptation goes up to */
  guint min_bitrate_kbps;   /* the least adaptation goes down to; <= bitrate_kbps */
  guint start_bitrate_kbps; /* with transport-wide feedback, where a session starts */
  guint poll_fast_ms;       /* offer poll during the fast window */
  guint poll_slow_ms;       /* offer poll afterwards, and while streaming */
  guint fast_window_s;      /* how long after start or a session end to poll fast */
  guint answer_window_ms;   /* longest wait for ICE gathering before posting the answer */
  guint request_timeout_s;  /* per HTTP request */
  /* ICE servers are fetched ahead and used this long at most (TURN credentials expire),
   * refreshed at half that age */
  guint ice_servers_max_age_s;
  char *token;   /* bearer token for the controller, or NULL; a secret */
  char *ca_file; /* CAs for https, or NULL for the system's */
  /* the metrics endpoint's address (an IP literal) and port, or NULL: no endpoint */
  char *metrics_address;
  guint metrics_port; /* 0: any free port */
  /* standalone mode's HTTP address (WHEP and the viewer page) and port, or NULL: the
   * controller mode */
  char *listen_address;
  guint listen_port;          /* 0: any free port */
  gboolean allow_open_listen; /* standalone off loopback without a token */
  gboolean input;             /* FALSE: view only, the browser's input channel is ignored */
  VsaCursorMode cursor;
  /* after each session the process image starts afresh (same PID), giving back the
   * memory the session's libraries and threads kept */
  gboolean fresh_process;
  /* standalone mode: the origins whose pages may call WHEP (CORS), "*" for any; NULL:
   * none, no CORS headers */
  char **allow_origins;
  /* standalone mode: stun:, turns: … URLs given to webrtcbin and to WHEP clients, with
   * one username and credential (a secret) for the TURN ones; NULL: none */
  char **ice_servers;
  char *ice_username;
  char *ice_credential;
  gboolean verbose;
  gboolean show_version;
  char *config_file; /* the file that was read, or NULL */
} VsaConfig;

VsaConfig *vsa_config_new (void);
void vsa_config_free (VsaConfig *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VsaConfig, vsa_config_free)

/* args: a NULL-terminated argv (args[0] is the program name); envp: an environment as
 * from g_get_environ(). --help prints and exits 0 (GOption's behaviour). */
gboolean vsa_config_load (VsaConfig *self, char **args, char **envp, GError **error);

/* Sets token from the file at path: one word of visible ASCII. */
gboolean vsa_config_read_token (VsaConfig *self, const char *path, GError **error);

/* "ADDRESS:PORT" with a numeric IPv4 address or a bracketed IPv6 one ("[::1]:9464") and
 * a port from 0 (any free one) to 65535 → the address without brackets and the port. */
gboolean vsa_config_parse_listen (const char *key, const char *text, char **out_address,
                                  guint *out_port, GError **error);

const char *vsa_source_kind_to_string (VsaSourceKind kind);
const char *vsa_encoder_mode_to_string (VsaEncoderMode mode);

/* Overwrites a secret (a token, a header holding one) before freeing it; NULLs it. */
void vsa_secret_clear (char **secret);

G_END_DECLS
