package io.snapshotagent.hypervisor;

/**
 * Whether a live snapshot freezes the guest's file systems, from the instance's image properties
 * (its {@code image_*} system metadata): nova's {@code _can_quiesce} / {@code _requires_quiesce}.
 *
 * @param hwQemuGuestAgent {@code hw_qemu_guest_agent=yes}: the guest runs qemu-guest-agent, so a
 *                         freeze is tried once the mirror is in sync; if it fails the snapshot goes
 *                         on unquiesced
 * @param osRequireQuiesce {@code os_require_quiesce=yes}: a snapshot that cannot be quiesced fails
 *                         instead, checked (agent enabled and answering) before anything changes
 */
public record QuiescePolicy(boolean hwQemuGuestAgent, boolean osRequireQuiesce) {

    /** No guest agent: never freeze. */
    public static final QuiescePolicy NONE = new QuiescePolicy(false, false);
}
