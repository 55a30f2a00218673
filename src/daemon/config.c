/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerd.conf: the list of files, libinih for the syntax, our parsers
 * for the values. */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "fd-util.h"
#include "job-limits.h"
#include "macro.h"
#include "network-config.h"
#include "parse-util.h"

void settings_init(Settings *s) {
        assert(s);
        *s = (Settings) {
                .max_running_per_user = CONFIG_DEFAULT_MAX_RUNNING_PER_USER,
                .default_stop_timeout_usec = JOB_STOP_TIMEOUT_DEFAULT_USEC,
                .finished_retention_usec = CONFIG_DEFAULT_FINISHED_RETENTION_USEC,
                .max_finished_per_user = CONFIG_DEFAULT_MAX_FINISHED_PER_USER,
                .max_addresses_per_user = CONFIG_DEFAULT_MAX_ADDRESSES_PER_USER,
                .user_slice_memory_max = UINT64_MAX,
                .user_slice_cpu_quota_per_sec_usec = UINT64_MAX,
                .user_slice_tasks_max = UINT64_MAX,
                .user_slice_io_weight = UINT64_MAX,
        };
        memset(&s->defaults, 0xff, sizeof s->defaults);
        memset(&s->ceilings, 0xff, sizeof s->ceilings);
}

static void section_done(ConfigSection *c) {
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].key);
                free(c->entries[i].value);
                free(c->entries[i].file);
        }
        free(c->entries);
        free(c->name);
        free(c->argument);
}

void settings_done(Settings *s) {
        assert(s);
        for (size_t i = 0; i < s->n_sections; i++)
                section_done(&s->sections[i]);
        free(s->sections);
        strv_free(s->files);
        settings_init(s);
}

void settings_move(Settings *dst, Settings *src) {
        assert(dst);
        assert(src);
        settings_done(dst);
        *dst = *src;
        settings_init(src);
}

bool settings_have_user_slice(const Settings *s) {
        return s->user_slice_memory_max != UINT64_MAX || s->user_slice_cpu_quota_per_sec_usec != UINT64_MAX ||
               s->user_slice_tasks_max != UINT64_MAX || s->user_slice_io_weight != UINT64_MAX;
}

void config_error_done(ConfigError *e) {
        if (!e)
                return;
        free(e->file);
        free(e->key);
        free(e->message);
        *e = (ConfigError) {};
}

_printf_(5, 6)
static int set_error(ConfigError *e, int error, const char *file, unsigned line, const char *format, ...) {
        va_list ap;

        if (!e || e->message)  /* the first problem is the one reported */
                return error;
        e->file = file ? strdup(file) : NULL;
        e->line = line;
        va_start(ap, format);
        if (vasprintf(&e->message, format, ap) < 0)
                e->message = NULL;
        va_end(ap);
        return error;
}

/* ---- The keys ---- */

typedef enum ValueKind {
        VALUE_COUNT,     /* parse_uint64() */
        VALUE_SIZE,      /* parse_size() */
        VALUE_RATE,      /* parse_rate() */
        VALUE_CPU,       /* parse_cpu_fraction(), stored as µs per s */
        VALUE_SECONDS,   /* parse_seconds(), stored in µs */
} ValueKind;

typedef struct KeyInfo {
        const char *section;
        const char *key;
        ValueKind kind;
        size_t offset;        /* in Settings; uint64_t, or unsigned if is_unsigned */
        bool is_unsigned;
        uint64_t min, max;    /* in stored units */
        bool infinity_ok;     /* "infinity" stores UINT64_MAX */
        const char *range;    /* for the error message */
} KeyInfo;

#define S(field) offsetof(Settings, field)
#define DAY_USEC (UINT64_C(24) * 3600 * USEC_PER_SEC)

static const KeyInfo keys[] = {
        { "Jobs", "MaxRunningPerUser",     VALUE_COUNT,   S(max_running_per_user), true, 1, 1000000, false, "1..1000000" },
        { "Jobs", "DefaultStopTimeoutSec", VALUE_SECONDS, S(default_stop_timeout_usec), false, 1, JOB_TIMEOUT_MAX_USEC, false, "more than 0, at most 1 year" },
        { "Jobs", "DefaultMemoryMax",      VALUE_SIZE,    S(defaults.memory_max), false, 1, JOB_MEMORY_MAX, true, "1..4 EiB or infinity" },
        { "Jobs", "DefaultCPUQuota",       VALUE_CPU,     S(defaults.cpu_quota_per_sec_usec), false, 1, 0, true, "more than 0%, at most 1024 CPUs, or infinity" },
        { "Jobs", "DefaultTasksMax",       VALUE_COUNT,   S(defaults.tasks_max), false, 1, JOB_TASKS_MAX, true, "1..4194304 or infinity" },
        { "Jobs", "FinishedRetentionSec",  VALUE_SECONDS, S(finished_retention_usec), false, 0, JOB_TIMEOUT_MAX_USEC, true, "0..1 year or infinity" },
        { "Jobs", "MaxFinishedPerUser",    VALUE_COUNT,   S(max_finished_per_user), true, 1, 1000000, false, "1..1000000" },
        /* Bridged networking: addresses one user's jobs may hold at once. */
        { "Jobs", "MaxAddressesPerUser",   VALUE_COUNT,   S(max_addresses_per_user), true, 1, 1000000, false, "1..1000000" },

        { "Ceilings", "MemoryMax",           VALUE_SIZE,    S(ceilings.memory_max), false, 1, JOB_MEMORY_MAX, true, "1..4 EiB or infinity" },
        { "Ceilings", "CPUQuota",            VALUE_CPU,     S(ceilings.cpu_quota_per_sec_usec), false, 1, 0, true, "more than 0%, at most 1024 CPUs, or infinity" },
        { "Ceilings", "TasksMax",            VALUE_COUNT,   S(ceilings.tasks_max), false, 1, JOB_TASKS_MAX, true, "1..4194304 or infinity" },
        { "Ceilings", "RuntimeMaxSec",       VALUE_SECONDS, S(ceilings.runtime_max_usec), false, 1, JOB_TIMEOUT_MAX_USEC, true, "more than 0, at most 1 year, or infinity" },
        { "Ceilings", "IOReadBandwidthMax",  VALUE_RATE,    S(ceilings.io_read_bandwidth_max), false, 1, JOB_IO_BANDWIDTH_MAX, true, "1..4 EiB/s or infinity" },
        { "Ceilings", "IOWriteBandwidthMax", VALUE_RATE,    S(ceilings.io_write_bandwidth_max), false, 1, JOB_IO_BANDWIDTH_MAX, true, "1..4 EiB/s or infinity" },

        { "UserSlice", "MemoryMax", VALUE_SIZE,  S(user_slice_memory_max), false, 1, JOB_MEMORY_MAX, true, "1..4 EiB or infinity" },
        { "UserSlice", "CPUQuota",  VALUE_CPU,   S(user_slice_cpu_quota_per_sec_usec), false, 1, 0, true, "more than 0%, at most 1024 CPUs, or infinity" },
        { "UserSlice", "TasksMax",  VALUE_COUNT, S(user_slice_tasks_max), false, 1, JOB_TASKS_MAX, true, "1..4194304 or infinity" },
        { "UserSlice", "IOWeight",  VALUE_COUNT, S(user_slice_io_weight), false, 1, 10000, false, "1..10000" },
};

/* Sections other modules read, with an argument: [Name "ARGUMENT"]. Their
 * keys are kept as given (ConfigSection); validate, when a module has
 * registered one here, checks each entry at load time so that a bad value
 * rejects the whole configuration like any other. */
typedef struct ArgumentSection {
        const char *name;
        int (*validate)(const char *argument, const char *key, const char *value, char **ret_message);
} ArgumentSection;

static const ArgumentSection argument_sections[] = {
        /* Bridged networking (see jobworkerd.conf(5), "[Network]"). */
        { "Network", network_config_validate_entry },
};

static bool plain_section_known(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcmp(keys[i].section, name) == 0)
                        return true;
        return false;
}

static const ArgumentSection *argument_section_find(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(argument_sections); i++)
                if (strcmp(argument_sections[i].name, name) == 0)
                        return &argument_sections[i];
        return NULL;
}

/* Splits a section header's text (what is between the brackets) into name
 * and argument: `Jobs` or `Network "lab"`. The argument is 1..64 printable
 * ASCII characters without quotes or backslashes. 0, or -EINVAL. */
static int split_section(const char *text, char **ret_name, char **ret_argument) {
        size_t n = strcspn(text, " \t");
        const char *a, *end;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++)
                if (!((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z') ||
                      (text[i] >= '0' && text[i] <= '9')))
                        return -EINVAL;
        a = text + n;
        a += strspn(a, " \t");
        if (!*a) {
                *ret_name = strndup(text, n);
                *ret_argument = NULL;
                return *ret_name ? 0 : -ENOMEM;
        }
        if (*a != '"')
                return -EINVAL;
        a++;
        end = strchr(a, '"');
        if (!end || end[1] != '\0' || end == a || end - a > 64)
                return -EINVAL;
        for (const char *c = a; c < end; c++)
                if (*c < 0x21 || *c > 0x7e || *c == '\\')
                        return -EINVAL;
        *ret_name = strndup(text, n);
        *ret_argument = strndup(a, (size_t) (end - a));
        if (!*ret_name || !*ret_argument) {
                free(*ret_name);
                free(*ret_argument);
                return -ENOMEM;
        }
        return 0;
}

static int parse_value(const KeyInfo *k, const char *value, uint64_t *ret, char **ret_message) {
        uint64_t v = 0;
        double d;
        int r;

        if (strcmp(value, "infinity") == 0) {
                if (!k->infinity_ok)
                        goto bad;
                *ret = UINT64_MAX;
                return 0;
        }
        switch (k->kind) {
        case VALUE_COUNT:
                r = parse_uint64(value, &v);
                break;
        case VALUE_SIZE:
                r = parse_size(value, &v);
                break;
        case VALUE_RATE:
                r = parse_rate(value, &v);
                break;
        case VALUE_SECONDS:
                r = parse_seconds(value, &v);
                break;
        case VALUE_CPU:
                r = parse_cpu_fraction(value, &d);
                if (r >= 0 && (!isfinite(d) || d > JOB_CPU_QUOTA_MAX))
                        goto bad;
                if (r >= 0)
                        v = cpu_fraction_to_quota_usec(d);
                if (r >= 0) {
                        *ret = v;
                        return 0;
                }
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0 || v < k->min || v > k->max)
                goto bad;
        *ret = v;
        return 0;
bad:
        if (asprintf(ret_message, "%s=%s is not valid (expected %s).", k->key, value, k->range) < 0)
                *ret_message = NULL;
        return -EINVAL;
}

/* ---- One file ---- */

typedef struct ParseState {
        Settings *settings;
        const char *file;
        unsigned line;             /* of the line being parsed, counted by our reader */
        const char *text, *pos;    /* the file's text and where the reader is */
        char *section;             /* the current header's name and argument */
        char *argument;
        ConfigError *error;
        int r;                     /* the first error, as a negative errno */
} ParseState;

static int state_fail(ParseState *p, int error, const char *key, char *message) {
        if (p->r >= 0) {
                p->r = error;
                set_error(p->error, error, p->file, p->line, "%s", message ? message : "Invalid line.");
                if (p->error && key && !p->error->key)
                        p->error->key = strdup(key);
        }
        free(message);
        return error;
}

static int state_failf(ParseState *p, int error, const char *key, const char *format, ...) _printf_(4, 5);
static int state_failf(ParseState *p, int error, const char *key, const char *format, ...) {
        va_list ap;
        char *m;

        va_start(ap, format);
        if (vasprintf(&m, format, ap) < 0)
                m = NULL;
        va_end(ap);
        return state_fail(p, error, key, m);
}

/* A section header is checked as soon as it is read (inih only tells of
 * sections through their keys, so an empty unknown one would pass). */
static void state_begin_section(ParseState *p, const char *line, size_t len) {
        _cleanup_free_ char *text = NULL, *name = NULL, *argument = NULL;
        const char *close;

        free(p->section);
        free(p->argument);
        p->section = p->argument = NULL;

        close = memchr(line, ']', len);
        if (!close) {
                state_failf(p, -EINVAL, NULL, "Section header without a closing ']'.");
                return;
        }
        text = strndup(line + 1, (size_t) (close - line - 1));
        if (!text) {
                state_fail(p, -ENOMEM, NULL, NULL);
                return;
        }
        if (split_section(text, &name, &argument) < 0) {
                state_failf(p, -EINVAL, NULL, "Invalid section header [%.80s] (expected [Name] or [Name \"ARGUMENT\"]).",
                            text);
                return;
        }
        if (argument ? !argument_section_find(name) : !plain_section_known(name)) {
                state_failf(p, -EINVAL, NULL, "Unknown section [%.80s].", text);
                return;
        }
        p->section = TAKE_PTR(name);
        p->argument = TAKE_PTR(argument);
}

/* inih's fgets-style reader over the file's text, so that we count lines,
 * see section headers, and notice lines too long for inih's buffer (which
 * would otherwise read the rest of a line as a line of its own). */
static char *state_read_line(char *str, int num, void *stream) {
        ParseState *p = stream;
        size_t len, copy;
        const char *nl;

        if (!*p->pos)
                return NULL;
        nl = strchr(p->pos, '\n');
        len = nl ? (size_t) (nl - p->pos) + 1 : strlen(p->pos);
        p->line++;
        copy = len;
        if (num < 3 || len + 1 > (size_t) num) {
                state_failf(p, -EINVAL, NULL, "Line longer than %d characters.", num - 3);
                copy = 1;
                str[0] = '\n';
        } else {
                memcpy(str, p->pos, len);
        }
        str[copy] = '\0';
        if (copy == len) {
                const char *s = str + strspn(str, " \t");
                if (*s == '[')
                        state_begin_section(p, s, strcspn(s, "\r\n"));
        }
        p->pos += len;
        return str;
}

static int add_section_entry(ParseState *p, const char *key, const char *value) {
        Settings *s = p->settings;
        ConfigSection *c = NULL;
        ConfigEntry *e;

        for (size_t i = 0; i < s->n_sections; i++)
                if (strcmp(s->sections[i].name, p->section) == 0 && strcmp(s->sections[i].argument, p->argument) == 0)
                        c = &s->sections[i];
        if (!c) {
                ConfigSection *l = realloc(s->sections, sizeof(ConfigSection) * (s->n_sections + 1));
                if (!l)
                        return -ENOMEM;
                s->sections = l;
                c = &s->sections[s->n_sections];
                *c = (ConfigSection) { .name = strdup(p->section), .argument = strdup(p->argument) };
                s->n_sections++;
                if (!c->name || !c->argument)
                        return -ENOMEM;
        }
        e = realloc(c->entries, sizeof(ConfigEntry) * (c->n_entries + 1));
        if (!e)
                return -ENOMEM;
        c->entries = e;
        e = &c->entries[c->n_entries];
        *e = (ConfigEntry) { .key = strdup(key), .value = strdup(value), .file = strdup(p->file), .line = p->line };
        c->n_entries++;
        if (!e->key || !e->value || !e->file)
                return -ENOMEM;
        return 0;
}

static int state_handle(void *userdata, const char *section, const char *key, const char *value) {
        ParseState *p = userdata;
        Settings *s = p->settings;
        char *message = NULL;
        int r;

        if (p->r < 0)
                return 0;
        if (!*section || !p->section)
                return state_failf(p, -EINVAL, key, "%s= outside of any section.", key), 0;

        if (p->argument) {
                const ArgumentSection *a = argument_section_find(p->section);
                if (a && a->validate) {
                        r = a->validate(p->argument, key, value, &message);
                        if (r < 0)
                                return state_fail(p, r, key, message), 0;
                }
                r = add_section_entry(p, key, value);
                if (r < 0)
                        return state_fail(p, r, key, NULL), 0;
                return 1;
        }

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const KeyInfo *k = &keys[i];
                uint64_t v;

                if (strcmp(k->section, p->section) != 0 || strcmp(k->key, key) != 0)
                        continue;
                if (!*value) {
                        /* As in systemd: an empty assignment resets to the default. */
                        Settings d;
                        settings_init(&d);
                        memcpy((uint8_t *) s + k->offset, (uint8_t *) &d + k->offset,
                               k->is_unsigned ? sizeof(unsigned) : sizeof(uint64_t));
                        return 1;
                }
                r = parse_value(k, value, &v, &message);
                if (r < 0)
                        return state_fail(p, r, key, message), 0;
                if (k->is_unsigned)
                        *(unsigned *) ((uint8_t *) s + k->offset) = (unsigned) v;
                else
                        *(uint64_t *) ((uint8_t *) s + k->offset) = v;
                return 1;
        }
        return state_failf(p, -EINVAL, key, "Unknown key %s= in section [%s].", key, p->section), 0;
}

static int parse_text_into(Settings *s, const char *file, const char *text, ConfigError *error) {
        ParseState p = {
                .settings = s,
                .file = file,
                .text = text,
                .pos = text,
                .error = error,
        };
        int r;

        /* systemd's syntax as far as inih has it: no inline comments (a
         * value may hold ';'), no indented continuation lines, "#" and ";"
         * start a comment line. */
        ini_allow_inline_comments = false;
        ini_allow_multiline = false;
        ini_stop_on_first_error = true;

        r = ini_parse_stream(state_read_line, &p, state_handle, &p);
        free(p.section);
        free(p.argument);
        if (p.r < 0)
                return p.r;
        if (r > 0)
                return set_error(error, -EINVAL, file, (unsigned) r, "Syntax error (expected Key=Value, a [Section] or a comment).");
        if (r < 0)
                return set_error(error, -ENOMEM, file, 0, "Out of memory.");
        return 0;
}

/* On a copy, so that s changes only if the whole text is good. */
static int settings_copy(const Settings *src, Settings *dst) {
        *dst = *src;
        dst->sections = NULL;
        dst->n_sections = 0;
        dst->files = NULL;
        for (size_t i = 0; i < src->n_sections; i++) {
                const ConfigSection *c = &src->sections[i];
                ConfigSection *l = realloc(dst->sections, sizeof(ConfigSection) * (i + 1));
                if (!l)
                        goto oom;
                dst->sections = l;
                l[i] = (ConfigSection) { .name = strdup(c->name), .argument = strdup(c->argument),
                                         .entries = calloc(c->n_entries ?: 1, sizeof(ConfigEntry)) };
                dst->n_sections++;
                if (!l[i].name || !l[i].argument || !l[i].entries)
                        goto oom;
                for (size_t j = 0; j < c->n_entries; j++) {
                        ConfigEntry *e = &l[i].entries[j];
                        *e = (ConfigEntry) { .key = strdup(c->entries[j].key), .value = strdup(c->entries[j].value),
                                             .file = strdup(c->entries[j].file), .line = c->entries[j].line };
                        l[i].n_entries++;
                        if (!e->key || !e->value || !e->file)
                                goto oom;
                }
        }
        return 0;
oom:
        settings_done(dst);
        return -ENOMEM;
}

int config_parse_text(Settings *s, const char *name, const char *text, ConfigError *error) {
        Settings copy;
        int r;

        assert(s);
        assert(name);
        assert(text);

        r = settings_copy(s, &copy);
        if (r < 0)
                return set_error(error, r, name, 0, "Out of memory.");
        r = parse_text_into(&copy, name, text, error);
        if (r < 0) {
                settings_done(&copy);
                return r;
        }
        char **files = TAKE_PTR(s->files);
        settings_move(s, &copy);
        s->files = files;
        return 0;
}

/* ---- The files ---- */

static int strv_push(char ***l, size_t *n, char *s) {
        char **nl = realloc(*l, sizeof(char *) * (*n + 2));
        if (!nl) {
                free(s);
                return -ENOMEM;
        }
        nl[(*n)++] = s;
        nl[*n] = NULL;
        *l = nl;
        return 0;
}

/* A drop-in that masks instead of configuring: empty, or /dev/null. */
static bool file_is_mask(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return false;
        return S_ISCHR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0);
}

static int cmp_basename(const void *a, const void *b) {
        const char *x = *(const char *const *) a, *y = *(const char *const *) b;
        return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

static bool dropin_name_valid(const char *name) {
        size_t n = strlen(name);
        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

int config_files_list(const char *const *dirs, char ***ret) {
        _cleanup_strv_free_ char **files = NULL, **dropins = NULL;
        size_t n_files = 0, n_dropins = 0;
        int r;

        assert(dirs);
        assert(ret);

        files = calloc(1, sizeof(char *));
        if (!files)
                return -ENOMEM;
        for (const char *const *d = dirs; *d; d++) {
                char *path;
                struct stat st;
                if (asprintf(&path, "%s/" CONFIG_MAIN_FILE, *d) < 0)
                        return -ENOMEM;
                if (stat(path, &st) >= 0) {
                        /* The first found is the main file, even if it is
                         * /dev/null: that masks the ones below. */
                        if (S_ISREG(st.st_mode) && st.st_size > 0) {
                                r = strv_push(&files, &n_files, path);
                                if (r < 0)
                                        return r;
                        } else
                                free(path);
                        break;
                }
                free(path);
        }

        for (const char *const *d = dirs; *d; d++) {
                _cleanup_free_ char *dir = NULL;
                DIR *dp;
                struct dirent *de;

                if (asprintf(&dir, "%s/" CONFIG_DROPIN_DIR, *d) < 0)
                        return -ENOMEM;
                dp = opendir(dir);
                if (!dp)
                        continue;
                while ((de = readdir(dp))) {
                        bool seen = false;
                        char *path;

                        if (!dropin_name_valid(de->d_name))
                                continue;
                        for (size_t i = 0; i < n_dropins; i++)
                                if (strcmp(strrchr(dropins[i], '/') + 1, de->d_name) == 0)
                                        seen = true;
                        if (seen)
                                continue;  /* an earlier directory has that name */
                        if (n_dropins >= CONFIG_DROPINS_MAX) {
                                closedir(dp);
                                return -E2BIG;
                        }
                        if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                                closedir(dp);
                                return -ENOMEM;
                        }
                        r = strv_push(&dropins, &n_dropins, path);
                        if (r < 0) {
                                closedir(dp);
                                return r;
                        }
                }
                closedir(dp);
        }
        if (n_dropins > 0)
                qsort(dropins, n_dropins, sizeof(char *), cmp_basename);
        /* Every entry is taken or freed here: the list's own clean-up
         * stops at the first NULL a taken entry leaves. */
        for (size_t i = 0; i < n_dropins; i++) {
                if (file_is_mask(dropins[i])) {
                        free(TAKE_PTR(dropins[i]));
                        continue;
                }
                r = strv_push(&files, &n_files, TAKE_PTR(dropins[i]));
                if (r < 0) {
                        for (size_t k = i + 1; k < n_dropins; k++)
                                free(dropins[k]);
                        return r;
                }
        }
        *ret = TAKE_PTR(files);
        return 0;
}

static int read_config_file(const char *path, char **ret, ConfigError *error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return set_error(error, -errno, path, 0, "Cannot open the file: %s.", strerror(errno));
        buf = malloc(CONFIG_FILE_SIZE_MAX + 1);
        if (!buf)
                return set_error(error, -ENOMEM, path, 0, "Out of memory.");
        n = read_full(fd, buf, CONFIG_FILE_SIZE_MAX + 1);
        if (n < 0)
                return set_error(error, (int) n, path, 0, "Cannot read the file: %s.", strerror((int) -n));
        if ((size_t) n > CONFIG_FILE_SIZE_MAX)
                return set_error(error, -EFBIG, path, 0, "The file is larger than %u bytes.", CONFIG_FILE_SIZE_MAX);
        if (memchr(buf, '\0', (size_t) n))
                return set_error(error, -EINVAL, path, 0, "The file contains a NUL byte.");
        buf[n] = '\0';
        *ret = TAKE_PTR(buf);
        return 0;
}

int config_load(const char *const *dirs, Settings *ret, ConfigError *error) {
        _cleanup_strv_free_ char **files = NULL;
        Settings s;
        int r;

        assert(dirs);
        assert(ret);

        r = config_files_list(dirs, &files);
        if (r == -E2BIG)
                return set_error(error, r, dirs[0], 0, "More than %u drop-ins.", CONFIG_DROPINS_MAX);
        if (r < 0)
                return set_error(error, r, dirs[0], 0, "Cannot list the configuration files: %s.", strerror(-r));

        settings_init(&s);
        for (char **f = files; *f; f++) {
                _cleanup_free_ char *text = NULL;
                r = read_config_file(*f, &text, error);
                if (r >= 0)
                        r = parse_text_into(&s, *f, text, error);
                if (r < 0) {
                        settings_done(&s);
                        return r;
                }
        }
        s.files = TAKE_PTR(files);
        settings_move(ret, &s);
        return 0;
}

int config_sections_foreach(const Settings *s, const char *name, config_section_func_t f, void *userdata) {
        assert(s);
        assert(name);
        assert(f);
        for (size_t i = 0; i < s->n_sections; i++) {
                if (strcmp(s->sections[i].name, name) != 0)
                        continue;
                int r = f(&s->sections[i], userdata);
                if (r < 0)
                        return r;
        }
        return 0;
}
