/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The names of jobworker's D-Bus API, shared by the daemon and its clients. */
#pragma once

#define JOBWORKER_BUS_NAME          "org.jobworker1"
#define JOBWORKER_MANAGER_PATH      "/org/jobworker1"
#define JOBWORKER_MANAGER_INTERFACE "org.jobworker1.Manager"
#define JOBWORKER_JOB_PATH_PREFIX   "/org/jobworker1/job"
#define JOBWORKER_JOB_INTERFACE     "org.jobworker1.Job"

#define JOBWORKER_ERROR_INVALID_ARGUMENT "org.jobworker1.Error.InvalidArgument"
/* StartJob: a path of the job's view of the file system (RootDirectory,
 * BindPaths, BindReadOnlyPaths, WorkingDirectory) refused: not absolute
 * and normalized, or not one the job's user can reach (missing, not a
 * directory, unreadable, no answer in time). The message names the path
 * and why. */
#define JOBWORKER_ERROR_INVALID_OPTION   "org.jobworker1.Error.InvalidOption"
#define JOBWORKER_ERROR_NO_SUCH_JOB      "org.jobworker1.Error.NoSuchJob"
#define JOBWORKER_ERROR_ACCESS_DENIED    "org.jobworker1.Error.AccessDenied"
#define JOBWORKER_ERROR_NOT_RUNNING      "org.jobworker1.Error.JobNotRunning"
#define JOBWORKER_ERROR_STILL_RUNNING    "org.jobworker1.Error.JobStillRunning"
#define JOBWORKER_ERROR_LIMIT_EXCEEDED   "org.jobworker1.Error.LimitExceeded"
#define JOBWORKER_ERROR_START_FAILED     "org.jobworker1.Error.StartFailed"
/* Manager.Reload: jobworkerd.conf has an error; the settings stay. */
#define JOBWORKER_ERROR_INVALID_CONFIGURATION "org.jobworker1.Error.InvalidConfiguration"
/* StartJob with a Name the caller's unfinished job already has: nothing
 * was started (the message names that job's id). */
#define JOBWORKER_ERROR_ALREADY_EXISTS   "org.jobworker1.Error.AlreadyExists"
/* StartJob reached a daemon that is exiting (idle): nothing was started,
 * and the same call now reaches the next instance. */
#define JOBWORKER_ERROR_SHUTTING_DOWN    "org.jobworker1.Error.ShuttingDown"
/* AttachTerminal on a job without a terminal (not started with Terminal),
 * or whose terminal is gone. */
#define JOBWORKER_ERROR_NO_TERMINAL      "org.jobworker1.Error.NoTerminal"

/* Bridged networking (StartJob's Network and Address): no network of that
 * name; an address that is malformed or not a job's to have on the network
 * (outside its subnet, its network, broadcast or gateway address); an
 * address another running job holds. Each message names the address and why. */
#define JOBWORKER_ERROR_NO_SUCH_NETWORK  "org.jobworker1.Error.NoSuchNetwork"
#define JOBWORKER_ERROR_INVALID_ADDRESS  "org.jobworker1.Error.InvalidAddress"
#define JOBWORKER_ERROR_ADDRESS_IN_USE   "org.jobworker1.Error.AddressInUse"

#define JOBWORKER_UNIT_PREFIX  "jobworker-"
#define JOBWORKER_UNIT_SUFFIX  ".scope"
#define JOBWORKER_SLICE        "jobworker.slice"
/* Each user's jobs together: a child of jobworker.slice by systemd's dash
 * naming (cgroup jobworker.slice/jobworker-u1000.slice). */
#define JOBWORKER_USER_SLICE_FORMAT "jobworker-u%u.slice"
#define JOBWORKER_USER_SLICE_NAME_MAX sizeof("jobworker-u4294967295.slice")
