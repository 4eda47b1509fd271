#!/bin/sh
# local test build: tree sources with the patched cpu.c from /tmp/sb/semu
set -e
cd /work/main
for f in semu/*.c semu/*.h; do case $f in semu/cpu*) ;; *) cp $f /tmp/sb/semu/;; esac; done
gcc -std=gnu11 -O2 -g -pthread -I/tmp/sb -I. -D_GNU_SOURCE -DSEMU_NO_TRACE /tmp/sb/semu/*.c -o /tmp/sb/semu-p build/libvsnd.a $(pkg-config --libs sqlite3 sndfile alsa) -lfdt -lm
