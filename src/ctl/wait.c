/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a job: subscribe to PropertiesChanged first, then read State
 * once, then sleep in sd-event until State is "finished". A daemon restart
 * (name owner change) triggers a re-read; a lost bus connection a reconnect.
 * SIGINT/SIGTERM arrive through signalfd, so they cannot race the wait. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-event.h>

#include "bus-names.h"
#include "job-result.h"
#include "macro.h"
#include "output.h"
#include "wait.h"

#define RETRY_USEC (1 * USEC_PER_SEC)

typedef struct Waiter {
        CtlContext *ctl;
        sd_event *event;
        const char *id;
        const char *path;
        JobWaitFlags flags;
        JobInfo *info;

        sd_bus_slot *properties_slot, *owner_slot, *disconnected_slot, *stop_slot;
        sd_bus_slot *check_slot;        /* our GetAll on its way */
        sd_bus_slot *wait_slot;         /* our Job.Wait() on its way */
        bool wait_refused;              /* not on this connection: watch State instead */
        bool check_again;               /* asked to check while one was on its way */
        bool check_retried;             /* this check met an exiting daemon once */
        sd_event_source *timer;
        sd_event_source *signal_sources[2];

        bool connected;
        bool lost_reported;
        unsigned n_signals;
        int first_signal;
        bool stop_requested, stop_done;
        int result;

        /* JOB_WAIT_OUTPUT: the job's output, streamed meanwhile. The wait
         * ends once the job finished and the streamer delivered it all. */
        OutputStreamer *streamer;
        bool job_done, output_done;
} Waiter;

static void waiter_finish(Waiter *w, int result) {
        w->result = result;
        sd_event_exit(w->event, 0);
}

static void waiter_arm_timer(Waiter *w, uint64_t delay_usec) {
        if (sd_event_source_set_time_relative(w->timer, delay_usec) < 0 ||
            sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT) < 0) {
                fprintf(stderr, "Failed to arm a timer, giving up waiting for job %s.\n", w->id);
                waiter_finish(w, -EIO);
        }
}

static void waiter_drop_slots(Waiter *w) {
        w->properties_slot = sd_bus_slot_unref(w->properties_slot);
        w->owner_slot = sd_bus_slot_unref(w->owner_slot);
        w->disconnected_slot = sd_bus_slot_unref(w->disconnected_slot);
        w->stop_slot = sd_bus_slot_unref(w->stop_slot);
        w->check_slot = sd_bus_slot_unref(w->check_slot);
        w->wait_slot = sd_bus_slot_unref(w->wait_slot);
        w->check_again = false;
}

static void waiter_job_done(Waiter *w) {
        w->job_done = true;
        if (w->output_done || !w->streamer)
                waiter_finish(w, 0);
}

/* Connection trouble: forget this connection and try a new one shortly. */
static void waiter_connection_lost(Waiter *w) {
        if (!w->connected)
                return;
        w->connected = false;
        if (!w->lost_reported) {
                fprintf(stderr, "Lost the connection to the bus, reconnecting to wait for job %s...\n", w->id);
                w->lost_reported = true;
        }
        /* The bus itself is only replaced from the timer: we may be inside
         * its own dispatch right now. */
        waiter_arm_timer(w, 0);
}

static bool errno_is_disconnect(int r) {
        r = -r;
        return r == ECONNRESET || r == ENOTCONN || r == EPIPE || r == ESHUTDOWN;
}

/* The streamer reads the job's properties at the end of each of its
 * rounds, after the EOFs: while it streams, its reads tell us when the job
 * has finished (on_info_read()), and ours would only repeat them. */
static bool waiter_streaming(const Waiter *w) {
        return w->streamer && !w->output_done;
}

static void waiter_took_info(Waiter *w) {
        if (w->lost_reported) {
                fprintf(stderr, "In contact with jobworkerd again (job %s).\n", w->id);
                w->lost_reported = false;
        }
        if (job_info_is_finished(w->info))
                waiter_job_done(w);
}

static void waiter_check(Waiter *w);

static int on_check_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        JobInfo info = JOB_INFO_INIT;
        int r;

        w->check_slot = sd_bus_slot_unref(w->check_slot);
        if (!e) {
                w->check_retried = false;
                r = job_info_parse(m, &info);
                if (r < 0) {
                        job_info_done(&info);
                        fprintf(stderr, "Failed to read the properties of job %s: %s\n", w->id, strerror(-r));
                        waiter_finish(w, r);
                        return 0;
                }
                job_info_done(w->info);
                *w->info = info;
                waiter_took_info(w);
        } else if (ctl_bus_error_is_permanent(e)) {
                char what[128];
                snprintf(what, sizeof what, "Failed to wait for job %s", w->id);
                ctl_report_bus_error(what, e, -EIO);
                waiter_finish(w, -EIO);
                return 0;
        } else if (sd_bus_error_has_name(e, JOBWORKER_ERROR_SHUTTING_DOWN) && !w->check_retried) {
                /* An exiting daemon refuses what needs a new polkit
                 * question; the next instance answers. */
                w->check_retried = true;
                w->check_again = true;
        } else if (!sd_bus_is_open(w->ctl->bus) || errno_is_disconnect(-sd_bus_message_get_errno(m))) {
                waiter_connection_lost(w);
                return 0;
        } else {
                /* The daemon is restarting, or activation failed for now. */
                if (!w->lost_reported) {
                        fprintf(stderr, "Could not reach jobworkerd (%s), retrying to wait for job %s...\n",
                                e->message ?: e->name, w->id);
                        w->lost_reported = true;
                }
                w->check_again = false;
                waiter_arm_timer(w, RETRY_USEC);
                return 0;
        }
        if (w->check_again) {
                w->check_again = false;
                waiter_check(w);
        }
        return 0;
}

/* Reads the job's properties (GetAll, answered in on_check_reply()); done
 * when it is finished. One read at a time: a wish for another while one is
 * on its way is served by a second read after it, so nothing that changed
 * meanwhile is missed. */
static void waiter_check(Waiter *w) {
        int r;

        if (w->job_done || !w->connected)
                return;  /* only the output is still coming, or reconnecting */
        if (w->check_slot) {
                w->check_again = true;
                return;
        }
        r = sd_bus_call_method_async(w->ctl->bus, &w->check_slot, JOBWORKER_BUS_NAME, w->path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_check_reply, w, "s",
                                     JOBWORKER_JOB_INTERFACE);
        if (r < 0) {
                if (errno_is_disconnect(r) || !sd_bus_is_open(w->ctl->bus))
                        waiter_connection_lost(w);
                else {
                        fprintf(stderr, "Failed to ask for the state of job %s: %s\n", w->id, strerror(-r));
                        waiter_finish(w, r);
                }
        }
}

static int on_stop_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        w->stop_slot = sd_bus_slot_unref(w->stop_slot);
        if (!e || sd_bus_error_has_name(e, JOBWORKER_ERROR_NOT_RUNNING)) {
                w->stop_done = true;
                return 0;
        }
        if (ctl_bus_error_is_permanent(e)) {
                /* Refused: keep waiting, a second signal leaves. */
                w->stop_done = true;
                fprintf(stderr, "Failed to stop job %s: %s\n", w->id, e->message ?: e->name);
        }
        /* Otherwise (no reply, connection lost) it is sent again after reconnecting. */
        return 0;
}

static void waiter_send_stop(Waiter *w) {
        int r;

        if (!w->stop_requested || w->stop_done || w->stop_slot || !w->connected)
                return;
        r = sd_bus_call_method_async(w->ctl->bus, &w->stop_slot, JOBWORKER_BUS_NAME, w->path,
                                     JOBWORKER_JOB_INTERFACE, "Stop", on_stop_reply, w,
                                     "t", UINT64_C(0));
        if (r < 0)
                fprintf(stderr, "Failed to ask jobworkerd to stop job %s: %s\n", w->id, strerror(-r));
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;
        const char *interface;
        bool check = false;
        int r;

        r = sd_bus_message_read_basic(m, 's', &interface);
        if (r < 0 || strcmp(interface, JOBWORKER_JOB_INTERFACE) != 0 || waiter_streaming(w))
                return 0;

        /* Only a State change can end the wait: look for it, changed or
         * invalidated. Anything malformed: just read the properties. */
        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0) {
                waiter_check(w);
                return 0;
        }
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *state;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        break;
                if (strcmp(name, "State") == 0) {
                        r = sd_bus_message_read(m, "v", "s", &state);
                        if (r < 0)
                                break;
                        if (strcmp(state, "finished") == 0)
                                check = true;
                } else {
                        r = sd_bus_message_skip(m, "v");
                        if (r < 0)
                                break;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0) {
                char **invalidated = NULL;
                r = sd_bus_message_read_strv(m, &invalidated);
                for (char **i = invalidated; r >= 0 && i && *i; i++)
                        if (strcmp(*i, "State") == 0)
                                check = true;
                strv_free(invalidated);
        }
        if (check || r < 0)
                waiter_check(w);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;

        /* jobworkerd went away or came back: a new instance will not announce
         * that our job ended while no instance ran, so ask (this also starts
         * it again by activation). A streamer asks again on its own. */
        if (!waiter_streaming(w))
                waiter_check(w);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        waiter_connection_lost(userdata);
        return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        if (!e)
                return 0;
        if (!sd_bus_is_open(w->ctl->bus) || errno_is_disconnect(-sd_bus_message_get_errno(m)))
                waiter_connection_lost(w);
        else {
                fprintf(stderr, "Failed to subscribe to changes of job %s: %s\n", w->id, e->message ?: e->name);
                waiter_finish(w, -EIO);
        }
        return 0;
}

static void waiter_watch(Waiter *w);

/* Setting up the wait on this connection failed: a lost connection is
 * reconnected (from the timer), anything else ends the wait. */
static void waiter_setup_failed(Waiter *w, int r, const char *what) {
        if (errno_is_disconnect(r) || !sd_bus_is_open(w->ctl->bus)) {
                w->connected = true;  /* so that the loss is handled once */
                waiter_connection_lost(w);
                return;
        }
        fprintf(stderr, "Failed to %s job %s: %s\n", what, w->id, strerror(-r));
        waiter_finish(w, r);
}

static int on_wait_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Waiter *w = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        JobInfo info = JOB_INFO_INIT;

        w->wait_slot = sd_bus_slot_unref(w->wait_slot);
        if (!e && job_info_parse(m, &info) >= 0 && job_info_is_finished(&info)) {
                job_info_done(w->info);
                *w->info = info;
                /* Done with the job first: the streamer may finish now. */
                waiter_took_info(w);
                output_streamer_offer_end(w->streamer, sd_bus_message_get_sender(m));
                return 0;
        }
        job_info_done(&info);
        if (e && (!sd_bus_is_open(w->ctl->bus) || errno_is_disconnect(-sd_bus_message_get_errno(m)))) {
                waiter_connection_lost(w);
                return 0;
        }
        /* An older daemon, too many waiting, the daemon restarted (NoReply)
         * or a job that is not ours: watching State says which, as before. */
        w->wait_refused = true;
        waiter_watch(w);
        return 0;
}

/* Job.Wait(), answered when the job is finished: no signal to subscribe to
 * and no read after it. It may take as long as the job does. */
static int waiter_send_wait(Waiter *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(w->ctl->bus, &m, JOBWORKER_BUS_NAME, w->path, JOBWORKER_JOB_INTERFACE,
                                           "Wait");
        if (r >= 0)
                r = sd_bus_call_async(w->ctl->bus, &w->wait_slot, m, on_wait_reply, w, UINT64_MAX);
        return r;
}

static void waiter_subscribe(Waiter *w) {
        sd_bus *bus = w->ctl->bus;
        int r;

        r = sd_bus_match_signal(bus, &w->disconnected_slot, "org.freedesktop.DBus.Local", NULL,
                                "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, w);
        if (r >= 0 && !w->wait_refused)
                r = waiter_send_wait(w);
        if (r < 0) {
                waiter_setup_failed(w, r, "wait for");
                return;
        }
        w->connected = true;
        waiter_send_stop(w);
        if (w->wait_refused)
                waiter_watch(w);
}

/* Without Wait(): subscribe first, then read the state once: no change can
 * slip between. The AddMatch calls are not waited for: the bus handles a
 * connection's messages in order, so they are in force before it passes on
 * our read, and any change after the read reaches us. */
static void waiter_watch(Waiter *w) {
        sd_bus *bus = w->ctl->bus;
        int r = 0;

        if (!w->properties_slot)
                r = sd_bus_match_signal_async(bus, &w->properties_slot, JOBWORKER_BUS_NAME, w->path,
                                              "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                              on_properties_changed, on_match_installed, w);
        if (r >= 0 && !w->owner_slot)
                r = sd_bus_add_match_async(bus, &w->owner_slot,
                                           "type='signal',sender='org.freedesktop.DBus',"
                                           "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                                           "member='NameOwnerChanged',arg0='" JOBWORKER_BUS_NAME "'",
                                           on_name_owner_changed, on_match_installed, w);
        if (r < 0) {
                waiter_setup_failed(w, r, "subscribe to changes of");
                return;
        }
        if (!waiter_streaming(w))
                waiter_check(w);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Waiter *w = userdata;
        sd_bus *bus;
        int r;

        if (w->job_done)
                return 0;
        if (w->connected) {
                waiter_check(w);
                return 0;
        }

        waiter_drop_slots(w);
        /* The streamer borrows our connection: it must let go first. */
        output_streamer_forget_bus(w->streamer);
        if (w->ctl->bus)
                sd_bus_detach_event(w->ctl->bus);
        r = ctl_bus_reconnect(w->ctl, &bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, w->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                waiter_arm_timer(w, RETRY_USEC);
                return 0;
        }
        waiter_subscribe(w);
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Waiter *w = userdata;

        if (++w->n_signals > 1) {
                fprintf(stderr, "Not waiting any longer; job %s is being stopped.\n", w->id);
                waiter_finish(w, 128 + (int) si->ssi_signo);
                return 0;
        }
        fprintf(stderr, "Stopping job %s (interrupt again to stop waiting)...\n", w->id);
        w->first_signal = (int) si->ssi_signo;
        w->stop_requested = true;
        waiter_send_stop(w);
        return 0;
}

static void on_info_read(OutputStreamer *s, void *userdata) {
        waiter_took_info(userdata);
}

static void on_output_done(OutputStreamer *s, int result, void *userdata) {
        Waiter *w = userdata;

        w->output_done = true;
        /* Our stdout or stderr was closed by its reader: like a local
         * command in a pipeline that gets SIGPIPE, the job is stopped (the
         * exit status becomes 128 + SIGPIPE), unless it has already ended. */
        if (result == -EPIPE && !w->job_done && !w->stop_requested) {
                w->first_signal = SIGPIPE;
                w->stop_requested = true;
                waiter_send_stop(w);
        }
        /* Other failures were printed; the job's status still counts, and
         * we now watch for it ourselves. */
        if (w->job_done)
                waiter_finish(w, 0);
        else
                waiter_check(w);
}

int job_wait_block_signals(void) {
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        return sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ? -errno : 0;
}

int job_wait(CtlContext *c, const char *id, const char *path, JobWaitFlags flags, JobInfo *info,
             int *ret_signal) {
        Waiter w = {
                .ctl = c,
                .id = id,
                .path = path,
                .flags = flags,
                .info = info,
                .result = -EIO,
        };
        sd_bus *bus;
        int r;

        r = ctl_bus(c, &bus);
        if (r < 0)
                return r;

        w.event = c->event ? sd_event_ref(c->event) : NULL;
        r = w.event ? 0 : sd_event_new(&w.event);
        if (r < 0)
                goto fail;
        if (flags & JOB_WAIT_STOP_ON_SIGNAL) {
                static const int signals[] = { SIGINT, SIGTERM };

                r = job_wait_block_signals();
                for (size_t i = 0; r >= 0 && i < ELEMENTSOF(signals); i++)
                        r = sd_event_add_signal(w.event, &w.signal_sources[i], signals[i], on_signal, &w);
                if (r < 0)
                        goto fail;
        }
        r = sd_event_add_time(w.event, &w.timer, CLOCK_MONOTONIC, UINT64_MAX, 0, on_timer, &w);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(w.timer, SD_EVENT_OFF);
        if (r < 0)
                goto fail;
        /* Attached before the streamer exists: it borrows this connection
         * as it is, attached to our loop, instead of attaching it itself. */
        r = sd_bus_get_event(bus) == w.event ? 0 : sd_bus_attach_event(bus, w.event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto fail;
        if (flags & JOB_WAIT_OUTPUT) {
                r = output_streamer_new(w.event, c, id, path,
                                        OUTPUT_FOLLOW | OUTPUT_STDOUT | OUTPUT_STDERR,
                                        on_output_done, &w, &w.streamer);
                if (r < 0)
                        goto fail;
                output_streamer_share_info(w.streamer, info, on_info_read);
                /* The output first: it is what the user sees. */
                output_streamer_start(w.streamer);
        }

        waiter_subscribe(&w);
        r = sd_event_loop(w.event);
        if (r < 0)
                goto fail;
        r = w.result;
        if (ret_signal)
                *ret_signal = w.first_signal;
        goto finish;

fail:
        fprintf(stderr, "Failed to wait for job %s: %s\n", id, strerror(-r));
finish:
        output_streamer_free(w.streamer);
        waiter_drop_slots(&w);
        for (size_t i = 0; i < ELEMENTSOF(w.signal_sources); i++)
                sd_event_source_unref(w.signal_sources[i]);
        sd_event_source_unref(w.timer);
        if (c->bus)
                sd_bus_detach_event(c->bus);
        sd_event_unref(w.event);
        return r;
}

int job_wait_report(const JobInfo *info, int interrupt_signal) {
        const char *result = info->result ?: "";
        const char *id = info->id ?: "?";
        int status = job_exit_status(result, info->exit_code, info->exit_signal, info->start_errno);
        char what[512];

        if (strcmp(result, "oom-kill") == 0)
                fprintf(stderr, "Job %s was killed by the OOM killer (memory limit).\n", id);
        else if (strcmp(result, "timeout") == 0)
                fprintf(stderr, "Job %s exceeded its runtime limit and was stopped.\n", id);
        else if (strcmp(result, "start-failed") == 0)
                fprintf(stderr, "Job %s failed to start: %s\n", id,
                        info->status_text && *info->status_text ? info->status_text : "unknown reason");
        else if (strcmp(result, "stopped") == 0) {
                fprintf(stderr, "Job %s was stopped.\n", id);
                if (interrupt_signal > 0)
                        status = 128 + interrupt_signal;
        }
        else if (strcmp(result, "signal") == 0 && info->exit_signal != SIGINT && info->exit_signal != SIGPIPE)
                fprintf(stderr, "Job %s was %s.\n", id,
                        job_result_describe(what, sizeof what, result, info->exit_code,
                                            info->exit_signal, info->status_text));
        return status;
}
