package io.snapshotagent.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one dependency's probe with a hard time limit and turns the outcome into a readiness
 * response and a {@code snapshot_agent_dependency_up} gauge.
 *
 * <p>Native clients (librados, libvirt) can block far longer than a readiness endpoint may take,
 * so the probe runs on its own thread. A probe still stuck from an earlier call is not started
 * again: that would pile threads up on a dead cluster.
 */
public final class DependencyProbe implements AutoCloseable {

    /** What a probe learned about a healthy dependency, shown as the check's data. */
    @FunctionalInterface
    public interface Probe {
        Map<String, String> run() throws Exception;
    }

    private final String name;
    private final String endpoint;
    private final Duration timeout;
    private final ExecutorService executor;
    private final AtomicInteger up = new AtomicInteger();
    private Future<Map<String, String>> running;
    private long runningSince;

    public DependencyProbe(String name, String endpoint, Duration timeout, MeterRegistry registry) {
        this.name = name;
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "probe-" + name);
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("snapshot_agent_dependency_up", up, AtomicInteger::get)
                .tag("dependency", name)
                .description("1 when the dependency's readiness probe passed last time, else 0")
                .register(registry);
    }

    public synchronized HealthCheckResponse check(Probe probe) {
        HealthCheckResponseBuilder response = HealthCheckResponse.named(name).withData("endpoint", endpoint);
        if (running != null && !running.isDone()) {
            up.set(0);
            long secs = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - runningSince);
            return response.down().withData("error", "previous probe still blocked after " + secs + " s").build();
        }
        runningSince = System.nanoTime();
        running = executor.submit(probe::run);
        try {
            Map<String, String> data = running.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            data.forEach(response::withData);
            up.set(1);
            return response.up().build();
        } catch (TimeoutException e) {
            up.set(0);
            return response.down().withData("error", "no answer within " + timeout.toMillis() + " ms").build();
        } catch (ExecutionException e) {
            up.set(0);
            return response.down().withData("error", describe(e.getCause())).build();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            up.set(0);
            return response.down().withData("error", "interrupted").build();
        }
    }

    /** The message chain of a failure, without stack frames: what an operator reads first. */
    public static String describe(Throwable t) {
        StringBuilder text = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (!text.isEmpty()) {
                text.append(": ");
            }
            String message = c.getMessage();
            text.append(message == null || message.isBlank() ? c.getClass().getSimpleName() : message.strip());
            if (text.length() > 600) {
                break;
            }
        }
        return text.toString();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
