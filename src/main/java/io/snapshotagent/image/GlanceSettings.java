package io.snapshotagent.image;

import io.snapshotagent.config.AgentConfig;

import java.time.Duration;

/**
 * How the Glance client waits and retries.
 *
 * @param timeout            connect timeout, and the whole-request timeout of every call but an
 *                           upload ({@code snapshot.glance.timeout})
 * @param uploadStallTimeout an upload fails when no byte has gone out (or, once all are out, no
 *                           answer has come) for this long; uploads have no total timeout
 * @param numRetries         nova's {@code [glance] num_retries}: extra attempts after a 503 or a
 *                           connection failure, never after another 4xx/5xx
 * @param retryInterval      pause before each retry (nova: 1 s)
 * @param pageSize           images per page when listing
 */
public record GlanceSettings(Duration timeout, Duration uploadStallTimeout, int numRetries, Duration retryInterval,
                             int pageSize) {

    public static final Duration DEFAULT_UPLOAD_STALL_TIMEOUT = Duration.ofSeconds(60);
    public static final int DEFAULT_NUM_RETRIES = 3;
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(1);
    public static final int DEFAULT_PAGE_SIZE = 100;

    public GlanceSettings {
        if (timeout.isNegative() || timeout.isZero() || uploadStallTimeout.isNegative() || uploadStallTimeout.isZero()) {
            throw new IllegalArgumentException("Glance timeouts must be positive");
        }
        if (numRetries < 0 || pageSize < 1) {
            throw new IllegalArgumentException("num retries must be >= 0 and page size >= 1");
        }
    }

    /** {@code snapshot.glance.timeout} from the configuration, nova's defaults for the rest. */
    public static GlanceSettings from(AgentConfig config) {
        return new GlanceSettings(config.glance().timeout(), DEFAULT_UPLOAD_STALL_TIMEOUT, DEFAULT_NUM_RETRIES,
                DEFAULT_RETRY_INTERVAL, DEFAULT_PAGE_SIZE);
    }
}
