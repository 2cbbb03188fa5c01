package io.snapshotagent.hypervisor;

import java.util.UUID;

/**
 * A guest taken off its disk by {@link Guests#suspendForSnapshot}. {@link #resume()} (or
 * {@link #close()}) brings it back in the state it had; it is idempotent, so it is safe in a
 * {@code finally} and may be retried after a failure. Not thread-safe: one task owns it.
 */
public final class SuspendedGuest implements AutoCloseable {

    private final Guests guests;
    private final UUID instanceUuid;
    private final PowerState originalState;
    private final boolean saved;
    private boolean resumed;

    SuspendedGuest(Guests guests, UUID instanceUuid, PowerState originalState, boolean saved) {
        this.guests = guests;
        this.instanceUuid = instanceUuid;
        this.originalState = originalState;
        this.saved = saved;
    }

    public UUID instanceUuid() {
        return instanceUuid;
    }

    /** The power state before the snapshot, which the guest returns to. */
    public PowerState originalState() {
        return originalState;
    }

    /** False when the guest was neither running nor paused and so was left alone. */
    public boolean saved() {
        return saved;
    }

    public void resume() throws HypervisorException {
        if (!saved || resumed) {
            return;
        }
        guests.resume(instanceUuid, originalState);
        resumed = true;
    }

    @Override
    public void close() throws HypervisorException {
        resume();
    }
}
