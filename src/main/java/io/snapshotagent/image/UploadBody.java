package io.snapshotagent.image;

import org.jboss.logging.Logger;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file as a request body with a known length (so Glance learns the size up front, see
 * docs/glance.md), streamed by the JDK from disk a buffer at a time, never held in memory.
 * It counts what the HTTP client takes and when it last took something: the client only asks for
 * more once the socket has room, so a server that stops reading shows as a body that stops moving.
 */
final class UploadBody implements HttpRequest.BodyPublisher {

    private static final Logger LOG = Logger.getLogger(UploadBody.class);
    private static final long REPORT_EVERY = 1 << 20;

    private final HttpRequest.BodyPublisher file;
    private final long length;
    private final UploadProgress progress;
    private final AtomicLong sent = new AtomicLong();
    private volatile long lastActivity = System.nanoTime();
    private long reported;

    UploadBody(Path path, long length, UploadProgress progress) throws FileNotFoundException {
        this.file = HttpRequest.BodyPublishers.ofFile(path);
        this.length = length;
        this.progress = progress;
    }

    @Override
    public long contentLength() {
        return length;
    }

    long sent() {
        return sent.get();
    }

    /** Nanoseconds since the client last asked for or took a buffer. */
    long idleNanos() {
        return System.nanoTime() - lastActivity;
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        file.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscriber.onSubscribe(new Flow.Subscription() {
                    @Override
                    public void request(long n) {
                        lastActivity = System.nanoTime();
                        subscription.request(n);
                    }

                    @Override
                    public void cancel() {
                        subscription.cancel();
                    }
                });
            }

            @Override
            public void onNext(ByteBuffer item) {
                long total = sent.addAndGet(item.remaining());
                lastActivity = System.nanoTime();
                subscriber.onNext(item);
                report(total);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }

    /** onNext calls are serialised by the Flow contract, so {@code reported} needs no lock. */
    private void report(long total) {
        if (total - reported >= REPORT_EVERY || total == length) {
            reported = total;
            try {
                progress.bytesSent(total, length);
            } catch (RuntimeException e) {
                // a broken progress listener must not break the upload it watches
                LOG.warnf(e, "upload progress listener failed at %d of %d bytes", total, length);
            }
        }
    }
}
