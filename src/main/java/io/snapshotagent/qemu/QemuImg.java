package io.snapshotagent.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * {@code qemu-img} as nova runs it ({@code nova.virt.images}, {@code nova.privsep.qemu}): a child
 * process with an argument list, {@code LC_ALL=C LANG=C}, a time limit and its stderr kept for the
 * error. A call that times out or whose thread is interrupted kills qemu-img before it returns.
 * All methods block.
 */
public final class QemuImg {

    public static final Path DEFAULT_EXECUTABLE = Path.of("/usr/bin/qemu-img");
    /** nova limits {@code qemu-img info} to 30 s of CPU ({@code QEMU_IMG_LIMITS}). */
    public static final Duration DEFAULT_INFO_TIMEOUT = Duration.ofSeconds(30);

    /** English, unlocalised messages: they end up in task errors and get matched by people. */
    private static final Map<String, String> ENVIRONMENT = Map.of("LC_ALL", "C", "LANG", "C");
    private static final int INFO_OUTPUT_LIMIT = 4 * 1024 * 1024;
    private static final int MESSAGE_TAIL_CHARS = 2000;
    private static final Pattern PROGRESS = Pattern.compile("\\((\\d{1,3}(?:\\.\\d+)?)/100%\\)");
    private static final Pattern SECRET_OPTION = Pattern.compile("(^|:)(key|password|secret)=[^:]*");
    private static final Logger LOG = Logger.getLogger(QemuImg.class);

    private final Path executable;
    private final Duration infoTimeout;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param executable  the qemu-img binary ({@link #DEFAULT_EXECUTABLE})
     * @param infoTimeout limit for {@code info} and {@code create}, which only touch metadata
     */
    public QemuImg(Path executable, Duration infoTimeout) {
        this.executable = Objects.requireNonNull(executable, "executable");
        this.infoTimeout = Objects.requireNonNull(infoTimeout, "infoTimeout");
        if (!executable.isAbsolute()) {
            throw new IllegalArgumentException("qemu-img must be given by absolute path, not " + executable);
        }
    }

    /**
     * {@code qemu-img convert -t <cache> -O <targetFormat> -f <sourceFormat> [-c] [-p] <source> <target>},
     * nova's {@code convert_image}. The source must not be in use by a running or paused guest
     * (qemu-img cannot take its lock); for RBD nova saves the guest first because reading a live
     * image gives an inconsistent copy. A failed or cancelled convert may leave a partial target:
     * write it into a {@link ScratchDir}, which removes it.
     *
     * @throws QemuImgException     {@link QemuImgException#FAILED} or {@link QemuImgException#TIMED_OUT}
     * @throws InterruptedException the calling thread was interrupted; qemu-img has been killed
     */
    public void convert(DiskSource source, DiskFormat sourceFormat, Path target, DiskFormat targetFormat,
                        ConvertOptions options) throws QemuImgException, InterruptedException {
        List<String> args = convertArguments(source, sourceFormat, target, targetFormat, options);
        Consumer<String> progress = options.progress().<Consumer<String>>map(listener -> chunk ->
                parseProgress(chunk).ifPresent(listener::progress)).orElse(null);
        long started = System.nanoTime();
        run("convert", args, options.timeout(), 0, progress);
        LOG.debugf("converted %s (%s) to %s (%s) in %d ms", source.describe(), sourceFormat.qemuName(), target,
                targetFormat.qemuName(), (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * {@code qemu-img info -U --output=json [-f <format>] <source>}. {@code -U} (force-share, as nova
     * passes) lets it read the metadata of an image a running guest holds.
     */
    public ImageInfo info(DiskSource source, Optional<DiskFormat> format) throws QemuImgException, InterruptedException {
        List<String> args = infoArguments(source, format, false);
        String out = run("info", args, infoTimeout, INFO_OUTPUT_LIMIT, null).stdout();
        try {
            return ImageInfo.parse(json, out);
        } catch (IOException e) {
            throw unreadable("info", args, out, e);
        }
    }

    /** Like {@link #info}, with {@code --backing-chain}: the image first, then each backing file. */
    public List<ImageInfo> backingChain(DiskSource source, Optional<DiskFormat> format) throws QemuImgException, InterruptedException {
        List<String> args = infoArguments(source, format, true);
        String out = run("info", args, infoTimeout, INFO_OUTPUT_LIMIT, null).stdout();
        try {
            return ImageInfo.parseChain(json, out);
        } catch (IOException e) {
            throw unreadable("info", args, out, e);
        }
    }

    /**
     * The bytes an extract of {@code source} may write ({@link ImageInfo#extractBytes}): what the
     * image and its backing files hold on the host, at most the virtual size; the virtual size for
     * RBD, whose allocation qemu-img does not report.
     */
    public long extractBytes(DiskSource source, DiskFormat format) throws QemuImgException, InterruptedException {
        return ImageInfo.extractBytes(backingChain(source, Optional.of(format)));
    }

    /** A backing file for {@link #create}: qemu 6.1+ wants its format stated. */
    public record Backing(Path file, DiskFormat format) {
        public Backing {
            Objects.requireNonNull(file, "file");
            Objects.requireNonNull(format, "format");
            if (!file.isAbsolute()) {
                throw new IllegalArgumentException("the backing file must be an absolute path, not " + file);
            }
        }
    }

    /**
     * {@code qemu-img create -f <format> [-b <backing> -F <backingFormat>] <path> <virtualSize>},
     * as nova's {@code create_image} makes the delta of a live snapshot.
     */
    public void create(Path path, DiskFormat format, long virtualSize, Optional<Backing> backing)
            throws QemuImgException, InterruptedException {
        run("create", createArguments(path, format, virtualSize, backing), infoTimeout, 0, null);
    }

    List<String> convertArguments(DiskSource source, DiskFormat sourceFormat, Path target, DiskFormat targetFormat,
                                  ConvertOptions options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sourceFormat, "sourceFormat");
        Objects.requireNonNull(targetFormat, "targetFormat");
        if (options.compress() && targetFormat != DiskFormat.QCOW2) {
            throw new IllegalArgumentException("qemu-img compresses qcow2 targets only, not " + targetFormat.qemuName());
        }
        List<String> args = new ArrayList<>(List.of(executable.toString(), "convert",
                "-t", options.cacheMode().qemuName(),
                "-O", targetFormat.qemuName(),
                "-f", sourceFormat.qemuName()));
        if (options.compress()) {
            args.add("-c");
        }
        if (options.progress().isPresent()) {
            args.add("-p");
        }
        args.add(source.qemuFilename());
        args.add(DiskSource.file(target).qemuFilename());
        return args;
    }

    List<String> infoArguments(DiskSource source, Optional<DiskFormat> format, boolean backingChain) {
        List<String> args = new ArrayList<>(List.of(executable.toString(), "info", "-U", "--output=json"));
        if (backingChain) {
            args.add("--backing-chain");
        }
        format.ifPresent(f -> {
            args.add("-f");
            args.add(f.qemuName());
        });
        args.add(source.qemuFilename());
        return args;
    }

    List<String> createArguments(Path path, DiskFormat format, long virtualSize, Optional<Backing> backing) {
        if (virtualSize <= 0) {
            throw new IllegalArgumentException("the virtual size must be positive: " + virtualSize);
        }
        List<String> args = new ArrayList<>(List.of(executable.toString(), "create", "-q", "-f", format.qemuName()));
        backing.ifPresent(b -> args.addAll(List.of("-b", b.file().toString(), "-F", b.format().qemuName())));
        args.add(DiskSource.file(path).qemuFilename());
        args.add(Long.toString(virtualSize));
        return args;
    }

    /** One reading of {@code -p} output, e.g. {@code "    (42.50/100%)"}. */
    static OptionalDouble parseProgress(String chunk) {
        Matcher m = PROGRESS.matcher(chunk);
        return m.find() ? OptionalDouble.of(Math.min(100.0, Double.parseDouble(m.group(1)))) : OptionalDouble.empty();
    }

    /** The command for messages: shell-quoted where needed, secrets masked. */
    static String render(List<String> args) {
        return args.stream().map(QemuImg::mask).map(QemuImg::quote).collect(Collectors.joining(" "));
    }

    private static String mask(String arg) {
        return SECRET_OPTION.matcher(arg).replaceAll("$1$2=***");
    }

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_./:=@%+,\\\\-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }

    private ChildProcess.Completed run(String operation, List<String> args, Duration timeout, int stdoutLimit,
                                       Consumer<String> stdoutChunks) throws QemuImgException, InterruptedException {
        String shown = render(args);
        ChildProcess.Completed done;
        try {
            done = ChildProcess.run(args, ENVIRONMENT, timeout, stdoutLimit, stdoutChunks);
        } catch (IOException e) {
            throw new QemuImgException(QemuImgException.FAILED, "cannot run qemu-img: " + e.getMessage() + "; command: " + shown,
                    shown, OptionalInt.empty(), "", e);
        }
        if (done.timedOut()) {
            throw new QemuImgException(QemuImgException.TIMED_OUT, "qemu-img " + operation + " did not finish in "
                    + timeout + " and was killed" + said(done.stderrTail()) + "; command: " + shown,
                    shown, OptionalInt.empty(), done.stderrTail(), null);
        }
        if (done.exitCode() != 0) {
            throw new QemuImgException(QemuImgException.FAILED, "qemu-img " + operation + " failed with exit code "
                    + done.exitCode() + said(done.stderrTail()) + "; command: " + shown,
                    shown, OptionalInt.of(done.exitCode()), done.stderrTail(), null);
        }
        return done;
    }

    private static String said(String stderrTail) {
        if (stderrTail.isEmpty()) {
            return "";
        }
        String tail = stderrTail.length() > MESSAGE_TAIL_CHARS
                ? "..." + stderrTail.substring(stderrTail.length() - MESSAGE_TAIL_CHARS) : stderrTail;
        return ": " + tail;
    }

    private static QemuImgException unreadable(String operation, List<String> args, String out, IOException e) {
        String shown = render(args);
        String head = out.length() > 200 ? out.substring(0, 200) + "..." : out;
        return new QemuImgException(QemuImgException.FAILED, "qemu-img " + operation + " printed what is not its JSON ("
                + e.getMessage() + "): " + head + "; command: " + shown, shown, OptionalInt.of(0), "", e);
    }
}
