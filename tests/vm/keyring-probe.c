/* Test helper (installed only with -Dinstall_tests=true): what a job can do
 * with its kernel session keyring, without keyutils in the VM image.
 *
 *   keyring-probe add DESC DATA   adds a "user" key DESC=DATA to the session keyring
 *   keyring-probe read DESC       prints the payload of the "user" key DESC found
 *                                 from the session keyring, or "absent"
 *   keyring-probe session         prints the session keyring's description
 *                                 ("keyring;UID;GID;PERM;NAME")
 *   keyring-probe user-linked     prints "linked" if the user keyring is linked
 *                                 into the session keyring, else "unlinked"
 *
 * Exit status 0 on success (also for "absent"/"unlinked"), 1 on any error. */
#include <errno.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long keyctl(int cmd, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
        return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

static int fail(const char *what) {
        fprintf(stderr, "keyring-probe: %s: %s\n", what, strerror(errno));
        return 1;
}

int main(int argc, char **argv) {
        char buf[4096];
        long n, id;

        if (argc == 4 && strcmp(argv[1], "add") == 0) {
                if (syscall(SYS_add_key, "user", argv[2], argv[3], strlen(argv[3]), KEY_SPEC_SESSION_KEYRING) < 0)
                        return fail("add_key");
                return 0;
        }
        if (argc == 3 && strcmp(argv[1], "read") == 0) {
                id = keyctl(KEYCTL_SEARCH, (unsigned long) KEY_SPEC_SESSION_KEYRING, (unsigned long) "user",
                            (unsigned long) argv[2], 0);
                if (id < 0 && (errno == ENOKEY || errno == EKEYREVOKED || errno == EKEYEXPIRED)) {
                        puts("absent");
                        return 0;
                }
                if (id < 0)
                        return fail("KEYCTL_SEARCH");
                n = keyctl(KEYCTL_READ, (unsigned long) id, (unsigned long) buf, sizeof buf - 1, 0);
                if (n < 0)
                        return fail("KEYCTL_READ");
                buf[n < (long) sizeof buf - 1 ? n : (long) sizeof buf - 1] = 0;
                puts(buf);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "session") == 0) {
                n = keyctl(KEYCTL_DESCRIBE, (unsigned long) KEY_SPEC_SESSION_KEYRING, (unsigned long) buf,
                           sizeof buf, 0);
                if (n < 0)
                        return fail("KEYCTL_DESCRIBE");
                buf[sizeof buf - 1] = 0;
                puts(buf);
                return 0;
        }
        if (argc == 2 && strcmp(argv[1], "user-linked") == 0) {
                char name[32];
                long user = keyctl(KEYCTL_GET_KEYRING_ID, (unsigned long) KEY_SPEC_USER_KEYRING, 1, 0, 0);
                if (user < 0)
                        return fail("KEYCTL_GET_KEYRING_ID");
                snprintf(name, sizeof name, "_uid.%u", (unsigned) getuid());
                id = keyctl(KEYCTL_SEARCH, (unsigned long) KEY_SPEC_SESSION_KEYRING, (unsigned long) "keyring",
                            (unsigned long) name, 0);
                if (id < 0 && errno != ENOKEY)
                        return fail("KEYCTL_SEARCH");
                puts(id == user ? "linked" : "unlinked");
                return 0;
        }
        fprintf(stderr, "usage: keyring-probe add DESC DATA | read DESC | session | user-linked\n");
        return 1;
}
