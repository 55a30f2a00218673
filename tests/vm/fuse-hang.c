/* Test helper (installed only with -Dinstall_tests=true): a FUSE mount
 * whose server never answers, not even the kernel's INIT request, so every
 * access to the mount blocks (killably) for as long as this runs. Stands in
 * for a hung NFS server or automount.
 *
 *   fuse-hang MOUNTPOINT
 *
 * Run as root. Mounts with allow_other (any user's access hangs), prints
 * "ready" once mounted, then waits until killed; exiting closes /dev/fuse,
 * which aborts the connection: the blocked accesses then fail with ENOTCONN.
 * The mount stays until `umount MOUNTPOINT`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv) {
        char options[128];
        int fd;

        if (argc != 2) {
                fprintf(stderr, "usage: fuse-hang MOUNTPOINT\n");
                return 2;
        }
        fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "fuse-hang: /dev/fuse: %s\n", strerror(errno));
                return 1;
        }
        snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
        if (mount("fuse-hang", argv[1], "fuse", MS_NOSUID | MS_NODEV, options) < 0) {
                fprintf(stderr, "fuse-hang: mount %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        for (;;)
                pause();
}
