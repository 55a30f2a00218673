/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job's file system view (RootDirectory, HostSystem, BindPaths,
 * PrivateTmp), built by init as root in the job's private mount namespace.
 *
 * Every path the caller names is opened as the caller (their fsuid, fsgid
 * and groups) with openat2(RESOLVE_NO_MAGICLINKS), then mounted by file
 * descriptor (open_tree/move_mount), so nothing can be swapped between the
 * check and the use (runc CVE-2021-30465). The new root is a small tmpfs
 * skeleton of ours with the root directory's entries bound into it: nothing
 * is ever created or written inside the caller's tree, and the reserved
 * names (proc, dev, the host system directories, tmp) are ours. Every mount
 * from the caller's side is nosuid,nodev. After pivot_root, nothing here
 * reads a file (no NSS, no libraries: CVE-2025-32463); the caller's ids came
 * in the spec. */
#define _GNU_SOURCE 1
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

/* Where the skeleton is put together before it becomes "/": a root-owned
 * directory every host has; the mount there lives only in our namespace. */
#define SKELETON "/tmp"
#define ROOT_ENTRIES_MAX 4096U
#define SKELETON_OPTIONS "mode=0755,size=1m,nr_inodes=8192"

/* The host's system directories --host-system binds in (Nomad's chroot_env
 * minus what a job does not need). */
static const char *const host_system_dirs[] = { "usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc" };

/* The harmless character devices of a job's /dev (devices.txt numbers). */
static const struct {
        const char *name;
        unsigned major, minor;
} dev_nodes[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

typedef struct RootEntry {
        char *name;
        mode_t type;                    /* S_IFDIR, S_IFLNK or anything else */
} RootEntry;

typedef struct Caller {
        gid_t *saved_groups;
        int n_saved_groups;
} Caller;

static int fail(const char **ret_stage, const char *stage, int error, const char *what) {
        *ret_stage = stage;
        return log_error_errno(error, "Failed to %s (%s): %m", stage, what);
}

static int openat2_path(int dirfd, const char *path, uint64_t flags, uint64_t resolve) {
        struct open_how how = { .flags = flags | O_PATH | O_CLOEXEC, .resolve = resolve };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        return fd < 0 ? -errno : (int) fd;
}

/* Our fs ids and groups become the caller's: the kernel then judges every
 * lookup as it would the caller's own. Single-threaded, so the group
 * change is ours alone; undone by caller_leave(). */
static int caller_enter(const ShimSpec *spec, Caller *c) {
        int n = getgroups(0, NULL);

        if (n < 0)
                return -errno;
        c->saved_groups = calloc((size_t) n + 1, sizeof(gid_t));
        if (!c->saved_groups)
                return -ENOMEM;
        c->n_saved_groups = getgroups(n, c->saved_groups);
        if (c->n_saved_groups < 0)
                return -errno;
        if (setgroups(spec->n_groups, spec->groups) < 0)
                return -errno;
        (void) setfsgid(spec->gid);
        (void) setfsuid(spec->uid);
        /* setfs*id() report the previous id; asking again tells whether it took. */
        if ((uid_t) setfsuid((uid_t) -1) != spec->uid || (gid_t) setfsgid((gid_t) -1) != spec->gid)
                return -EPERM;
        return 0;
}

static int caller_leave(Caller *c) {
        (void) setfsuid(0);
        (void) setfsgid(0);
        int r = setgroups((size_t) c->n_saved_groups, c->saved_groups) < 0 ? -errno : 0;
        free(c->saved_groups);
        c->saved_groups = NULL;
        if (r < 0)
                return r;
        if (setfsuid((uid_t) -1) != 0 || setfsgid((gid_t) -1) != 0)
                return -EPERM;
        return 0;
}

/* As the caller: path opened O_PATH without magic links, and readable by
 * them (and searchable, for a directory). */
static int open_as_caller(const char *path, bool want_directory, int *ret_fd) {
        struct stat st;
        int fd;

        fd = openat2_path(AT_FDCWD, path, want_directory ? O_DIRECTORY : 0, RESOLVE_NO_MAGICLINKS);
        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0 ||
            syscall(SYS_faccessat2, fd, "", S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK,
                    AT_EMPTY_PATH | AT_EACCESS) < 0) {
                int r = -errno;
                close(fd);
                return r;
        }
        *ret_fd = fd;
        return 0;
}

/* As the caller: the names in the root directory, and what each is. */
static int list_root(int root_fd, RootEntry **ret, size_t *ret_n) {
        _cleanup_close_ int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        RootEntry *entries = NULL;
        size_t n = 0;
        DIR *d;
        int r = 0;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -EBADF;
        for (struct dirent *de; (errno = 0, de = readdir(d)); ) {
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (n >= ROOT_ENTRIES_MAX) {
                        r = -E2BIG;
                        break;
                }
                if (fstatat(root_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        r = -errno;
                        break;
                }
                RootEntry *ne = realloc(entries, sizeof(RootEntry) * (n + 1));
                if (!ne) {
                        r = -ENOMEM;
                        break;
                }
                entries = ne;
                entries[n].name = strdup(de->d_name);
                entries[n].type = st.st_mode & S_IFMT;
                if (!entries[n].name) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(entries[i].name);
                free(entries);
                return r;
        }
        *ret = entries;
        *ret_n = n;
        return 0;
}

static void root_entries_free(RootEntry *entries, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(entries[i].name);
        free(entries);
}

/* A detached recursive copy of the mount tree at fd (or fd/name) with attr
 * set on every mount of it. */
static int clone_tree(int fd, const char *name, uint64_t attr, bool recursive) {
        int tree = open_tree(fd, name ?: "",
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW |
                             (recursive ? AT_RECURSIVE : 0) | (name ? 0 : AT_EMPTY_PATH));
        if (tree < 0)
                return -errno;
        struct mount_attr a = { .attr_set = attr };
        if (attr != 0 && mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0) {
                int r = -errno;
                close(tree);
                return r;
        }
        return tree;
}

static int attach(int tree, int target_fd) {
        if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

/* A mount point for an entry of type in our skeleton directory dir_fd. */
static int make_mount_point(int dir_fd, const char *name, bool directory) {
        if (directory ? mkdirat(dir_fd, name, 0755) : mknodat(dir_fd, name, S_IFREG | 0644, 0))
                if (errno != EEXIST)
                        return -errno;
        return openat2_path(dir_fd, name, O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
}

static bool name_in(const char *name, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(name, list[i]) == 0)
                        return true;
        return false;
}

/* Names of "/" that are ours, not the root directory's. */
static bool name_reserved(const ShimSpec *spec, const char *name) {
        if (strcmp(name, "proc") == 0 || strcmp(name, "dev") == 0)
                return true;
        if ((spec->host_system || spec->private_tmp) && strcmp(name, "tmp") == 0)
                return true;
        return spec->host_system && name_in(name, host_system_dirs, ELEMENTSOF(host_system_dirs));
}

static int bind_root_entries(const ShimSpec *spec, int root_fd, const RootEntry *entries, size_t n,
                             int skeleton_fd, const char **ret_stage) {
        static const char stage[] = "bind the root directory's entries";

        for (size_t i = 0; i < n; i++) {
                const RootEntry *e = &entries[i];
                struct stat st;
                int r;

                if (name_reserved(spec, e->name))
                        continue;
                if (e->type == S_IFLNK) {
                        /* Reproduced, not bound: it resolves inside the new root. */
                        char target[PATH_MAX];
                        ssize_t len = readlinkat(root_fd, e->name, target, sizeof target - 1);
                        if (len < 0)
                                return fail(ret_stage, stage, errno, e->name);
                        target[len] = 0;
                        if (symlinkat(target, skeleton_fd, e->name) < 0)
                                return fail(ret_stage, stage, errno, e->name);
                        continue;
                }
                _cleanup_close_ int tree = clone_tree(root_fd, e->name, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true);
                if (tree < 0)
                        return fail(ret_stage, stage, -tree, e->name);
                /* Swapped since the listing: refuse rather than guess. */
                if (fstat(tree, &st) < 0)
                        return fail(ret_stage, stage, errno, e->name);
                if ((st.st_mode & S_IFMT) == S_IFLNK || (S_ISDIR(st.st_mode) != (e->type == S_IFDIR)))
                        return fail(ret_stage, stage, EBUSY, e->name);
                _cleanup_close_ int target = make_mount_point(skeleton_fd, e->name, S_ISDIR(st.st_mode));
                if (target < 0)
                        return fail(ret_stage, stage, -target, e->name);
                r = attach(tree, target);
                if (r < 0)
                        return fail(ret_stage, stage, -r, e->name);
        }
        return 0;
}

/* The host's /usr, /etc..., read-only; merged-/usr symlinks as symlinks. */
static int bind_host_system(int skeleton_fd, const char **ret_stage) {
        static const char stage[] = "bind the host system directories";

        for (size_t i = 0; i < ELEMENTSOF(host_system_dirs); i++) {
                const char *name = host_system_dirs[i];
                char path[64], target[PATH_MAX];
                struct stat st;
                int r;

                snprintf(path, sizeof path, "/%s", name);
                if (lstat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return fail(ret_stage, stage, errno, path);
                }
                if (S_ISLNK(st.st_mode)) {
                        ssize_t len = readlink(path, target, sizeof target - 1);
                        if (len < 0)
                                return fail(ret_stage, stage, errno, path);
                        target[len] = 0;
                        if (symlinkat(target, skeleton_fd, name) < 0)
                                return fail(ret_stage, stage, errno, path);
                        continue;
                }
                if (!S_ISDIR(st.st_mode))
                        continue;
                _cleanup_close_ int tree = clone_tree(AT_FDCWD, path,
                                                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, true);
                if (tree < 0)
                        return fail(ret_stage, stage, -tree, path);
                _cleanup_close_ int mp = make_mount_point(skeleton_fd, name, true);
                if (mp < 0)
                        return fail(ret_stage, stage, -mp, path);
                r = attach(tree, mp);
                if (r < 0)
                        return fail(ret_stage, stage, -r, path);
        }
        return 0;
}

static int mount_tmpfs_at(int target_fd, const char *options, unsigned flags) {
        char path[64];

        /* Our own mount point, reached through its fd: never a path the
         * caller could redirect. */
        snprintf(path, sizeof path, "/proc/self/fd/%d", target_fd);
        return mount("tmpfs", path, "tmpfs", flags, options) < 0 ? -errno : 0;
}

/* A small /dev of the job's own: the harmless nodes, a new devpts
 * instance, shm, and the usual links. Never the host's /dev. */
static int make_dev(int skeleton_fd, const char **ret_stage) {
        static const char stage[] = "set up /dev";
        static const char *const links[][2] = {
                { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
                { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },
        };
        int r;

        _cleanup_close_ int mp = make_mount_point(skeleton_fd, "dev", true);
        if (mp < 0)
                return fail(ret_stage, stage, -mp, "dev");
        r = mount_tmpfs_at(mp, "mode=0755,size=64k,nr_inodes=64", MS_NOSUID | MS_NOEXEC);
        if (r < 0)
                return fail(ret_stage, stage, -r, "tmpfs");
        /* The mount point's fd names the directory under the tmpfs. */
        _cleanup_close_ int dev = openat2_path(skeleton_fd, "dev", O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
        if (dev < 0)
                return fail(ret_stage, stage, -dev, "dev");

        /* Made, as systemd's PrivateDevices= and runc do, not bound from the
         * host: one mknodat() each instead of a mount point and a cloned
         * mount (open_tree, mount_setattr, move_mount), the same devices.
         * Our tmpfs (root's, 0755, nosuid, noexec) is the only place nodes
         * live; the job, without CAP_MKNOD, makes none. */
        mode_t saved_umask = umask(0);
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++)
                if (mknodat(dev, dev_nodes[i].name, S_IFCHR | 0666, makedev(dev_nodes[i].major, dev_nodes[i].minor)) < 0) {
                        r = -errno;
                        umask(saved_umask);
                        return fail(ret_stage, stage, -r, dev_nodes[i].name);
                }
        umask(saved_umask);

        _cleanup_close_ int pts = make_mount_point(dev, "pts", true);
        if (pts < 0)
                return fail(ret_stage, stage, -pts, "pts");
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", pts);
        if (mount("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                return fail(ret_stage, stage, errno, "devpts");

        _cleanup_close_ int shm = make_mount_point(dev, "shm", true);
        if (shm < 0)
                return fail(ret_stage, stage, -shm, "shm");
        r = mount_tmpfs_at(shm, "mode=1777", MS_NOSUID | MS_NODEV);
        if (r < 0)
                return fail(ret_stage, stage, -r, "shm");

        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlinkat(links[i][1], dev, links[i][0]) < 0)
                        return fail(ret_stage, stage, errno, links[i][0]);
        return 0;
}

/* Resolves path inside the new root (symlinks resolve there too); a missing
 * last component is made only where its parent is our skeleton. */
static int open_destination(int skeleton_fd, dev_t skeleton_dev, const char *path, bool directory) {
        int fd = openat2_path(skeleton_fd, path, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (fd != -ENOENT)
                return fd;

        _cleanup_free_ char *parent = strdup(path);
        if (!parent)
                return -ENOMEM;
        char *slash = strrchr(parent, '/');
        const char *name = path + (slash - parent) + 1;
        *slash = 0;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return -ENOENT;
        _cleanup_close_ int parent_fd = openat2_path(skeleton_fd, *parent ? parent : "/", O_DIRECTORY,
                                                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (parent_fd < 0)
                return parent_fd;
        struct stat st;
        if (fstat(parent_fd, &st) < 0)
                return -errno;
        if (st.st_dev != skeleton_dev)
                return -ENOENT;    /* the caller's tree: nothing is made there */
        return make_mount_point(parent_fd, name, directory);
}

static int private_tmp_in_root(int skeleton_fd, dev_t skeleton_dev, const char **ret_stage) {
        static const char stage[] = "mount a private /tmp";
        int r;

        _cleanup_close_ int tmp = make_mount_point(skeleton_fd, "tmp", true);
        if (tmp < 0)
                return fail(ret_stage, stage, -tmp, "/tmp");
        r = mount_tmpfs_at(tmp, "mode=1777", MS_NOSUID | MS_NODEV);
        if (r < 0)
                return fail(ret_stage, stage, -r, "/tmp");

        /* /var/tmp: in our skeleton when the root has no /var; in the root's
         * own /var only if it has a tmp there (nothing is made in it). */
        _cleanup_close_ int var = openat2_path(skeleton_fd, "var", O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        if (var == -ENOENT) {
                if (mkdirat(skeleton_fd, "var", 0755) < 0)
                        return fail(ret_stage, stage, errno, "/var");
        } else if (var < 0)
                return 0;       /* not a directory: no /var/tmp to give */
        _cleanup_close_ int var_tmp = open_destination(skeleton_fd, skeleton_dev, "/var/tmp", true);
        if (var_tmp < 0) {
                log_debug_errno(var_tmp, "No /var/tmp in the root, not mounting one: %m");
                return 0;
        }
        r = mount_tmpfs_at(var_tmp, "mode=1777", MS_NOSUID | MS_NODEV);
        if (r < 0)
                return fail(ret_stage, stage, -r, "/var/tmp");
        return 0;
}

/* Without a root: empty /tmp and /var/tmp over the host's (root-owned host
 * paths, not the caller's). */
static int private_tmp_on_host(const char **ret_stage) {
        static const char *const dirs[] = { "/tmp", "/var/tmp" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 && errno != ENOENT)
                        return fail(ret_stage, "mount a private /tmp", errno, dirs[i]);
        return 0;
}

static int apply_binds(const ShimSpec *spec, const int *source_fds, int skeleton_fd, dev_t skeleton_dev,
                       const char **ret_stage) {
        static const char stage[] = "bind a path";

        for (size_t i = 0; i < spec->n_binds; i++) {
                const ShimBind *b = &spec->binds[i];
                struct stat st;
                int r;

                if (fstat(source_fds[i], &st) < 0)
                        return fail(ret_stage, stage, errno, b->source);
                _cleanup_close_ int tree = clone_tree(source_fds[i], NULL,
                                                      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                      (b->read_only ? MOUNT_ATTR_RDONLY : 0), true);
                if (tree < 0)
                        return fail(ret_stage, stage, -tree, b->source);
                _cleanup_close_ int target = -EBADF;
                if (skeleton_fd >= 0)
                        target = open_destination(skeleton_fd, skeleton_dev, b->destination, S_ISDIR(st.st_mode));
                else
                        /* Over the host view: found by the opener of the source, the caller. */
                        target = source_fds[spec->n_binds + i];
                if (target < 0)
                        return fail(ret_stage, stage, -target, b->destination);
                r = attach(tree, target);
                if (skeleton_fd < 0)
                        target = -EBADF;        /* owned by source_fds */
                if (r < 0)
                        return fail(ret_stage, stage, -r, b->destination);
        }
        return 0;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0)
                        close(fds[i]);
        free(fds);
}

/* As the caller: the root, each bind source and (without a root) each bind
 * destination. fds[0..n_binds) are the sources, fds[n_binds..2*n_binds) the
 * host destinations. */
static int open_caller_paths(const ShimSpec *spec, int *ret_root_fd, RootEntry **ret_entries, size_t *ret_n,
                             int **ret_fds, const char **ret_stage) {
        Caller caller = {};
        int *fds = NULL, r, root_fd = -EBADF;
        const char *stage = "open a path as the job's user", *what = NULL;

        fds = malloc(sizeof(int) * (2 * spec->n_binds + 1));
        if (!fds)
                return fail(ret_stage, stage, ENOMEM, "memory");
        for (size_t i = 0; i < 2 * spec->n_binds; i++)
                fds[i] = -EBADF;

        r = caller_enter(spec, &caller);
        if (r < 0) {
                what = "becoming the job's user";
                goto leave;
        }
        if (spec->root_directory) {
                what = spec->root_directory;
                r = open_as_caller(spec->root_directory, true, &root_fd);
                if (r < 0)
                        goto leave;
                r = list_root(root_fd, ret_entries, ret_n);
                if (r < 0)
                        goto leave;
        }
        for (size_t i = 0; i < spec->n_binds; i++) {
                what = spec->binds[i].source;
                r = open_as_caller(spec->binds[i].source, false, &fds[i]);
                if (r < 0)
                        goto leave;
                if (!spec->root_directory) {
                        what = spec->binds[i].destination;
                        r = openat2_path(AT_FDCWD, spec->binds[i].destination, 0, RESOLVE_NO_MAGICLINKS);
                        if (r < 0)
                                goto leave;
                        fds[spec->n_binds + i] = r;
                        r = 0;
                }
        }
leave:;
        int k = caller_leave(&caller);
        if (k < 0) {
                /* Still with the caller's groups: nothing may go on. */
                log_error_errno(k, "Failed to become root again after opening paths: %m");
                _exit(EXIT_FAILURE);
        }
        if (r < 0) {
                if (root_fd >= 0)
                        close(root_fd);
                if (spec->root_directory && *ret_entries)
                        root_entries_free(*ret_entries, *ret_n), *ret_entries = NULL;
                close_fds(fds, 2 * spec->n_binds);
                /* The stage names the path: it is the caller's own. */
                static char named_stage[256];
                snprintf(named_stage, sizeof named_stage, "open %s as the job's user", what ?: "a path");
                return fail(ret_stage, named_stage, -r, what);
        }
        *ret_root_fd = root_fd;
        *ret_fds = fds;
        return 0;
}

/* Into the skeleton: it becomes "/", the old root is gone from the
 * namespace, and "/" itself (our tmpfs) turns read-only. */
static int switch_root(const char **ret_stage) {
        static const char stage[] = "switch to the job's root";

        if (chdir(SKELETON) < 0)
                return fail(ret_stage, stage, errno, "chdir");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return fail(ret_stage, stage, errno, "pivot_root");
        /* The old root is stacked under the new one at ".": detach it. */
        if (umount2(".", MNT_DETACH) < 0)
                return fail(ret_stage, stage, errno, "detach the old root");
        if (chdir("/") < 0)
                return fail(ret_stage, stage, errno, "chdir /");
        if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                return fail(ret_stage, stage, errno, "make / read-only");
        return 0;
}

int root_setup(const ShimSpec *spec, const char **ret_stage) {
        RootEntry *entries = NULL;
        size_t n_entries = 0;
        _cleanup_close_ int root_fd = -EBADF, skeleton_fd = -EBADF;
        int *fds = NULL, r;
        struct stat st;

        assert(spec);

        if (!spec->root_directory && spec->n_binds == 0 && !spec->private_tmp)
                return 0;

        /* In init's own mount namespace, private since sandbox_setup(): the
         * shim is not in it and keeps the host's view (pivot_root moves
         * every process of a namespace; a bind over /run/jobworker would
         * catch the status file the shim writes as root). */
        r = open_caller_paths(spec, &root_fd, &entries, &n_entries, &fds, ret_stage);
        if (r < 0)
                return r;

        if (!spec->root_directory) {
                if (spec->private_tmp) {
                        r = private_tmp_on_host(ret_stage);
                        if (r < 0)
                                goto finish;
                }
                r = apply_binds(spec, fds, -EBADF, 0, ret_stage);
                goto finish;
        }

        if (mount("jobworker-root", SKELETON, "tmpfs", MS_NOSUID | MS_NODEV, SKELETON_OPTIONS) < 0) {
                r = fail(ret_stage, "set up the job's root", errno, "tmpfs");
                goto finish;
        }
        skeleton_fd = openat2_path(AT_FDCWD, SKELETON, O_DIRECTORY, RESOLVE_NO_SYMLINKS);
        if (skeleton_fd < 0 || fstat(skeleton_fd, &st) < 0) {
                r = fail(ret_stage, "set up the job's root", skeleton_fd < 0 ? -skeleton_fd : errno, "skeleton");
                goto finish;
        }

        r = bind_root_entries(spec, root_fd, entries, n_entries, skeleton_fd, ret_stage);
        if (r < 0)
                goto finish;
        if (spec->host_system) {
                r = bind_host_system(skeleton_fd, ret_stage);
                if (r < 0)
                        goto finish;
        }

        /* Our /proc already is the job's PID namespace's (sandbox_setup()). */
        {
                _cleanup_close_ int tree = clone_tree(AT_FDCWD, "/proc", 0, false);
                _cleanup_close_ int mp = make_mount_point(skeleton_fd, "proc", true);
                if (tree < 0 || mp < 0 || (r = attach(tree, mp)) < 0) {
                        r = fail(ret_stage, "mount /proc in the job's root", tree < 0 ? -tree : mp < 0 ? -mp : -r, "/proc");
                        goto finish;
                }
        }
        r = make_dev(skeleton_fd, ret_stage);
        if (r < 0)
                goto finish;
        if (spec->host_system || spec->private_tmp) {
                r = private_tmp_in_root(skeleton_fd, st.st_dev, ret_stage);
                if (r < 0)
                        goto finish;
        }
        r = apply_binds(spec, fds, skeleton_fd, st.st_dev, ret_stage);
        if (r < 0)
                goto finish;

        r = switch_root(ret_stage);
finish:
        root_entries_free(entries, n_entries);
        close_fds(fds, 2 * spec->n_binds);
        return r;
}
