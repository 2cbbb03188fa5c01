package io.snapshotagent.image;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client's retry, re-authentication and stall rules against a scripted local HTTP server
 * (a fake Glance: these are unit tests; GlanceImagesIT runs the same client against the real one).
 */
class GlanceHttpTest {

    private static final UUID ID = UUID.fromString("d2aae36f-785c-4518-8016-bc9534d9fc7f");
    private static final String IMAGE = "{\"id\": \"" + ID + "\", \"name\": \"n\", \"status\": \"queued\"}";
    private static final GlanceSettings FAST = new GlanceSettings(Duration.ofSeconds(5), Duration.ofSeconds(1), 3,
            Duration.ofMillis(10), 100);

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final FakeAuth auth = new FakeAuth();

    /** Tokens t1, t2, ...: renew() hands out the next one. */
    private final class FakeAuth implements GlanceAuth {
        final AtomicInteger renewals = new AtomicInteger();
        URI endpoint;

        @Override
        public Credentials credentials(Duration minValidity) {
            return new Credentials("t" + (renewals.get() + 1), endpoint);
        }

        @Override
        public Credentials renew(Credentials rejected) {
            return new Credentials("t" + (renewals.incrementAndGet() + 1), endpoint);
        }
    }

    private interface Handler {
        void handle(HttpExchange exchange, int nth) throws IOException;
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.start();
        auth.endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void route(String path, Handler handler) {
        AtomicInteger count = new AtomicInteger();
        server.createContext(path, exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " token="
                    + exchange.getRequestHeaders().getFirst("X-Auth-Token"));
            try (exchange) {
                handler.handle(exchange, count.incrementAndGet());
            }
        });
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private GlanceImages images() {
        return new GlanceImages(auth, FAST);
    }

    @Test
    void a503IsRetriedLikeNovaThenTheAnswerIsUsed() throws GlanceException {
        route("/v2/images/", (ex, nth) -> answer(ex, nth <= 2 ? 503 : 200, nth <= 2 ? "" : IMAGE));
        assertEquals("n", images().get(ID).name());
        assertEquals(3, requests.size());
    }

    @Test
    void after1PlusNumRetries503sTheStatusIsReported() {
        route("/v2/images/", (ex, nth) -> answer(ex, 503, "{\"message\": \"Service Unavailable\"}"));
        GlanceException e = assertThrows(GlanceException.class, () -> images().get(ID));
        assertEquals(503, e.status());
        assertEquals(4, requests.size());
        assertEquals("GET /v2/images/" + ID + " answered HTTP 503: Service Unavailable", e.getMessage());
    }

    @Test
    void aRefusalIsNotRetriedAndCarriesGlancesMessage() {
        route("/v2/images", (ex, nth) -> answer(ex, 409, "{\"message\": \"There was a conflict.<br /><br />\\n"
                + "Image status transition from active to active is not allowed\"}"));
        GlanceException e = assertThrows(GlanceException.class, () -> images().create("n", Map.of()));
        assertEquals(409, e.status());
        assertTrue(e.isRefusal());
        assertEquals("POST", e.method().orElseThrow());
        assertEquals("/v2/images", e.path().orElseThrow());
        assertEquals("Image status transition from active to active is not allowed", e.glanceMessage().orElseThrow());
        assertEquals(1, requests.size());
    }

    @Test
    void a404OnAnImageIsImageNotFoundAndDeleteTakesItAsGone() throws GlanceException {
        route("/v2/images/", (ex, nth) -> answer(ex, 404, "{\"message\": \"No image found with ID " + ID + "<br /><br />\"}"));
        ImageNotFound e = assertThrows(ImageNotFound.class, () -> images().get(ID));
        assertEquals(ID, e.imageId());
        assertEquals(404, e.status());
        assertFalse(images().delete(ID));
    }

    @Test
    void a401GetsOneNewTokenAndOneMoreTry() throws GlanceException {
        route("/v2/images/", (ex, nth) -> {
            boolean fresh = "t2".equals(ex.getRequestHeaders().getFirst("X-Auth-Token"));
            answer(ex, fresh ? 200 : 401, fresh ? IMAGE : "{\"message\": \"Unauthorized\"}");
        });
        images().get(ID);
        assertEquals(1, auth.renewals.get());
        assertEquals(List.of("GET /v2/images/" + ID + " token=t1", "GET /v2/images/" + ID + " token=t2"), requests);
    }

    @Test
    void aSecond401IsReportedNotLoopedOn() {
        route("/v2/images/", (ex, nth) -> answer(ex, 401, "{\"message\": \"Unauthorized\"}"));
        GlanceException e = assertThrows(GlanceException.class, () -> images().get(ID));
        assertEquals(401, e.status());
        assertEquals(2, requests.size());
        assertFalse(e.getMessage().contains("t1") || e.getMessage().contains("t2"), "no token in messages");
    }

    @Test
    void aBrokenAnswerIsRetriedForAGetButNotForACreate() {
        // the server takes the request and closes the connection without answering
        route("/v2/images", (ex, nth) -> ex.getResponseBody().close());
        GlanceException create = assertThrows(GlanceException.class, () -> images().create("n", Map.of()));
        assertEquals(GlanceException.NO_RESPONSE, create.status());
        assertEquals(1, requests.size(), "Glance may have created the image: a create is not repeated");
        requests.clear();
        assertThrows(GlanceException.class, () -> images().get(ID));
        // 1 + 3 attempts; the JDK itself also repeats a GET once on a connection that closed
        // before any answer byte (its stale keep-alive rule), so the server may see each twice
        assertTrue(requests.size() == 4 || requests.size() == 8, requests.size() + " requests");
    }

    @Test
    void noConnectionIsRetriedEvenForACreate() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        auth.endpoint = URI.create("http://127.0.0.1:" + closedPort);
        GlanceSettings slowRetries = new GlanceSettings(Duration.ofSeconds(5), Duration.ofSeconds(1), 3,
                Duration.ofMillis(200), 100);
        long start = System.nanoTime();
        GlanceException e = assertThrows(GlanceException.class, () -> new GlanceImages(auth, slowRetries).create("n", Map.of()));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertInstanceOf(ConnectException.class, e.getCause());
        assertTrue(millis >= 600, "three 200 ms pauses before giving up, took " + millis + " ms");
    }

    private Path file(int bytes) throws IOException {
        byte[] data = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            data[i] = (byte) (i * 31 + (i >>> 8));
        }
        return Files.write(dir.resolve("disk.raw"), data);
    }

    @Test
    void anUploadSendsItsLengthAndAfterA401StartsAgainFromTheFirstByte() throws IOException, GlanceException {
        Path file = file(3 << 20);
        List<String> heads = new CopyOnWriteArrayList<>();
        List<Long> received = new CopyOnWriteArrayList<>();
        route("/v2/images/", (ex, nth) -> {
            if ("GET".equals(ex.getRequestMethod())) {
                answer(ex, 200, IMAGE);
                return;
            }
            heads.add(ex.getRequestHeaders().getFirst("Content-Length") + "/"
                    + ex.getRequestHeaders().getFirst("Transfer-Encoding") + "/"
                    + ex.getRequestHeaders().getFirst("Content-Type"));
            try (InputStream in = ex.getRequestBody()) {
                received.add(in.transferTo(OutputStream.nullOutputStream()));
            }
            // keystonemiddleware rejects the first token (Glance drains the body before it answers)
            answer(ex, "t1".equals(ex.getRequestHeaders().getFirst("X-Auth-Token")) ? 401 : 204, "");
        });
        List<Long> progress = Collections.synchronizedList(new ArrayList<>());
        images().upload(ID, file, (sent, total) -> progress.add(sent));

        long size = Files.size(file);
        assertEquals(List.of(size + "/null/application/octet-stream", size + "/null/application/octet-stream"), heads,
                "known length, not chunked, both times");
        assertEquals(List.of(size, size), received);
        assertEquals(1, auth.renewals.get());
        int restart = -1;
        for (int i = 1; i < progress.size(); i++) {
            if (progress.get(i) < progress.get(i - 1)) {
                restart = i;
            }
        }
        assertTrue(restart > 0, "the count starts again at 0 on the second attempt: " + progress);
        assertEquals(size, progress.get(progress.size() - 1));
        assertEquals(size, progress.get(restart - 1));
    }

    @Test
    void anUploadFailsWhenTheServerStopsReadingAndTheConnectionIsDropped() throws Exception {
        Path file = file(32 << 20);
        CompletableFuture<Long> closedAfter = new CompletableFuture<>();
        try (ServerSocket stalled = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            stalled.setReceiveBufferSize(64 * 1024);
            auth.endpoint = URI.create("http://127.0.0.1:" + stalled.getLocalPort());
            Thread glance = new Thread(() -> {
                try (Socket s = stalled.accept()) {
                    s.getInputStream().readNBytes(1024);   // the headers and a little body, then nothing
                    Thread.sleep(3000);                    // hung: reads nothing for a while
                    long start = System.nanoTime();
                    s.setSoTimeout(20_000);
                    while (s.getInputStream().read(new byte[65536]) >= 0) {
                        // drain what the client had buffered until it closes its end
                    }
                    closedAfter.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                } catch (Exception e) {
                    closedAfter.completeExceptionally(e);
                }
            });
            glance.start();
            long start = System.nanoTime();
            GlanceException e = assertThrows(GlanceException.class, () -> images().upload(ID, file));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(GlanceException.NO_RESPONSE, e.status());
            assertTrue(e.getMessage().contains("no byte went out for 1 s"), e.getMessage());
            assertTrue(millis < 2900, "failed after the 1 s stall timeout, not after the server woke: " + millis + " ms");
            closedAfter.get(30, TimeUnit.SECONDS);   // the client closed the connection: the exchange was cancelled
            glance.join(30_000);
        }
    }

    @Test
    void anUploadFailsWhenTheAnswerNeverComes() throws IOException {
        Path file = file(1 << 20);
        route("/v2/images/", (ex, nth) -> {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            try {
                Thread.sleep(4000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(ex, 204, "");
        });
        GlanceException e = assertThrows(GlanceException.class, () -> images().upload(ID, file));
        assertTrue(e.getMessage().contains("no answer came after the last byte"), e.getMessage());
        assertEquals(1, requests.size(), "an upload that may have reached Glance is not repeated");
    }
}
