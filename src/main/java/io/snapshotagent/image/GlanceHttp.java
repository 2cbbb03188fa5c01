package io.snapshotagent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Glance over the JDK's HTTP client: authentication, nova's retry rules, error mapping.
 *
 * <ul>
 * <li>401: one new token, then the same request again (from the file's start for an upload).
 * <li>503, or no connection: up to {@code numRetries} more attempts, {@code retryInterval} apart
 *     (nova's {@code [glance] num_retries}). Other I/O failures are retried only for requests that
 *     are safe to repeat; a create, a location add or an upload that broke midway is not repeated,
 *     since Glance may have acted on it.
 * <li>Any other non-2xx answer: a {@link GlanceException} with Glance's message; 404 on an image
 *     is {@link ImageNotFound}.
 * </ul>
 * All methods block; the retry pauses sleep on the calling (worker) thread.
 */
final class GlanceHttp {

    private static final Logger LOG = Logger.getLogger(GlanceHttp.class);
    private static final String USER_AGENT = "snapshot-agent";
    /** The slowest upload rate planned for when choosing how long an upload's token must last. */
    private static final long SLOWEST_UPLOAD_BYTES_PER_SECOND = 10L << 20;
    private static final Duration CONTROL_TOKEN_VALIDITY = Duration.ofMinutes(5);

    private final GlanceAuth auth;
    private final GlanceSettings settings;
    private final HttpClient http;
    private final ObjectMapper json;

    GlanceHttp(GlanceAuth auth, GlanceSettings settings, ObjectMapper json) {
        this.auth = auth;
        this.settings = settings;
        this.json = json;
        // HTTP/1.1: glance-api (eventlet) speaks nothing else, and the JDK's h2c upgrade attempt
        // would only cost a round trip. No expectContinue: JDK 17 waits forever when the answer to
        // "Expect: 100-continue" is a final 401 instead of 100 (see docs/glance.md).
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** One request/response exchange with a JSON (or JSON-patch) body, or none. */
    record Call(String method, String path, String contentType, byte[] body, boolean idempotent, UUID image) {

        static Call get(String path, UUID image) {
            return new Call("GET", path, null, null, true, image);
        }
    }

    /** A 2xx answer. */
    record Answer(int status, String body) {
    }

    Answer send(Call call) throws GlanceException {
        return exchange(call.method(), call.path(), call.idempotent(), call.image(), CONTROL_TOKEN_VALIDITY,
                (uri, token) -> {
                    HttpRequest.Builder request = request(uri, token).timeout(settings.timeout())
                            .method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(call.body()));
                    if (call.contentType() != null) {
                        request.header("Content-Type", call.contentType());
                    }
                    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                });
    }

    /** {@code GET path} on the endpoint's root without a token ({@code /versions} needs none). */
    Answer sendAnonymous(String path) throws GlanceException {
        return exchange("GET", path, true, null, CONTROL_TOKEN_VALIDITY, (uri, token) -> http.send(
                HttpRequest.newBuilder(uri).timeout(settings.timeout()).header("Accept", "application/json")
                        .header("User-Agent", USER_AGENT).GET().build(),
                HttpResponse.BodyHandlers.ofString()));
    }

    /**
     * {@code PUT path} with the file as an octet stream of known length. No total timeout; it fails
     * when the body stops moving, or the answer does not come, for {@code uploadStallTimeout}.
     */
    Answer upload(String path, Path file, long length, UploadProgress progress, UUID image) throws GlanceException {
        Duration expected = Duration.ofSeconds(length / SLOWEST_UPLOAD_BYTES_PER_SECOND);
        return exchange("PUT", path, false, image, CONTROL_TOKEN_VALIDITY.plus(expected), (uri, token) -> {
            UploadBody body = new UploadBody(file, length, progress);
            HttpRequest request = request(uri, token).header("Content-Type", "application/octet-stream").PUT(body).build();
            return watch(http.sendAsync(request, HttpResponse.BodyHandlers.ofString()), body);
        });
    }

    private HttpRequest.Builder request(URI uri, String token) {
        return HttpRequest.newBuilder(uri).header("X-Auth-Token", token).header("Accept", "application/json")
                .header("User-Agent", USER_AGENT);
    }

    private HttpResponse<String> watch(CompletableFuture<HttpResponse<String>> response, UploadBody body)
            throws IOException, InterruptedException {
        long stall = settings.uploadStallTimeout().toNanos();
        long poll = Math.max(1, Math.min(TimeUnit.SECONDS.toMillis(1), TimeUnit.NANOSECONDS.toMillis(stall) / 4));
        while (true) {
            try {
                return response.get(poll, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (body.idleNanos() > stall) {
                    response.cancel(true);
                    String where = body.sent() < body.contentLength()
                            ? "no byte went out for " : "no answer came after the last byte for ";
                    throw new HttpTimeoutException(where + settings.uploadStallTimeout().toSeconds() + " s ("
                            + body.sent() + " of " + body.contentLength() + " bytes sent)");
                }
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) {
                    throw io;
                }
                throw new IOException(cause);
            } catch (InterruptedException e) {
                response.cancel(true);
                throw e;
            }
        }
    }

    private interface Attempt {
        HttpResponse<String> send(URI uri, String token) throws IOException, InterruptedException;
    }

    private Answer exchange(String method, String path, boolean idempotent, UUID image, Duration tokenValidity,
                            Attempt attempt) throws GlanceException {
        GlanceAuth.Credentials credentials = auth.credentials(tokenValidity);
        boolean renewed = false;
        int retries = 0;
        while (true) {
            long start = System.nanoTime();
            int status;
            HttpResponse<String> response;
            try {
                response = attempt.send(resolve(credentials.endpoint(), path), credentials.token());
                status = response.statusCode();
            } catch (IOException e) {
                boolean unsent = e instanceof ConnectException || e instanceof HttpConnectTimeoutException;
                if ((idempotent || unsent) && retries < settings.numRetries()) {
                    retries++;
                    LOG.warnf("%s %s failed (%s); retry %d of %d", method, path, e, retries, settings.numRetries());
                    pause(method, path);
                    continue;
                }
                throw new GlanceException(method, path, "failed", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GlanceException(method, path, "was interrupted", e);
            }
            LOG.debugf("%s %s -> %d in %d ms", method, path, status, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            if (status >= 200 && status < 300) {
                return new Answer(status, response.body());
            }
            if (status == 401 && !renewed) {
                renewed = true;
                LOG.infof("%s %s: Glance rejected the token (401); retrying once with a new one", method, path);
                credentials = auth.renew(credentials);
                continue;
            }
            if (status == 503 && retries < settings.numRetries()) {
                retries++;
                LOG.warnf("%s %s answered 503; retry %d of %d", method, path, retries, settings.numRetries());
                pause(method, path);
                continue;
            }
            String message = GlanceErrors.message(response.body(), json);
            if (status == 404 && image != null) {
                throw new ImageNotFound(image, method, path, message);
            }
            throw new GlanceException(method, path, status, message);
        }
    }

    private void pause(String method, String path) throws GlanceException {
        try {
            Thread.sleep(settings.retryInterval().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GlanceException(method, path, "was interrupted", e);
        }
    }

    /**
     * {@code path} (which starts with {@code /v2/} or is {@code /versions}) on the endpoint's root.
     * Catalogs hold Glance's root ({@code http://host:9292}); one that ends in {@code /v2} is taken too.
     */
    static URI resolve(URI endpoint, String path) {
        String root = endpoint.toString().replaceAll("/+$", "");
        if (root.endsWith("/v2")) {
            root = root.substring(0, root.length() - 3);
        }
        return URI.create(root + path);
    }
}
