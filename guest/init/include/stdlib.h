/* stdlib.h - stand-in for the freestanding guest /init: the kernel's uapi <sound/asound.h>
 * includes <stdlib.h> outside the kernel but needs nothing from it. */
#ifndef VSND_GUEST_STDLIB_H
#define VSND_GUEST_STDLIB_H
#include <stddef.h>
#endif
