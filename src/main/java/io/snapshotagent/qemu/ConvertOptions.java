package io.snapshotagent.qemu;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link QemuImg#convert} writes the target.
 *
 * @param cacheMode {@code -t}; pick it with {@link CacheMode#forDirectory} on the target's directory
 * @param compress  {@code -c}; qcow2 targets only (nova's {@code snapshot_compression})
 * @param timeout   the convert is killed after this long
 * @param progress  told the percentage qemu-img reports ({@code -p}), on a reader thread
 */
public record ConvertOptions(CacheMode cacheMode, boolean compress, Duration timeout, Optional<ProgressListener> progress) {

    /** Receives qemu-img's progress, 0 to 100, as it goes. Called on a reader thread: keep it quick. */
    @FunctionalInterface
    public interface ProgressListener {
        void progress(double percent);
    }

    public ConvertOptions {
        Objects.requireNonNull(cacheMode, "cacheMode");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(progress, "progress");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
    }

    public static ConvertOptions of(CacheMode cacheMode, Duration timeout) {
        return new ConvertOptions(cacheMode, false, timeout, Optional.empty());
    }

    public ConvertOptions compressed() {
        return new ConvertOptions(cacheMode, true, timeout, progress);
    }

    public ConvertOptions withProgress(ProgressListener listener) {
        return new ConvertOptions(cacheMode, compress, timeout, Optional.of(listener));
    }
}
