package io.snapshotagent.hypervisor;

/**
 * nova's {@code power_state} of an instance, mapped from libvirt's {@code virDomainState} as
 * nova's {@code LIBVIRT_POWER_STATE} does (blocked counts as running; shutting down and shut off
 * both as shutdown; pmsuspended as suspended).
 */
public enum PowerState {
    NOSTATE(0, "pending"),
    RUNNING(1, "running"),
    PAUSED(3, "paused"),
    SHUTDOWN(4, "shutdown"),
    CRASHED(6, "crashed"),
    SUSPENDED(7, "suspended");

    private final int code;
    private final String novaName;

    PowerState(int code, String novaName) {
        this.code = code;
        this.novaName = novaName;
    }

    /** The integer nova stores in {@code instances.power_state}. */
    public int code() {
        return code;
    }

    /** nova's name, as in notifications' {@code power_state}. */
    public String novaName() {
        return novaName;
    }

    /** From libvirt's {@code virDomainState} number. */
    public static PowerState fromLibvirt(int virDomainState) {
        return switch (virDomainState) {
            case 1, 2 -> RUNNING;        // VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED
            case 3 -> PAUSED;            // VIR_DOMAIN_PAUSED
            case 4, 5 -> SHUTDOWN;       // VIR_DOMAIN_SHUTDOWN, VIR_DOMAIN_SHUTOFF
            case 6 -> CRASHED;           // VIR_DOMAIN_CRASHED
            case 7 -> SUSPENDED;         // VIR_DOMAIN_PMSUSPENDED
            default -> NOSTATE;          // VIR_DOMAIN_NOSTATE and anything newer
        };
    }
}
