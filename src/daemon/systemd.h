/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The adapter to systemd (PID 1): what jobworkerd asks of it and hears back.
 * Everything here past start-up is asynchronous: no client can make the
 * event loop wait for PID 1. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;

/* Start-up, before the bus name is requested: tracks which connection owns
 * org.freedesktop.systemd1, adds the signal matches, subscribes. */
int systemd_subscribe(Manager *m);

/* A unit's ActiveState and (scope) Result, read with chained asynchronous
 * Gets. The handler runs once, unless the query is freed first: error < 0
 * when the state could not be read (active_state and result NULL); a unit
 * that does not exist reads as "inactive" with no result. The handler may
 * free the query. */
typedef struct UnitStateQuery UnitStateQuery;
typedef void (*unit_state_handler_t)(UnitStateQuery *q, int error, const char *active_state,
                                     const char *result, void *userdata);
int systemd_query_unit_state(Manager *m, const char *unit, unit_state_handler_t handler, void *userdata,
                             UnitStateQuery **ret);
UnitStateQuery *unit_state_query_free(UnitStateQuery *q);

/* "active", "activating", ...: the unit still holds processes, or may. */
bool unit_active_state_is_running(const char *active_state);

/* Asynchronous; failures are logged when systemd answers. */
int systemd_kill_unit(Manager *m, const char *unit, int signo);
int systemd_reset_failed_unit(Manager *m, const char *unit);

/* SIGKILL to every process of one of our scopes through its cgroup
 * (cgroup.kill, Linux >= 5.14), without asking PID 1: in its owner's slice,
 * or (jobs of an older version) straight in jobworker.slice. */
int systemd_kill_scope_cgroup(uid_t owner, const char *unit);

/* 1 if pid (our child, not yet reaped) is in the cgroup of the scope in
 * slice, 0 if it is elsewhere, < 0 if that cannot be read. */
int systemd_scope_holds_pid(const char *slice, const char *unit, pid_t pid);

/* The oom_kill count of the scope's memory.events, as PID 1 reads it to
 * decide Result=oom-kill: 0 also when the scope has no memory controller
 * (PID 1 then counts none either); -ENOENT when the cgroup is gone. Kills
 * by systemd-oomd are not counted there (PID 1 keeps them in an xattr),
 * but oomd kills the whole cgroup, the shim with it, which then leaves no
 * record: such a job never gets this far. */
int systemd_scope_oom_kills(uid_t owner, const char *unit, uint64_t *ret);

/* SetUnitProperties(unit, runtime=true, props), asynchronously. done (may
 * be NULL: failures are then logged) runs once with 0 or a negative errno
 * and systemd's message, unless the returned slot (ret_slot may be NULL:
 * floating) is unreferenced first. */
struct ScopeProperty;
typedef void (*systemd_properties_done_t)(int error, const char *message, void *userdata);
int systemd_set_unit_properties(Manager *m, const char *unit, const struct ScopeProperty *props, size_t n,
                                systemd_properties_done_t done, void *userdata, sd_bus_slot **ret_slot);

/* [UserSlice] of the settings onto uid's slice (nothing if none is set),
 * asynchronously and before a job's StartTransientUnit on the same
 * connection, so PID 1 sets them first. Runtime properties, as
 * `systemctl set-property --runtime` sets them (and with the same effect on
 * what an admin set there for those keys). */
int systemd_apply_user_slice(Manager *m, uid_t uid);

/* FreezeUnit (freeze = true) or ThawUnit on a unit, asynchronously. PID 1
 * answers once the cgroup is frozen (or thawed). done runs once with 0 or
 * a negative errno and, on failure, PID 1's message (else NULL), unless
 * the slot (*ret_slot) is unreferenced first. done may be NULL (the answer
 * is only logged; then ret_slot may be NULL too, the call floats). */
typedef void (*unit_freezer_done_t)(int error, const char *message, void *userdata);
int systemd_freeze_unit(Manager *m, const char *unit, bool freeze, unit_freezer_done_t done, void *userdata,
                        sd_bus_slot **ret_slot);

/* 1 if the cgroup of one of our scopes (of owner's slice) is asked to be
 * frozen (its cgroup.freeze says 1), 0 if not or if the scope is gone, < 0
 * if that cannot be read. A read of cgroupfs: it never waits for anyone. */
int systemd_scope_frozen(uid_t owner, const char *unit);
