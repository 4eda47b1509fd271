/* sys.h - raw rv32 Linux system calls for the freestanding guest /init (asm-generic numbers,
 * time64 ABI only: there is no open, nanosleep or 32-bit time syscall on rv32). */
#ifndef VSND_GUEST_SYS_H
#define VSND_GUEST_SYS_H

#include <stdint.h>

#define SYS_ioctl 29
#define SYS_mkdirat 34
#define SYS_mount 40
#define SYS_openat 56
#define SYS_close 57
#define SYS_llseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_exit 93
#define SYS_reboot 142
#define SYS_mmap2 222
#define SYS_clock_gettime64 403
#define SYS_clock_nanosleep_time64 407

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define SEEK_SET 0
#define CLOCK_MONOTONIC 1
#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

/* Every call returns the kernel's value: >= 0, or -errno. */
static inline long vg_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;
	register long a3 __asm__("a3") = d;
	register long a4 __asm__("a4") = e;
	register long a5 __asm__("a5") = f;
	register long a7 __asm__("a7") = n;
	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
			 : "memory");
	return a0;
}

struct vg_timespec64 {
	int64_t tv_sec;
	int64_t tv_nsec;
};

static inline long sys_openat(const char *path, int flags)
{
	return vg_syscall6(SYS_openat, AT_FDCWD, (long)path, flags, 0, 0, 0);
}
static inline long sys_close(long fd)
{
	return vg_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}
static inline long sys_read(long fd, void *buf, uint32_t n)
{
	return vg_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline long sys_write(long fd, const void *buf, uint32_t n)
{
	return vg_syscall6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}
static inline long sys_ioctl(long fd, unsigned long req, void *arg)
{
	return vg_syscall6(SYS_ioctl, fd, (long)req, (long)arg, 0, 0, 0);
}
static inline long sys_lseek(long fd, uint32_t off)
{
	int64_t result = 0;
	return vg_syscall6(SYS_llseek, fd, 0, (long)off, (long)&result, SEEK_SET, 0);
}
static inline long sys_mount(const char *src, const char *dst, const char *type)
{
	return vg_syscall6(SYS_mount, (long)src, (long)dst, (long)type, 0, 0, 0);
}
static inline long sys_mkdir(const char *path, int mode)
{
	return vg_syscall6(SYS_mkdirat, AT_FDCWD, (long)path, mode, 0, 0, 0);
}
static inline void *sys_mmap_anon(uint32_t len)
{
	long r = vg_syscall6(SYS_mmap2, 0, (long)len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return (r < 0 && r > -4096) ? (void *)0 : (void *)r;
}
static inline long sys_clock_gettime(struct vg_timespec64 *ts)
{
	return vg_syscall6(SYS_clock_gettime64, CLOCK_MONOTONIC, (long)ts, 0, 0, 0, 0);
}
static inline long sys_sleep_ms(uint32_t ms)
{
	struct vg_timespec64 ts = {(int64_t)(ms / 1000), (int64_t)(ms % 1000) * 1000000};
	return vg_syscall6(SYS_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, (long)&ts, 0, 0, 0);
}
static inline long sys_reboot(uint32_t cmd)
{
	return vg_syscall6(SYS_reboot, (long)LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, (long)cmd,
			   0, 0, 0);
}
static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		vg_syscall6(SYS_exit, code, 0, 0, 0, 0, 0);
}

#endif
