/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerd.conf(5): which files make up the configuration (systemd's
 * conf-files rules), their parsing with libinih into a Settings struct, and
 * the validation of every key with the shared strict parsers. Pure: reads
 * files, logs nothing, knows no bus; a load either yields a whole new
 * Settings or fails with the first bad file, line and key named. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the files are looked for, highest precedence first. */
#define CONFIG_DIRS_DEFAULT { "/etc/jobworker", "/run/jobworker", "/usr/lib/jobworker", NULL }
#define CONFIG_MAIN_FILE "jobworkerd.conf"
#define CONFIG_DROPIN_DIR "jobworkerd.conf.d"
/* Drop-ins looked at, at most, in all directories together. */
#define CONFIG_DROPINS_MAX 256U
/* A configuration file larger than this is refused (they are a few lines). */
#define CONFIG_FILE_SIZE_MAX (1024U * 1024U)

/* Built-in values, also what an empty assignment ("Key=") resets to. */
#define CONFIG_DEFAULT_MAX_RUNNING_PER_USER 64U
#define CONFIG_DEFAULT_MAX_FINISHED_PER_USER 100U
#define CONFIG_DEFAULT_MAX_ADDRESSES_PER_USER 16U
#define CONFIG_DEFAULT_FINISHED_RETENTION_USEC (UINT64_C(24) * 3600 * 1000000)

/* One key=value as read, for sections another module interprets. */
typedef struct ConfigEntry {
        char *key;
        char *value;
        char *file;
        unsigned line;
} ConfigEntry;

/* A section with an argument, e.g. [Network "lab"]: kept as a list of its
 * entries in file order (drop-ins after the main file), for the module that
 * owns it (see config_sections_foreach()). Sections of one name and argument
 * from several files are merged into one. */
typedef struct ConfigSection {
        char *name;       /* "Network" */
        char *argument;   /* "lab" */
        ConfigEntry *entries;
        size_t n_entries;
} ConfigSection;

/* Per-job limits: UINT64_MAX = none. CPU in µs per second as JobLimits. */
typedef struct ConfigJobLimits {
        uint64_t memory_max;
        uint64_t cpu_quota_per_sec_usec;
        uint64_t tasks_max;
        uint64_t runtime_max_usec;
        uint64_t io_read_bandwidth_max;
        uint64_t io_write_bandwidth_max;
} ConfigJobLimits;

typedef struct Settings {
        /* [Jobs] */
        unsigned max_running_per_user;
        uint64_t default_stop_timeout_usec;
        ConfigJobLimits defaults;            /* runtime_max_usec, IO unused: no such keys */
        uint64_t finished_retention_usec;    /* UINT64_MAX = kept until a count or byte cap */
        unsigned max_finished_per_user;
        unsigned max_addresses_per_user;     /* bridged networking, root exempt */
        /* [Ceilings] */
        ConfigJobLimits ceilings;
        /* [UserSlice]: UINT64_MAX = not set (the slice keeps what it has). */
        uint64_t user_slice_memory_max;
        uint64_t user_slice_cpu_quota_per_sec_usec;
        uint64_t user_slice_tasks_max;
        uint64_t user_slice_io_weight;
        /* Sections with arguments ([Network "NAME"]), for their modules. */
        ConfigSection *sections;
        size_t n_sections;
        /* The files read, in the order applied (for the log). */
        char **files;
} Settings;

/* Built-in settings: what the daemon runs with when no file says otherwise. */
void settings_init(Settings *s);
/* Frees what s owns and leaves it as after settings_init(). */
void settings_done(Settings *s);
static inline void settings_donep(Settings **s) {
        if (*s)
                settings_done(*s);
}
/* Moves src into dst (dst freed first); src is left as after settings_init(). */
void settings_move(Settings *dst, Settings *src);
/* Whether [UserSlice] sets anything. */
bool settings_have_user_slice(const Settings *s);

/* Why a load failed: the file and line (0 = the file as a whole) and the
 * key (NULL if not one key), and a sentence for people. */
typedef struct ConfigError {
        char *file;
        unsigned line;
        char *key;
        char *message;
} ConfigError;
void config_error_done(ConfigError *e);

/* The files in the order they apply, following systemd's conf-files rules
 * (systemd.unit(5) "drop-in", and e.g. journald.conf(5)): the main file from
 * the first directory of dirs that has one; then every CONFIG_DROPIN_DIR/
 * *.conf of all directories, sorted by file name, a name in an earlier
 * directory hiding the same name in later ones (so /etc masks /run masks
 * /usr/lib); a drop-in that is empty or a symlink to /dev/null masks and is
 * not listed. dirs is NULL-terminated. *ret is a NULL-terminated list
 * (possibly empty). Returns 0, -ENOMEM, or -E2BIG past CONFIG_DROPINS_MAX. */
int config_files_list(const char *const *dirs, char ***ret);

/* Reads the files config_files_list() names into *ret (built-in values
 * first, each file overriding what came before). Returns 0; or a negative
 * errno with *error filled in (the first problem found: a file that cannot
 * be read, a syntax error, an unknown section or key, a bad value); *ret is
 * then untouched. */
int config_load(const char *const *dirs, Settings *ret, ConfigError *error);

/* The same for one text, as if it were file name (unit tests; no drop-ins):
 * applied on top of s, which is changed only on success. */
int config_parse_text(Settings *s, const char *name, const char *text, ConfigError *error);

/* Calls f for every section of that name ("Network"), in the order first
 * seen. Stops at and returns the first negative return of f. */
typedef int (*config_section_func_t)(const ConfigSection *section, void *userdata);
int config_sections_foreach(const Settings *s, const char *name, config_section_func_t f, void *userdata);
