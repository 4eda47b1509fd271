/* time.h - stand-in for the freestanding guest /init: rv32 Linux has only the time64 ABI, so
 * time_t and struct timespec are 64-bit (this makes <sound/asound.h>'s snd_pcm_status match the
 * kernel's STATUS64 layout). */
#ifndef VSND_GUEST_TIME_H
#define VSND_GUEST_TIME_H
#define __USE_TIME_BITS64 1
typedef long long time_t;
struct timespec {
	long long tv_sec;
	long long tv_nsec;
};
#endif
