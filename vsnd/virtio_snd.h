/* virtio_snd.h - wire format of the VirtIO sound device (VirtIO 1.2, section 5.14).
 * Codes, enums and packed little-endian structs shared by the device, tests and tools. */
#ifndef VSND_VIRTIO_SND_H
#define VSND_VIRTIO_SND_H

#include <stdint.h>

#define VIRTIO_ID_SOUND 25u

/* Queue indexes (5.14.2). */
enum { VSND_VQ_CONTROL = 0, VSND_VQ_EVENT = 1, VSND_VQ_TX = 2, VSND_VQ_RX = 3, VSND_VQ_NUM = 4 };

/* Request, event and status codes (5.14.6). */
enum {
	VIRTIO_SND_R_JACK_INFO = 0x0001,
	VIRTIO_SND_R_JACK_REMAP = 0x0002,
	VIRTIO_SND_R_PCM_INFO = 0x0100,
	VIRTIO_SND_R_PCM_SET_PARAMS = 0x0101,
	VIRTIO_SND_R_PCM_PREPARE = 0x0102,
	VIRTIO_SND_R_PCM_RELEASE = 0x0103,
	VIRTIO_SND_R_PCM_START = 0x0104,
	VIRTIO_SND_R_PCM_STOP = 0x0105,
	VIRTIO_SND_R_CHMAP_INFO = 0x0200,

	VIRTIO_SND_EVT_JACK_CONNECTED = 0x1000,
	VIRTIO_SND_EVT_JACK_DISCONNECTED = 0x1001,
	VIRTIO_SND_EVT_PCM_PERIOD_ELAPSED = 0x1100,
	VIRTIO_SND_EVT_PCM_XRUN = 0x1101,

	VIRTIO_SND_S_OK = 0x8000,
	VIRTIO_SND_S_BAD_MSG = 0x8001,
	VIRTIO_SND_S_NOT_SUPP = 0x8002,
	VIRTIO_SND_S_IO_ERR = 0x8003,
};

enum { VIRTIO_SND_D_OUTPUT = 0, VIRTIO_SND_D_INPUT = 1 };

/* PCM stream feature bit numbers (5.14.6.6.2). */
enum {
	VIRTIO_SND_PCM_F_SHMEM_HOST = 0,
	VIRTIO_SND_PCM_F_SHMEM_GUEST = 1,
	VIRTIO_SND_PCM_F_MSG_POLLING = 2,
	VIRTIO_SND_PCM_F_EVT_SHMEM_PERIODS = 3,
	VIRTIO_SND_PCM_F_EVT_XRUNS = 4,
};

/* Jack feature bit numbers (5.14.6.4). */
enum { VIRTIO_SND_JACK_F_REMAP = 0 };

/* PCM formats: value is both the bit in pcm_info.formats and set_params.format. */
enum {
	VIRTIO_SND_PCM_FMT_IMA_ADPCM = 0,
	VIRTIO_SND_PCM_FMT_MU_LAW,
	VIRTIO_SND_PCM_FMT_A_LAW,
	VIRTIO_SND_PCM_FMT_S8,
	VIRTIO_SND_PCM_FMT_U8,
	VIRTIO_SND_PCM_FMT_S16,
	VIRTIO_SND_PCM_FMT_U16,
	VIRTIO_SND_PCM_FMT_S18_3,
	VIRTIO_SND_PCM_FMT_U18_3,
	VIRTIO_SND_PCM_FMT_S20_3,
	VIRTIO_SND_PCM_FMT_U20_3,
	VIRTIO_SND_PCM_FMT_S24_3,
	VIRTIO_SND_PCM_FMT_U24_3,
	VIRTIO_SND_PCM_FMT_S20,
	VIRTIO_SND_PCM_FMT_U20,
	VIRTIO_SND_PCM_FMT_S24,
	VIRTIO_SND_PCM_FMT_U24,
	VIRTIO_SND_PCM_FMT_S32,
	VIRTIO_SND_PCM_FMT_U32,
	VIRTIO_SND_PCM_FMT_FLOAT,
	VIRTIO_SND_PCM_FMT_FLOAT64,
	VIRTIO_SND_PCM_FMT_DSD_U8,
	VIRTIO_SND_PCM_FMT_DSD_U16,
	VIRTIO_SND_PCM_FMT_DSD_U32,
	VIRTIO_SND_PCM_FMT_IEC958_SUBFRAME,
	VIRTIO_SND_PCM_FMT_COUNT
};

/* PCM rates: value is both the bit in pcm_info.rates and set_params.rate. */
enum {
	VIRTIO_SND_PCM_RATE_5512 = 0,
	VIRTIO_SND_PCM_RATE_8000,
	VIRTIO_SND_PCM_RATE_11025,
	VIRTIO_SND_PCM_RATE_16000,
	VIRTIO_SND_PCM_RATE_22050,
	VIRTIO_SND_PCM_RATE_32000,
	VIRTIO_SND_PCM_RATE_44100,
	VIRTIO_SND_PCM_RATE_48000,
	VIRTIO_SND_PCM_RATE_64000,
	VIRTIO_SND_PCM_RATE_88200,
	VIRTIO_SND_PCM_RATE_96000,
	VIRTIO_SND_PCM_RATE_176400,
	VIRTIO_SND_PCM_RATE_192000,
	VIRTIO_SND_PCM_RATE_384000,
	VIRTIO_SND_PCM_RATE_COUNT /* 14: the 1.2 rates */
};

/* Wire structs (5.14.6): packed, little-endian. Sizes are asserted below. */
struct virtio_snd_config {
	uint32_t jacks, streams, chmaps;
} __attribute__((packed));

struct virtio_snd_hdr { uint32_t code; } __attribute__((packed));
struct virtio_snd_event { uint32_t code, data; } __attribute__((packed));
struct virtio_snd_query_info { uint32_t code, start_id, count, size; } __attribute__((packed));
struct virtio_snd_jack_hdr { uint32_t code, jack_id; } __attribute__((packed));
struct virtio_snd_jack_info {
	uint32_t hda_fn_nid, features, hda_reg_defconf, hda_reg_caps;
	uint8_t connected, padding[7];
} __attribute__((packed));
struct virtio_snd_jack_remap { uint32_t code, jack_id, association, sequence; } __attribute__((packed));
struct virtio_snd_pcm_hdr { uint32_t code, stream_id; } __attribute__((packed));
struct virtio_snd_pcm_info {
	uint32_t hda_fn_nid, features;
	uint64_t formats, rates;
	uint8_t direction, channels_min, channels_max, padding[5];
} __attribute__((packed));
struct virtio_snd_pcm_set_params {
	uint32_t code, stream_id, buffer_bytes, period_bytes, features;
	uint8_t channels, format, rate, padding;
} __attribute__((packed));
struct virtio_snd_pcm_xfer { uint32_t stream_id; } __attribute__((packed));
struct virtio_snd_pcm_status { uint32_t status, latency_bytes; } __attribute__((packed));
#define VIRTIO_SND_CHMAP_MAX_SIZE 18
struct virtio_snd_chmap_info {
	uint32_t hda_fn_nid;
	uint8_t direction, channels, positions[VIRTIO_SND_CHMAP_MAX_SIZE];
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_snd_jack_info) == 24, "jack_info");
_Static_assert(sizeof(struct virtio_snd_pcm_info) == 32, "pcm_info");
_Static_assert(sizeof(struct virtio_snd_pcm_set_params) == 24, "set_params");
_Static_assert(sizeof(struct virtio_snd_chmap_info) == 24, "chmap_info");
_Static_assert(sizeof(struct virtio_snd_pcm_status) == 8, "pcm_status");

#endif
