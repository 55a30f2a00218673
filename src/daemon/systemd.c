/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything jobworkerd asks of systemd (PID 1) and hears back from it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        r = sd_bus_message_read(message, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse JobRemoved signal: %m");
                return 0;
        }
        Job *j = manager_find_job_by_systemd_job(m, path);
        if (j)
                job_on_systemd_job_removed(j, result);
        return 0;
}

static Job *job_for_unit_path(Manager *m, const char *path) {
        _cleanup_free_ char *unit = NULL;

        if (sd_bus_path_decode(path, SYSTEMD_UNIT_PATH_PREFIX, &unit) <= 0)
                return NULL;
        return manager_find_job_by_unit(m, unit);
}

/* Any change of one of our scopes (ActiveState, Result) may end a job. */
static int on_unit_properties_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = job_for_unit_path(userdata, sd_bus_message_get_path(message));
        if (j)
                job_check(j);
        return 0;
}

static int on_unit_removed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        const char *unit, *path;

        if (sd_bus_message_read(message, "so", &unit, &path) < 0)
                return 0;
        Job *j = manager_find_job_by_unit(userdata, unit);
        if (j)
                job_check(j);
        return 0;
}

int systemd_subscribe(Manager *m) {
        int r;

        /* The matches go in before any job starts, so no JobRemoved can
         * slip past us (the race systemd-run avoids the same way). */
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "JobRemoved", on_job_removed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's JobRemoved: %m");
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "UnitRemoved", on_unit_removed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's UnitRemoved: %m");
        r = sd_bus_add_match(m->bus, NULL,
                             "type='signal',sender='" SYSTEMD_DEST "',"
                             "interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',"
                             "path_namespace='" SYSTEMD_UNIT_PATH_PREFIX "',"
                             "arg0='org.freedesktop.systemd1.Unit'",
                             on_unit_properties_changed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch unit changes: %m");

        /* Without Subscribe() PID 1 only tells a unit's changes to whoever
         * holds a reference on it; we want them for adopted jobs too. */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                               &error, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed")) {
                log_error_errno(r, "Failed to subscribe to systemd: %s", error.message ? error.message : "");
                sd_bus_error_free(&error);
                return r;
        }
        sd_bus_error_free(&error);
        return 0;
}

int systemd_unit_state(Manager *m, const char *unit, char **ret_active_state, char **ret_result) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *path = NULL, *active = NULL, *result = NULL;
        int r;

        r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, unit, &path);
        if (r < 0)
                return r;
        r = sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path, "org.freedesktop.systemd1.Unit",
                                       "ActiveState", &error, &active);
        if (r >= 0)
                r = sd_bus_get_property_string(m->bus, SYSTEMD_DEST, path,
                                               "org.freedesktop.systemd1.Scope", "Result", &error, &result);
        if (r < 0) {
                /* A unit that is gone entirely is simply over. */
                if (sd_bus_error_has_names(&error, "org.freedesktop.systemd1.NoSuchUnit",
                                           "org.freedesktop.DBus.Error.UnknownObject",
                                           "org.freedesktop.DBus.Error.UnknownInterface",
                                           "org.freedesktop.DBus.Error.UnknownProperty")) {
                        sd_bus_error_free(&error);
                        *ret_active_state = strdup("inactive");
                        *ret_result = NULL;
                        return *ret_active_state ? 0 : -ENOMEM;
                }
                log_warning_errno(r, "Failed to read state of %s: %s", unit,
                                  error.message ? error.message : "");
                sd_bus_error_free(&error);
                return r;
        }
        *ret_active_state = TAKE_PTR(active);
        *ret_result = TAKE_PTR(result);
        return 0;
}

int systemd_kill_unit(Manager *m, const char *unit, int signo) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit",
                               &error, NULL, "ssi", unit, "all", signo);
        if (r < 0) {
                log_warning_errno(r, "Failed to send signal %d to %s: %s", signo, unit,
                                  error.message ? error.message : "");
                sd_bus_error_free(&error);
        }
        return r;
}

int systemd_reset_failed_unit(Manager *m, const char *unit) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit",
                               &error, NULL, "s", unit);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.NoSuchUnit"))
                log_debug_errno(r, "Failed to reset failed state of %s: %s", unit,
                                error.message ? error.message : "");
        sd_bus_error_free(&error);
        return r;
}
