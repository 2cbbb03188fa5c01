package io.snapshotagent.hypervisor;

import io.snapshotagent.qemu.DiskFormat;
import io.snapshotagent.qemu.DiskSource;
import io.snapshotagent.qemu.QemuImg;
import io.snapshotagent.qemu.QemuImgException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * nova's live snapshot of a file disk ({@code LibvirtDriver._live_snapshot}): while the guest
 * keeps running, mirror the top of its disk into a qcow2 delta that has the disk's backing file,
 * stop the mirror once it is in sync (freezing the guest's file systems around that moment if the
 * image asks for it), and {@code qemu-img convert} delta plus backing file into a standalone image.
 *
 * <p>Unlike nova, the copy is a {@code virDomainBlockCopy} with {@code TRANSIENT_JOB}, so the domain
 * stays defined throughout; nova's {@code virDomainBlockRebase}, which needs the persistent domain
 * undefined and defined again, is the fallback for libvirt older than 4.5.0.
 *
 * <p>Whatever fails, the snapshot leaves no block job on the disk, the domain defined, the guest
 * as it was (thawed) and no delta behind. Only when libvirtd stays away for longer than
 * {@link LiveSnapshotSettings#reconnectGrace()} can a job outlive the call (it lives in QEMU);
 * {@link #cleanupAfterCrash} stops it, and what an agent that died mid-snapshot left, later.
 * All methods block; one live snapshot per instance at a time.
 */
@ApplicationScoped
public class LiveSnapshot {

    static final String DELTA_SUFFIX = ".delta";
    /** The persistent configuration, kept beside the output while a rebase-style copy has it undefined. */
    static final String SAVED_DOMAIN_SUFFIX = ".domain.xml";
    private static final int XML_SECURE = 1;
    private static final int XML_INACTIVE = 2;
    private static final int LIVE_XML = 0;
    private static final int REBASE_BANDWIDTH_BYTES = 1 << 6;
    private static final Logger LOG = Logger.getLogger(LiveSnapshot.class);

    private final LibvirtConnection libvirt;
    private final QemuImg qemuImg;
    private final LiveSnapshotSettings settings;
    private final Optional<MirrorMethod> forcedMethod;
    private final BlockJobs jobs;
    private final Set<UUID> inProgress = ConcurrentHashMap.newKeySet();

    @Inject
    LiveSnapshot(LibvirtConnection libvirt, io.snapshotagent.config.AgentConfig config) {
        this(libvirt, new QemuImg(QemuImg.DEFAULT_EXECUTABLE, QemuImg.DEFAULT_INFO_TIMEOUT), settings(config));
    }

    private static LiveSnapshotSettings settings(io.snapshotagent.config.AgentConfig config) {
        var c = config.libvirt().liveSnapshot();
        return new LiveSnapshotSettings(c.pollInterval(), c.mirrorTimeout(), c.reconnectGrace(), c.bandwidth(),
                LiveSnapshotSettings.DEFAULTS.agentTimeout());
    }

    public LiveSnapshot(LibvirtConnection libvirt, QemuImg qemuImg, LiveSnapshotSettings settings) {
        this(libvirt, qemuImg, settings, Optional.empty());
    }

    /** @param forcedMethod a mirror method regardless of the libvirt version (tests of the fallback) */
    LiveSnapshot(LibvirtConnection libvirt, QemuImg qemuImg, LiveSnapshotSettings settings, Optional<MirrorMethod> forcedMethod) {
        this.libvirt = Objects.requireNonNull(libvirt, "libvirt");
        this.qemuImg = Objects.requireNonNull(qemuImg, "qemuImg");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.forcedMethod = Objects.requireNonNull(forcedMethod, "forcedMethod");
        this.jobs = new BlockJobs();
    }

    /** {@code <output>.delta}, nova's {@code disk_delta}. */
    static Path deltaOf(Path output) {
        return output.resolveSibling(output.getFileName() + DELTA_SUFFIX);
    }

    static Path savedDomainOf(Path output) {
        return output.resolveSibling(output.getFileName() + SAVED_DOMAIN_SUFFIX);
    }

    /**
     * Takes the live snapshot into {@link LiveSnapshotRequest#output()}.
     *
     * @param progress told the mirror's progress after every poll
     * @throws HypervisorException {@code unsupported-disk} (not a qcow2/flat file), {@code instance-busy},
     *         {@code quiesce-failed} (before anything changed, or when a required freeze failed),
     *         {@code instance-not-found} / {@code instance-not-running} (the guest went away),
     *         {@code block-job-failed}, {@code block-job-timed-out}, {@code thaw-failed},
     *         {@code libvirt-unavailable}, {@code libvirt-error}
     * @throws QemuImgException     creating the delta or converting it failed
     * @throws InterruptedException the thread was interrupted; everything has been cleaned up
     */
    public LiveSnapshotResult snapshot(LiveSnapshotRequest request, MirrorProgress progress)
            throws HypervisorException, QemuImgException, InterruptedException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(progress, "progress");
        UUID uuid = request.instanceUuid();
        DiskBackend backend = request.disk().backend();
        if (backend != DiskBackend.QCOW2 && backend != DiskBackend.FLAT) {
            throw new HypervisorException(HypervisorException.UNSUPPORTED_DISK, "instance " + uuid
                    + ": a live snapshot copies qcow2 and flat file disks only, not " + backend.imagesType());
        }
        if (!inProgress.add(uuid)) {
            throw new HypervisorException(HypervisorException.INSTANCE_BUSY,
                    "instance " + uuid + " has a live snapshot in progress already");
        }
        try {
            checkQuiesce(request);
            MirrorMethod method = forcedMethod.isPresent() ? forcedMethod.get()
                    : MirrorMethod.forLibvirt(libvirt.libvirtVersion());
            LOG.infof("instance %s: beginning live snapshot process (%s of %s into %s)", uuid, method,
                    request.disk().targetDev(), request.delta());
            return run(request, method, progress);
        } finally {
            inProgress.remove(uuid);
        }
    }

    /** What one attempt changed, so the cleanup puts back exactly that. */
    private static final class Attempt {
        boolean deltaCreated;
        /** A copy was (maybe) started and not yet stopped. */
        boolean mirrorActive;
        boolean frozen;
        /** The persistent configuration while the domain is undefined for a rebase. */
        String undefinedXml;
    }

    private LiveSnapshotResult run(LiveSnapshotRequest r, MirrorMethod method, MirrorProgress progress)
            throws HypervisorException, QemuImgException, InterruptedException {
        UUID uuid = r.instanceUuid();
        String dev = r.disk().targetDev();
        Path delta = r.delta();
        Attempt a = new Attempt();
        Throwable failure = null;
        try {
            // nova's dev.abort_job() first: a job a crashed snapshot left would refuse the copy
            tolerant(uuid, "looking for a leftover block job", d -> {
                requireRunning(uuid, d);
                if (jobs.job(d, dev).isPresent()) {
                    LOG.warnf("instance %s: aborting the block job left on %s", uuid, dev);
                    abortIfPresent(d, dev);
                }
                return null;
            });
            a.deltaCreated = true;
            qemuImg.create(delta, DiskFormat.QCOW2, r.virtualSize(), r.backing());
            long started = System.nanoTime();
            startMirror(r, method, a);
            BlockJobs.Job synced = waitForSync(r, progress);
            a.frozen = freezeIfAsked(r);
            boolean quiesced = a.frozen;
            tolerant(uuid, "stopping the mirror", d -> {
                stopMirror(uuid, d, dev);
                return null;
            });
            a.mirrorActive = false;
            Duration mirrorTime = Duration.ofNanos(System.nanoTime() - started);
            thaw(uuid, a);
            redefine(uuid, r, a);
            long converting = System.nanoTime();
            qemuImg.convert(DiskSource.file(delta), DiskFormat.QCOW2, r.output(), r.outputFormat(), r.convert());
            Duration convertTime = Duration.ofNanos(System.nanoTime() - converting);
            LOG.infof("instance %s: live snapshot taken (%d bytes mirrored in %d ms%s, converted in %d ms)", uuid,
                    synced.end(), mirrorTime.toMillis(), quiesced ? ", quiesced" : "", convertTime.toMillis());
            return new LiveSnapshotResult(r.output(), quiesced, synced.end(), mirrorTime, convertTime);
        } catch (Throwable t) {
            failure = t;
            deleteQuietly(r.output(), t);
            throw t;
        } finally {
            cleanUp(r, a, failure);
        }
    }

    /** nova's quiesce pre-check, stricter: a required quiesce also needs an agent that answers now. */
    private void checkQuiesce(LiveSnapshotRequest r) throws HypervisorException {
        QuiescePolicy q = r.quiesce();
        if (!q.osRequireQuiesce()) {
            return;
        }
        UUID uuid = r.instanceUuid();
        if (!q.hwQemuGuestAgent()) {
            throw new HypervisorException(HypervisorException.QUIESCE_FAILED, "instance " + uuid
                    + ": the image requires a quiesced snapshot (os_require_quiesce) but does not enable the QEMU guest"
                    + " agent (hw_qemu_guest_agent); nothing was changed");
        }
        try {
            libvirt.withDomain(uuid, "pinging the guest agent", d ->
                    d.qemuAgentCommand("{\"execute\":\"guest-ping\"}", (int) settings.agentTimeout().toSeconds(), 0));
        } catch (HypervisorException e) {
            if (guestGone(e) || HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code())) {
                throw e;
            }
            throw new HypervisorException(HypervisorException.QUIESCE_FAILED, "instance " + uuid
                    + ": the image requires a quiesced snapshot (os_require_quiesce) but the guest agent does not answer ("
                    + e.getMessage() + "); nothing was changed", e);
        }
    }

    private void startMirror(LiveSnapshotRequest r, MirrorMethod method, Attempt a) throws HypervisorException {
        String dev = r.disk().targetDev();
        Path delta = r.delta();
        long bandwidth = settings.bandwidthBytesPerSecond();
        // not retried on a new connection: if libvirtd went away during the call the copy may or
        // may not run, and the cleanup's abort finds out
        onDomain(r.instanceUuid(), "starting the mirror", d -> {
            if (method == MirrorMethod.BLOCK_COPY) {
                a.mirrorActive = true;
                jobs.blockCopy(d, dev, BlockJobs.copyDestination(delta.toString()), bandwidth,
                        BlockJobs.COPY_SHALLOW | BlockJobs.COPY_REUSE_EXT | BlockJobs.COPY_TRANSIENT_JOB);
                return null;
            }
            if (d.isPersistent() == 1) {
                String xml = d.getXMLDesc(XML_SECURE | XML_INACTIVE);
                saveConfiguration(r, xml);
                d.undefine(MirrorMethod.undefineFlags(d.getConnect().getLibVersion()));
                a.undefinedXml = xml;
            }
            a.mirrorActive = true;
            jobs.blockRebase(d, dev, delta.toString(), BlockJobs.REBASE_COPY | BlockJobs.REBASE_REUSE_EXT
                    | BlockJobs.REBASE_SHALLOW | (bandwidth > 0 ? REBASE_BANDWIDTH_BYTES : 0), bandwidth);
            return null;
        });
    }

    /** For {@link #cleanupAfterCrash}: the configuration survives an agent that dies while it is undefined. */
    private static void saveConfiguration(LiveSnapshotRequest r, String xml) throws HypervisorException {
        Path saved = savedDomainOf(r.output());
        try {
            Files.writeString(saved, xml, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.setPosixFilePermissions(saved, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new HypervisorException(HypervisorException.BLOCK_JOB_FAILED, "instance " + r.instanceUuid()
                    + ": cannot keep the domain configuration in " + saved + " before undefining it: " + e, e);
        }
    }

    private record Poll(Optional<BlockJobs.Job> job, boolean ready) {
    }

    /** nova's {@code is_job_complete} loop, except that a job that disappears is a failure, not success. */
    private BlockJobs.Job waitForSync(LiveSnapshotRequest r, MirrorProgress progress)
            throws HypervisorException, InterruptedException {
        UUID uuid = r.instanceUuid();
        String dev = r.disk().targetDev();
        long deadline = System.nanoTime() + settings.mirrorTimeout().toNanos();
        while (true) {
            Poll poll = tolerant(uuid, "reading the block job", d -> {
                requireRunning(uuid, d);
                Optional<BlockJobs.Job> job;
                try {
                    job = jobs.job(d, dev);
                } catch (LibvirtCallException e) {
                    requireRunning(uuid, d);
                    throw e;
                }
                // libvirt holds cur below end until QEMU says the mirror is ready; the XML tells as well
                boolean ready = job.isPresent() && job.get().inSync()
                        && DomainXml.mirror(d.getXMLDesc(LIVE_XML), dev).map(DomainXml.Mirror::ready).orElse(true);
                return new Poll(job, ready);
            });
            if (poll.job().isEmpty()) {
                throw new HypervisorException(HypervisorException.BLOCK_JOB_FAILED, "instance " + uuid
                        + ": the block job copying " + dev + " into " + r.delta() + " disappeared before it was in sync:"
                        + " it was aborted outside the agent, or QEMU ended it on an error (writing the delta: is the"
                        + " snapshots directory full?)");
            }
            BlockJobs.Job job = poll.job().get();
            progress.progress(job.cur(), job.end());
            if (poll.ready()) {
                return job;
            }
            if (System.nanoTime() - deadline > 0) {
                throw new HypervisorException(HypervisorException.BLOCK_JOB_TIMED_OUT, "instance " + uuid
                        + ": the mirror of " + dev + " was not in sync after " + settings.mirrorTimeout() + " ("
                        + job.cur() + " of " + job.end() + " bytes)");
            }
            Thread.sleep(settings.pollInterval().toMillis());
        }
    }

    private static void requireRunning(UUID uuid, Domain d) throws LibvirtException, HypervisorException {
        if (d.isActive() == 0) {
            throw new HypervisorException(HypervisorException.INSTANCE_NOT_RUNNING,
                    "instance " + uuid + " stopped during its live snapshot");
        }
    }

    /** nova freezes once the mirror is in sync, to keep the freeze short; a failure only matters if required. */
    private boolean freezeIfAsked(LiveSnapshotRequest r) throws HypervisorException {
        if (!r.quiesce().hwQemuGuestAgent()) {
            return false;
        }
        UUID uuid = r.instanceUuid();
        try {
            int frozen = onDomain(uuid, "freezing the guest file systems", jobs::freeze);
            LOG.infof("instance %s: %d guest file systems frozen", uuid, frozen);
            return true;
        } catch (HypervisorException e) {
            if (guestGone(e) || HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code())) {
                throw e;
            }
            if (r.quiesce().osRequireQuiesce()) {
                throw new HypervisorException(HypervisorException.QUIESCE_FAILED, "instance " + uuid
                        + ": the image requires a quiesced snapshot (os_require_quiesce) and the freeze failed: "
                        + e.getMessage(), e);
            }
            LOG.infof("instance %s: skipping quiescing instance: %s", uuid, e.getMessage());
            return false;
        }
    }

    /** Tried twice; a guest left frozen is reported, never silently. */
    private void thaw(UUID uuid, Attempt a) throws HypervisorException {
        if (!a.frozen) {
            return;
        }
        a.frozen = false;
        try {
            tolerant(uuid, "thawing the guest file systems", jobs::thaw);
        } catch (HypervisorException first) {
            if (guestGone(first)) {
                return;
            }
            try {
                pauseUninterruptibly(settings.pollInterval());
                tolerant(uuid, "thawing the guest file systems", jobs::thaw);
            } catch (HypervisorException again) {
                if (guestGone(again)) {
                    return;
                }
                again.addSuppressed(first);
                LOG.errorf("instance %s: its file systems stay FROZEN: %s", uuid, again.getMessage());
                throw new HypervisorException(HypervisorException.THAW_FAILED, "instance " + uuid
                        + ": the guest file systems were frozen for the snapshot and cannot be thawed: "
                        + again.getMessage(), again);
            }
        }
    }

    /** nova's {@code write_instance_config(xml)} after a rebase-style copy. */
    private void redefine(UUID uuid, LiveSnapshotRequest r, Attempt a) throws HypervisorException {
        if (a.undefinedXml == null) {
            return;
        }
        String xml = a.undefinedXml;
        tolerantConnect("defining the domain of instance " + uuid + " again", () -> libvirt.define(
                "defining the domain of instance " + uuid + " again", xml));
        a.undefinedXml = null;
        deleteQuietly(savedDomainOf(r.output()), null);
    }

    /** Puts back what the attempt changed and is not back yet; adds what fails to {@code failure}. */
    private void cleanUp(LiveSnapshotRequest r, Attempt a, Throwable failure) {
        UUID uuid = r.instanceUuid();
        String dev = r.disk().targetDev();
        List<Exception> problems = new ArrayList<>();
        if (a.mirrorActive) {
            try {
                tolerant(uuid, "stopping the mirror after a failure", d -> {
                    if (d.isActive() == 1) {
                        abortOurs(d, dev, r.delta());
                    }
                    return null;
                });
                a.mirrorActive = false;
            } catch (HypervisorException e) {
                if (!guestGone(e)) {
                    LOG.errorf("instance %s: the block job on %s may still run: %s; cleanupAfterCrash stops it",
                            uuid, dev, e.getMessage());
                    problems.add(e);
                }
            }
        }
        try {
            thaw(uuid, a);
        } catch (HypervisorException e) {
            problems.add(e);
        }
        if (a.undefinedXml != null) {
            try {
                redefine(uuid, r, a);
            } catch (HypervisorException e) {
                LOG.errorf("instance %s is UNDEFINED: its configuration is kept in %s for cleanupAfterCrash: %s",
                        uuid, savedDomainOf(r.output()), e.getMessage());
                problems.add(e);
            }
        }
        if (a.deltaCreated) {
            try {
                Files.deleteIfExists(r.delta());
            } catch (IOException e) {
                LOG.warnf("instance %s: cannot delete the delta %s: %s", uuid, r.delta(), e);
                problems.add(e);
            }
        }
        if (failure != null) {
            problems.forEach(failure::addSuppressed);
        }
    }

    /**
     * For recovery after the agent died during a live snapshot whose scratch directory was
     * {@code scratchDirectory}: stops every block copy of the instance that writes into that
     * directory, defines the domain again from the configuration a rebase-style copy saved there
     * (if the domain is not persistent, or gone), and deletes stale deltas. Run it before the
     * scratch directory is swept. Safe to repeat; a missing domain or directory is no error.
     *
     * @throws HypervisorException libvirtd cannot be reached (the deltas are deleted anyway, the
     *         saved configuration is kept) or refused to stop a job
     */
    public LiveSnapshotCleanup cleanupAfterCrash(UUID instanceUuid, Path scratchDirectory) throws HypervisorException {
        Objects.requireNonNull(instanceUuid, "instanceUuid");
        Path dir = scratchDirectory.toAbsolutePath().normalize();
        List<Path> saved = filesEndingWith(dir, SAVED_DOMAIN_SUFFIX);
        List<Path> deltas = filesEndingWith(dir, DELTA_SUFFIX);
        List<String> aborted = new ArrayList<>();
        List<Path> deleted = new ArrayList<>();
        boolean needsDefine;
        try {
            needsDefine = tolerant(instanceUuid, "looking for the jobs of a crashed live snapshot", d -> {
                aborted.clear();
                if (d.isActive() == 1) {
                    for (DomainXml.Mirror m : DomainXml.mirrors(d.getXMLDesc(LIVE_XML))) {
                        if (m.file().map(f -> Path.of(f).normalize().startsWith(dir)).orElse(false)) {
                            LOG.warnf("instance %s: aborting the block job a crashed live snapshot left on %s (into %s)",
                                    instanceUuid, m.targetDev(), m.file().get());
                            abortIfPresent(d, m.targetDev());
                            aborted.add(m.targetDev());
                        }
                    }
                }
                return !saved.isEmpty() && d.isPersistent() == 0;
            });
        } catch (HypervisorException e) {
            if (!HypervisorException.INSTANCE_NOT_FOUND.equals(e.code())) {
                deleteAll(deltas, deleted);
                throw e;
            }
            // a transient domain that stopped while undefined is gone entirely: its saved configuration brings it back
            needsDefine = !saved.isEmpty();
        }
        boolean redefined = false;
        if (needsDefine) {
            String xml;
            try {
                xml = Files.readString(saved.get(saved.size() - 1));
            } catch (IOException e) {
                throw new HypervisorException(HypervisorException.LIBVIRT_ERROR, "instance " + instanceUuid
                        + ": cannot read the saved configuration " + saved.get(saved.size() - 1) + ": " + e, e);
            }
            tolerantConnect("defining the domain of instance " + instanceUuid + " again after a crash",
                    () -> libvirt.define("defining the domain of instance " + instanceUuid + " again after a crash", xml));
            LOG.warnf("instance %s: defined again from the configuration a crashed live snapshot saved", instanceUuid);
            redefined = true;
        }
        deleteAll(deltas, deleted);
        deleteAll(saved, deleted);
        return new LiveSnapshotCleanup(List.copyOf(aborted), redefined, List.copyOf(deleted));
    }

    /**
     * Stops the in-sync mirror without pivot; the delta is then the disk at this moment. A job
     * that is gone already leaves a delta of unknown state: a failure.
     */
    private void stopMirror(UUID uuid, Domain d, String dev) throws HypervisorException {
        try {
            jobs.abort(d, dev);
        } catch (LibvirtCallException e) {
            if (jobs.job(d, dev).isPresent()) {
                throw e;
            }
            throw new HypervisorException(HypervisorException.BLOCK_JOB_FAILED, "instance " + uuid
                    + ": the block job on " + dev + " disappeared before the agent stopped it: " + e.getMessage(), e);
        }
    }

    /** Aborts the disk's job; one that ended in the meantime is no error (nova ignores "no active block job"). */
    private void abortIfPresent(Domain d, String dev) throws LibvirtCallException {
        try {
            jobs.abort(d, dev);
        } catch (LibvirtCallException e) {
            if (jobs.job(d, dev).isPresent()) {
                throw e;
            }
        }
    }

    /** Aborts the disk's job only if it is a copy into our delta: never someone else's. */
    private void abortOurs(Domain d, String dev, Path delta) throws LibvirtException, HypervisorException {
        Optional<DomainXml.Mirror> mirror = DomainXml.mirror(d.getXMLDesc(LIVE_XML), dev);
        if (mirror.isPresent() && mirror.get().file().map(f -> !Path.of(f).equals(delta)).orElse(false)) {
            LOG.warnf("the block job on %s copies into %s, not into this snapshot's delta: left alone", dev,
                    mirror.get().file().get());
            return;
        }
        if (jobs.job(d, dev).isPresent()) {
            abortIfPresent(d, dev);
        }
    }

    private static boolean guestGone(HypervisorException e) {
        return HypervisorException.INSTANCE_NOT_FOUND.equals(e.code()) || HypervisorException.INSTANCE_NOT_RUNNING.equals(e.code());
    }

    @FunctionalInterface
    private interface ConnectionCall {
        void call() throws HypervisorException;
    }

    /**
     * A call on the domain that may be repeated: while libvirtd is away (a restart) it is tried
     * again on a new connection, for up to the reconnect grace. An interrupt during the wait is
     * kept for the caller, so cleanups run to the end.
     */
    private <T> T tolerant(UUID uuid, String what, LibvirtConnection.DomainCall<T> call) throws HypervisorException {
        long deadline = System.nanoTime() + settings.reconnectGrace().toNanos();
        while (true) {
            try {
                return onDomain(uuid, what, call);
            } catch (HypervisorException e) {
                if (!HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code()) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LOG.debugf("%s of instance %s: %s; trying again", what, uuid, e.getMessage());
                pauseUninterruptibly(settings.pollInterval());
            }
        }
    }

    /** {@link LibvirtConnection#withDomain}, with the instance and the operation named in JNA-call failures too. */
    private <T> T onDomain(UUID uuid, String what, LibvirtConnection.DomainCall<T> call) throws HypervisorException {
        try {
            return libvirt.withDomain(uuid, what, call);
        } catch (LibvirtCallException e) {
            throw new HypervisorException(e.code(), what + " of instance " + uuid + " failed on libvirtd at "
                    + libvirt.uri() + ": " + e.getMessage(), e);
        }
    }

    private void tolerantConnect(String what, ConnectionCall call) throws HypervisorException {
        long deadline = System.nanoTime() + settings.reconnectGrace().toNanos();
        while (true) {
            try {
                call.call();
                return;
            } catch (HypervisorException e) {
                if (!HypervisorException.LIBVIRT_UNAVAILABLE.equals(e.code()) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                LOG.debugf("%s: %s; trying again", what, e.getMessage());
                pauseUninterruptibly(settings.pollInterval());
            }
        }
    }

    private static void pauseUninterruptibly(Duration d) {
        boolean interrupted = false;
        long end = System.nanoTime() + d.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            try {
                Thread.sleep(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<Path> filesEndingWith(Path dir, String suffix) throws HypervisorException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + suffix)) {
            files.forEach(found::add);
        } catch (NoSuchFileException e) {
            // nothing was left
        } catch (IOException e) {
            throw new HypervisorException(HypervisorException.LIBVIRT_ERROR, "cannot list " + dir + ": " + e, e);
        }
        found.sort(null);
        return found;
    }

    private static void deleteAll(List<Path> files, List<Path> deleted) {
        for (Path f : files) {
            try {
                if (Files.deleteIfExists(f)) {
                    deleted.add(f);
                }
            } catch (IOException e) {
                LOG.warnf("cannot delete %s: %s", f, e);
            }
        }
    }

    private static void deleteQuietly(Path file, Throwable failure) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            if (failure != null) {
                failure.addSuppressed(e);
            } else {
                LOG.warnf("cannot delete %s: %s", file, e);
            }
        }
    }
}
