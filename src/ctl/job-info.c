/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reads a job object's properties into a JobInfo and prints one as JSON. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-names.h"
#include "format.h"
#include "job-info.h"
#include "macro.h"

void job_info_done(JobInfo *info) {
        free(info->id);
        free(info->name);
        free(info->run_as_user);
        free(info->unit);
        free(info->slice);
        free(info->state);
        free(info->result);
        free(info->status_text);
        for (size_t i = 0; i < info->n_command; i++)
                free(info->command[i].data);
        free(info->command);
        free(info->working_directory.data);
        free(info->io_device);
        free(info->root_directory);
        free(info->network);
        free(info->address);
        free(info->host_interface);
        for (size_t i = 0; i < info->n_binds; i++) {
                free(info->binds[i].source);
                free(info->binds[i].destination);
        }
        free(info->binds);
        free(info->allowed_cpus);
        *info = (JobInfo) JOB_INFO_INIT;
}

typedef enum PropertyKind {
        PROPERTY_STRING,
        PROPERTY_UINT32,
        PROPERTY_INT32,
        PROPERTY_UINT64,
        PROPERTY_BYTES,
        PROPERTY_BYTES_ARRAY,
        PROPERTY_BOOL,
        PROPERTY_BINDS,
} PropertyKind;

static const struct {
        const char *name;
        const char *signature;
        PropertyKind kind;
        size_t offset;
} job_properties[] = {
        { "Id",                     "s",   PROPERTY_STRING,      offsetof(JobInfo, id) },
        { "Name",                   "s",   PROPERTY_STRING,      offsetof(JobInfo, name) },
        { "Owner",                  "u",   PROPERTY_UINT32,      offsetof(JobInfo, owner) },
        { "RunAs",                  "u",   PROPERTY_UINT32,      offsetof(JobInfo, run_as) },
        { "RunAsUser",              "s",   PROPERTY_STRING,      offsetof(JobInfo, run_as_user) },
        { "RunAsGroup",             "u",   PROPERTY_UINT32,      offsetof(JobInfo, run_as_group) },
        { "Command",                "aay", PROPERTY_BYTES_ARRAY, offsetof(JobInfo, command) },
        { "Unit",                   "s",   PROPERTY_STRING,      offsetof(JobInfo, unit) },
        { "Slice",                  "s",   PROPERTY_STRING,      offsetof(JobInfo, slice) },
        { "State",                  "s",   PROPERTY_STRING,      offsetof(JobInfo, state) },
        { "Result",                 "s",   PROPERTY_STRING,      offsetof(JobInfo, result) },
        { "ExitCode",               "i",   PROPERTY_INT32,       offsetof(JobInfo, exit_code) },
        { "ExitSignal",             "i",   PROPERTY_INT32,       offsetof(JobInfo, exit_signal) },
        { "StatusText",             "s",   PROPERTY_STRING,      offsetof(JobInfo, status_text) },
        { "StartErrno",             "i",   PROPERTY_INT32,       offsetof(JobInfo, start_errno) },
        { "StartTimestamp",         "t",   PROPERTY_UINT64,      offsetof(JobInfo, start_timestamp) },
        { "FinishTimestamp",        "t",   PROPERTY_UINT64,      offsetof(JobInfo, finish_timestamp) },
        { "CPUUsageNSec",           "t",   PROPERTY_UINT64,      offsetof(JobInfo, cpu_usage_nsec) },
        { "MemoryPeak",             "t",   PROPERTY_UINT64,      offsetof(JobInfo, memory_peak) },
        { "StdoutBytes",            "t",   PROPERTY_UINT64,      offsetof(JobInfo, stdout_bytes) },
        { "StderrBytes",            "t",   PROPERTY_UINT64,      offsetof(JobInfo, stderr_bytes) },
        { "WorkingDirectory",       "ay",  PROPERTY_BYTES,       offsetof(JobInfo, working_directory) },
        { "CPUQuotaPerSecUSec",     "t",   PROPERTY_UINT64,      offsetof(JobInfo, cpu_quota_per_sec_usec) },
        { "MemoryMax",              "t",   PROPERTY_UINT64,      offsetof(JobInfo, memory_max) },
        { "MemorySwapMax",          "t",   PROPERTY_UINT64,      offsetof(JobInfo, memory_swap_max) },
        { "IODevice",               "s",   PROPERTY_STRING,      offsetof(JobInfo, io_device) },
        { "IOReadBandwidthMax",     "t",   PROPERTY_UINT64,      offsetof(JobInfo, io_read_bandwidth_max) },
        { "IOWriteBandwidthMax",    "t",   PROPERTY_UINT64,      offsetof(JobInfo, io_write_bandwidth_max) },
        { "AllowedCPUs",            "s",   PROPERTY_STRING,      offsetof(JobInfo, allowed_cpus) },
        { "TasksMax",               "t",   PROPERTY_UINT64,      offsetof(JobInfo, tasks_max) },
        { "RuntimeMaxUSec",         "t",   PROPERTY_UINT64,      offsetof(JobInfo, runtime_max_usec) },
        { "StopTimeoutUSec",        "t",   PROPERTY_UINT64,      offsetof(JobInfo, stop_timeout_usec) },
        { "RootDirectory",          "s",   PROPERTY_STRING,      offsetof(JobInfo, root_directory) },
        { "HostSystem",             "b",   PROPERTY_BOOL,        offsetof(JobInfo, host_system) },
        { "PrivateTmp",             "b",   PROPERTY_BOOL,        offsetof(JobInfo, private_tmp) },
        { "BindPaths",              "a(ssbt)", PROPERTY_BINDS,   0 },
        { "BindReadOnlyPaths",      "a(ssbt)", PROPERTY_BINDS,   1 },
        { "Network",                "s",   PROPERTY_STRING,      offsetof(JobInfo, network) },
        { "Address",                "s",   PROPERTY_STRING,      offsetof(JobInfo, address) },
        { "HostInterface",          "s",   PROPERTY_STRING,      offsetof(JobInfo, host_interface) },
};

static int read_bytes(sd_bus_message *m, ByteString *ret) {
        const void *p;
        size_t n;
        int r;

        r = sd_bus_message_read_array(m, 'y', &p, &n);
        if (r < 0)
                return r;
        /* A trailing NUL on the wire is not part of the bytes (see the API). */
        if (n > 0 && ((const uint8_t *) p)[n - 1] == 0)
                n--;
        uint8_t *data = malloc(n + 1);
        if (!data)
                return -ENOMEM;
        memcpy(data, p, n);
        data[n] = 0;  /* convenient for paths; size stays authoritative */
        free(ret->data);
        *ret = (ByteString) { .data = data, .size = n };
        return 0;
}

static int read_bytes_array(sd_bus_message *m, ByteString **ret, size_t *ret_n) {
        ByteString *list = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "ay");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_at_end(m, false);
                if (r < 0)
                        goto fail;
                if (r > 0)
                        break;
                ByteString *l = realloc(list, (n + 1) * sizeof *list);
                if (!l) {
                        r = -ENOMEM;
                        goto fail;
                }
                list = l;
                list[n] = (ByteString) {};
                r = read_bytes(m, &list[n]);
                if (r < 0)
                        goto fail;
                n++;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < *ret_n; i++)
                free((*ret)[i].data);
        free(*ret);
        *ret = list;
        *ret_n = n;
        return 0;

fail:
        for (size_t i = 0; i < n; i++)
                free(list[i].data);
        free(list);
        return r;
}

/* Appended to info->binds; offset 1 marks the read-only ones. */
static int read_binds(sd_bus_message *m, bool read_only, JobInfo *info) {
        const char *source, *destination;
        uint64_t flags;
        int ignore_missing, r;

        r = sd_bus_message_enter_container(m, 'a', "(ssbt)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ssbt)", &source, &destination, &ignore_missing, &flags)) > 0) {
                JobInfoBind *l = realloc(info->binds, (info->n_binds + 1) * sizeof *l);
                if (!l)
                        return -ENOMEM;
                info->binds = l;
                JobInfoBind b = { .source = strdup(source), .destination = strdup(destination), .read_only = read_only };
                if (!b.source || !b.destination) {
                        free(b.source);
                        free(b.destination);
                        return -ENOMEM;
                }
                info->binds[info->n_binds++] = b;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int read_property(sd_bus_message *m, const char *name, JobInfo *info) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;

        for (size_t i = 0; i < ELEMENTSOF(job_properties); i++) {
                if (strcmp(job_properties[i].name, name) != 0)
                        continue;
                if (strcmp(job_properties[i].signature, contents) != 0)
                        break;  /* a type we do not know: skip it */

                void *field = (uint8_t *) info + job_properties[i].offset;
                if (field == &info->run_as)
                        info->run_as_set = true;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                switch (job_properties[i].kind) {
                case PROPERTY_STRING: {
                        const char *s;
                        r = sd_bus_message_read_basic(m, 's', &s);
                        if (r < 0)
                                return r;
                        char *copy = strdup(s);
                        if (!copy)
                                return -ENOMEM;
                        free(*(char **) field);
                        *(char **) field = copy;
                        break;
                }
                case PROPERTY_UINT32:
                        r = sd_bus_message_read_basic(m, 'u', field);
                        break;
                case PROPERTY_INT32:
                        r = sd_bus_message_read_basic(m, 'i', field);
                        break;
                case PROPERTY_UINT64:
                        r = sd_bus_message_read_basic(m, 't', field);
                        break;
                case PROPERTY_BYTES:
                        r = read_bytes(m, field);
                        break;
                case PROPERTY_BYTES_ARRAY:
                        r = read_bytes_array(m, field, &info->n_command);
                        break;
                case PROPERTY_BOOL:
                        r = sd_bus_message_read_basic(m, 'b', field);
                        break;
                case PROPERTY_BINDS:
                        r = read_binds(m, job_properties[i].offset == 1, info);
                        break;
                }
                if (r < 0)
                        return r;
                return sd_bus_message_exit_container(m);
        }
        return sd_bus_message_skip(m, "v");
}

int job_info_parse(sd_bus_message *reply, JobInfo *info) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name;

                r = sd_bus_message_read_basic(reply, 's', &name);
                if (r < 0)
                        return r;
                r = read_property(reply, name, info);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(reply);
}

int job_info_get(sd_bus *bus, const char *path, JobInfo *ret, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        JobInfo info = JOB_INFO_INIT;
        int r;

        /* An exiting daemon refuses what needs a new polkit question (an
         * admin reading another user's job); the next instance answers. */
        for (unsigned attempt = 0;; attempt++) {
                r = sd_bus_call_method(bus, JOBWORKER_BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                       "GetAll", error, &reply, "s", JOBWORKER_JOB_INTERFACE);
                if (r >= 0 || attempt > 0 || !sd_bus_error_has_name(error, JOBWORKER_ERROR_SHUTTING_DOWN))
                        break;
                sd_bus_error_free(error);
        }
        if (r < 0)
                return r;
        r = job_info_parse(reply, &info);
        sd_bus_message_unref(reply);
        if (r < 0) {
                job_info_done(&info);
                return r;
        }
        job_info_done(ret);
        *ret = info;
        return 0;
}

int job_path_get(sd_bus *bus, const char *id, char **ret_path, sd_bus_error *error) {
        sd_bus_message *reply = NULL;
        const char *path;
        int r;

        /* A daemon that is exiting (restart, idle exit, crash) may take the
         * call and leave without an answer, or refuse it (ShuttingDown) once
         * it gave its name back; the next call activates a new one, which
         * knows the job. GetJob only reads, so ask again. */
        for (unsigned attempt = 0;; attempt++) {
                r = sd_bus_call_method(bus, JOBWORKER_BUS_NAME, JOBWORKER_MANAGER_PATH,
                                       JOBWORKER_MANAGER_INTERFACE, "GetJob", error, &reply, "s", id);
                if (r >= 0 || attempt >= 4 ||
                    !sd_bus_error_has_names(error, SD_BUS_ERROR_NO_REPLY, JOBWORKER_ERROR_SHUTTING_DOWN))
                        break;
                sd_bus_error_free(error);
                (void) usleep(200 * 1000);
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read_basic(reply, 'o', &path);
        if (r >= 0) {
                *ret_path = strdup(path);
                r = *ret_path ? 0 : -ENOMEM;
        }
        sd_bus_message_unref(reply);
        return r;
}

bool job_info_is_finished(const JobInfo *info) {
        return info->state && strcmp(info->state, "finished") == 0;
}

char *job_info_command_line(const JobInfo *info) {
        char *line = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&line, &size);
        if (!f)
                return NULL;

        for (size_t i = 0; i < info->n_command; i++) {
                _cleanup_free_ char *word = shell_escape(info->command[i].data, info->command[i].size);
                if (!word) {
                        fclose(f);
                        free(line);
                        return NULL;
                }
                fprintf(f, "%s%s", i > 0 ? " " : "", word);
        }
        if (fclose(f) != 0) {
                free(line);
                return NULL;
        }
        return line;
}

static void json_string(FILE *f, const char *key, const void *p, size_t n, const char *next) {
        _cleanup_free_ char *s = p ? json_escape(p, n) : NULL;
        fprintf(f, "\"%s\":%s%s", key, s ?: "null", next);
}

static void json_cstring(FILE *f, const char *key, const char *s, const char *next) {
        json_string(f, key, s, s ? strlen(s) : 0, next);
}

/* UINT64_MAX ("none", "unknown") and, where zero means "not yet", 0 become null. */
static void json_uint64(FILE *f, const char *key, uint64_t v, bool zero_is_null, const char *next) {
        if (v == UINT64_MAX || (zero_is_null && v == 0))
                fprintf(f, "\"%s\":null%s", key, next);
        else
                fprintf(f, "\"%s\":%" PRIu64 "%s", key, v, next);
}

int job_info_json(const JobInfo *info, FILE *f) {
        const char *result = info->result && *info->result ? info->result : NULL;

        fputc('{', f);
        json_cstring(f, "id", info->id, ",");
        json_cstring(f, "name", info->name && *info->name ? info->name : NULL, ",");
        json_cstring(f, "state", info->state, ",");
        json_cstring(f, "result", result, ",");
        if (info->exit_code >= 0)
                fprintf(f, "\"exit_code\":%d,", info->exit_code);
        else
                fputs("\"exit_code\":null,", f);
        if (info->exit_signal > 0)
                fprintf(f, "\"signal\":%d,", info->exit_signal);
        else
                fputs("\"signal\":null,", f);
        json_cstring(f, "status_text", info->status_text && *info->status_text ? info->status_text : NULL, ",");
        if (info->start_errno > 0)
                fprintf(f, "\"start_errno\":%d,", info->start_errno);
        else
                fputs("\"start_errno\":null,", f);
        json_cstring(f, "unit", info->unit, ",");
        json_cstring(f, "slice", info->slice, ",");
        fprintf(f, "\"owner_uid\":%" PRIu32 ",", info->owner);
        if (info->run_as_set)
                fprintf(f, "\"run_as_uid\":%" PRIu32 ",\"run_as_gid\":%" PRIu32 ",", info->run_as,
                        info->run_as_group);
        else
                fputs("\"run_as_uid\":null,\"run_as_gid\":null,", f);
        json_cstring(f, "run_as_user", info->run_as_user && *info->run_as_user ? info->run_as_user : NULL, ",");

        fputs("\"command\":[", f);
        for (size_t i = 0; i < info->n_command; i++) {
                _cleanup_free_ char *word = json_escape(info->command[i].data, info->command[i].size);
                fprintf(f, "%s%s", i > 0 ? "," : "", word ?: "null");
        }
        fputs("],", f);
        json_string(f, "working_directory", info->working_directory.data,
                    info->working_directory.size, ",");
        json_uint64(f, "start_timestamp", info->start_timestamp, true, ",");
        json_uint64(f, "finish_timestamp", info->finish_timestamp, true, ",");
        json_uint64(f, "cpu_usage_nsec", info->cpu_usage_nsec, false, ",");
        json_uint64(f, "memory_peak", info->memory_peak, false, ",");
        json_cstring(f, "root_directory",
                     info->root_directory && *info->root_directory ? info->root_directory : NULL, ",");
        fprintf(f, "\"host_system\":%s,\"private_tmp\":%s,",
                info->host_system ? "true" : "false", info->private_tmp ? "true" : "false");
        fputs("\"binds\":[", f);
        for (size_t i = 0; i < info->n_binds; i++) {
                fprintf(f, "%s{", i > 0 ? "," : "");
                json_cstring(f, "source", info->binds[i].source, ",");
                json_cstring(f, "destination", info->binds[i].destination, ",");
                fprintf(f, "\"read_only\":%s}", info->binds[i].read_only ? "true" : "false");
        }
        fputs("],", f);
        /* Bridged networking: null address and interface on "none". */
        json_cstring(f, "network", info->network && *info->network ? info->network : "none", ",");
        json_cstring(f, "address", info->address && *info->address ? info->address : NULL, ",");
        json_cstring(f, "host_interface", info->host_interface && *info->host_interface ? info->host_interface : NULL, ",");

        fputs("\"limits\":{", f);
        json_uint64(f, "cpu_quota_per_sec_usec", info->cpu_quota_per_sec_usec, false, ",");
        json_uint64(f, "memory_max", info->memory_max, false, ",");
        json_uint64(f, "memory_swap_max", info->memory_swap_max, false, ",");
        json_cstring(f, "io_device", info->io_device && *info->io_device ? info->io_device : NULL, ",");
        json_uint64(f, "io_read_bandwidth_max", info->io_read_bandwidth_max, false, ",");
        json_uint64(f, "io_write_bandwidth_max", info->io_write_bandwidth_max, false, ",");
        json_cstring(f, "allowed_cpus", info->allowed_cpus && *info->allowed_cpus ? info->allowed_cpus : NULL, ",");
        json_uint64(f, "tasks_max", info->tasks_max, false, ",");
        json_uint64(f, "runtime_max_usec", info->runtime_max_usec, false, ",");
        json_uint64(f, "stop_timeout_usec", info->stop_timeout_usec, false, "");
        fputs("}}", f);
        return ferror(f) ? -EIO : 0;
}

bool job_info_is_bridged(const JobInfo *info) {
        return info->network && *info->network && strcmp(info->network, "none") != 0;
}

char *job_info_network_text(const JobInfo *info) {
        char *text;

        if (!job_info_is_bridged(info))
                return strdup("none (loopback only)");
        if (asprintf(&text, "%s, address %s, host interface %s", info->network,
                     info->address && *info->address ? info->address : "-",
                     info->host_interface && *info->host_interface ? info->host_interface : "-") < 0)
                return NULL;
        return text;
}

char *job_info_filesystem_text(const JobInfo *info) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;

        if (info->root_directory && *info->root_directory) {
                _cleanup_free_ char *dir = shell_escape((const uint8_t *) info->root_directory,
                                                        strlen(info->root_directory));
                fprintf(f, "root %s", dir ?: "?");
                if (info->host_system)
                        fputs(", host system read-only", f);
        } else
                fputs("host", f);
        if (info->private_tmp || info->host_system)
                fputs(", private /tmp", f);
        for (size_t i = 0; i < info->n_binds; i++) {
                const JobInfoBind *b = &info->binds[i];
                _cleanup_free_ char *src = shell_escape((const uint8_t *) b->source, strlen(b->source));
                _cleanup_free_ char *dst = shell_escape((const uint8_t *) b->destination, strlen(b->destination));
                fprintf(f, ", %s %s:%s", b->read_only ? "ro-bind" : "bind", src ?: "?", dst ?: "?");
        }

        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}

char *job_info_limits_text(const JobInfo *info) {
        char *text = NULL, b[FORMAT_TIMESPAN_MAX];
        size_t size = 0;
        const char *sep = "";
        const char *device = info->io_device && *info->io_device ? info->io_device : "/";
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return NULL;

#define ITEM(...) do { fputs(sep, f); fprintf(f, __VA_ARGS__); sep = ", "; } while (0)
        if (info->cpu_quota_per_sec_usec != UINT64_MAX)
                ITEM("CPU %" PRIu64 "%%", info->cpu_quota_per_sec_usec / 10000);
        if (info->allowed_cpus && *info->allowed_cpus)
                ITEM("CPUs %s", info->allowed_cpus);
        if (info->memory_max != UINT64_MAX)
                ITEM("memory %s", format_bytes(b, info->memory_max));
        if (info->memory_swap_max != UINT64_MAX)
                ITEM("swap %s", format_bytes(b, info->memory_swap_max));
        if (info->tasks_max != UINT64_MAX)
                ITEM("tasks %" PRIu64, info->tasks_max);
        if (info->io_read_bandwidth_max != UINT64_MAX)
                ITEM("IO read %s/s on %s", format_bytes(b, info->io_read_bandwidth_max), device);
        if (info->io_write_bandwidth_max != UINT64_MAX)
                ITEM("IO write %s/s on %s", format_bytes(b, info->io_write_bandwidth_max), device);
        if (info->runtime_max_usec != UINT64_MAX)
                ITEM("runtime %s", format_timespan(b, info->runtime_max_usec, USEC_PER_MSEC));
        if (info->stop_timeout_usec != UINT64_MAX)
                ITEM("stop timeout %s", format_timespan(b, info->stop_timeout_usec, USEC_PER_MSEC));
#undef ITEM
        if (!*sep)
                fputs("none", f);

        if (fclose(f) != 0) {
                free(text);
                return NULL;
        }
        return text;
}
