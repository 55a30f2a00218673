/* Test helper (installed only with -Dinstall_tests=true): try to own a name on
 * the system bus, to check the D-Bus policy from the integration tests.
 *
 *   request-name [NAME]     (default org.jobworker1)
 *
 * Exit status: 0 granted, 1 refused by policy (EACCES/EPERM), 2 anything else
 * (e.g. the name is already owned, or no bus). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

int main(int argc, char **argv) {
        const char *name = argc > 1 ? argv[1] : "org.jobworker1";
        sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_request_name(bus, name, 0);
        if (r >= 0) {
                printf("granted %s\n", name);
                sd_bus_release_name(bus, name);
                sd_bus_flush_close_unref(bus);
                return 0;
        }
        sd_bus_flush_close_unref(bus);
        if (r == -EACCES || r == -EPERM) {
                printf("refused %s: %s\n", name, strerror(-r));
                return 1;
        }
        fprintf(stderr, "request %s failed: %s\n", name, strerror(-r));
        return 2;
}
