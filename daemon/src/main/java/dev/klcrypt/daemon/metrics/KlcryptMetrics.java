package dev.klcrypt.daemon.metrics;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.fuse.FuseOp;
import dev.klcrypt.daemon.fuse.FuseOpListener;
import dev.klcrypt.keylocker.backup.BackupRefusedException;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.HandleRejectedException;
import dev.klcrypt.keylocker.cpu.Instruction;
import dev.klcrypt.keylocker.cpu.InstructionCounters;
import dev.klcrypt.keylocker.cpu.KeySource;
import dev.klcrypt.keylocker.cpu.PlatformStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * klcrypt's metrics in one Micrometer {@link PrometheusMeterRegistry}, behind typed methods so
 * every caller spells names and tags the same way. {@link #scrape()} gives the Prometheus text
 * served at {@code GET /metrics}.
 *
 * <p>Labels carry only volume names (validated by the table), op names, errno names, key-source
 * names, reasons and fault kinds: never key material, passphrases or handle bytes. Every method is
 * thread-safe and cheap enough for the FUSE threads. The names are listed in {@code
 * docs/OPERATIONS.md}.
 */
public final class KlcryptMetrics {
  /** The content type of {@link #scrape()}: Prometheus text exposition format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** The {@code volume} label of requests on the mount's root directory rather than a volume. */
  public static final String ROOT_VOLUME_LABEL = "(root)";

  private final PrometheusMeterRegistry registry;
  private final Map<String, VolumeMeters> volumes = new ConcurrentHashMap<>();
  private final AtomicInteger tableProblems = new AtomicInteger();
  private volatile java.util.function.IntSupplier tableProblemsSource = tableProblems::get;
  // Micrometer holds function meters' state objects weakly; these keep the suppliers alive
  private final List<Object> retained = new java.util.concurrent.CopyOnWriteArrayList<>();

  public KlcryptMetrics() {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Gauge.builder("klcrypt.table.problems", this, m -> m.tableProblemsSource.getAsInt())
        .description("Lines of the volume table refused at the last (re)load")
        .register(registry);
  }

  /** The underlying registry, for binders (JVM metrics) or tests. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** All meters in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). */
  public String scrape() {
    return registry.scrape();
  }

  // ---- volumes ----

  /** The meters of volume {@code name}, created on first use. */
  public VolumeMeters volume(String name) {
    return volumes.computeIfAbsent(name, n -> new VolumeMeters(registry, n));
  }

  /** Removes every meter labelled with this volume (call when the volume is closed). */
  public void removeVolume(String name) {
    volumes.remove(name);
    List<Meter> meters =
        registry.getMeters().stream().filter(m -> name.equals(m.getId().getTag("volume"))).toList();
    meters.forEach(registry::remove);
  }

  /** A FUSE request on {@code volume} (or {@link #ROOT_VOLUME_LABEL}) failed with {@code errno}. */
  public void fuseError(String volume, String op, Errno errno) {
    Counter.builder("klcrypt.fuse.errors")
        .description("FUSE requests answered with an error, by volume, op and errno")
        .tags(Tags.of("volume", volume, "op", op, "errno", errno.name()))
        .register(registry)
        .increment();
  }

  /**
   * Records {@link FuseOp}s as volume I/O and errors: install on the daemon's {@code FuseGuard}.
   */
  public FuseOpListener fuseListener() {
    return new FuseOpListener() {
      @Override
      public void completed(FuseOp op, String volume, long result, long nanos) {
        if (volume.isEmpty()) {
          return;
        }
        switch (op) {
          case READ -> volume(volume).read(result, nanos);
          case WRITE -> volume(volume).write(result, nanos);
          case FLUSH, FSYNC -> volume(volume).flush(nanos);
          case FALLOCATE -> volume(volume).discard(0, nanos);
          default -> {
            // metadata ops (getattr, open, ...) are not volume I/O
          }
        }
      }

      @Override
      public void failed(FuseOp op, String volume, Errno errno, long nanos) {
        fuseError(volume.isEmpty() ? ROOT_VOLUME_LABEL : volume, op.label(), errno);
      }
    };
  }

  /** Exposes the number of open volumes, read at scrape time. Call once. */
  public void openVolumes(IntSupplier count) {
    retained.add(count);
    Gauge.builder("klcrypt.volumes.open", count, c -> c.getAsInt())
        .description("Volumes currently open")
        .register(registry);
  }

  // ---- Key Locker and the emulated platform ----

  /**
   * Exposes the emulated CPU's own counters and the platform's state, read at scrape time so the
   * crypto path pays nothing: Key Locker instructions by kind, LOADIWKEY by key source, handle
   * rejections by reason, IWKey backup and restore attempts and failures, emulated cycles, and the
   * suspended, soft-disabled and boot-number gauges. Call once.
   */
  public void bindPlatform(EmulatedPlatform platform) {
    bindPlatform(platform::counters, platform::status);
  }

  /** {@link #bindPlatform(EmulatedPlatform)} over suppliers of the same two views. */
  public void bindPlatform(
      Supplier<InstructionCounters.Snapshot> counters, Supplier<PlatformStatus> status) {
    retained.add(counters);
    retained.add(status);
    for (Instruction instruction : Instruction.values()) {
      FunctionCounter.builder(
              "klcrypt.aeskl.instructions", counters, c -> c.get().count(instruction))
          .description("Key Locker instructions executed by the emulated CPU, by kind")
          .tag("kind", label(instruction))
          .register(registry);
    }
    for (KeySource source : KeySource.values()) {
      FunctionCounter.builder(
              "klcrypt.keylocker.loadiwkey",
              counters,
              c -> c.get().loadIwKeyBySource().getOrDefault(source, 0L))
          .description("LOADIWKEY executions, by key source")
          .tag("source", label(source))
          .register(registry);
    }
    for (HandleRejectedException.Reason reason : HandleRejectedException.Reason.values()) {
      FunctionCounter.builder(
              "klcrypt.keylocker.handle.failures",
              counters,
              c -> c.get().handleRejections().getOrDefault(reason, 0L))
          .description("AES-KL instructions that refused their key handle (ZF=1), by reason")
          .tag("reason", label(reason))
          .register(registry);
    }
    cpuCounter(
        "klcrypt.iwkey.backup.attempts",
        "IWKey backups to the platform",
        counters,
        InstructionCounters.Snapshot::backupAttempts);
    cpuCounter(
        "klcrypt.iwkey.backup.failures",
        "IWKey backups that failed",
        counters,
        InstructionCounters.Snapshot::backupFailures);
    cpuCounter(
        "klcrypt.iwkey.restore.attempts",
        "IWKey restores from the platform",
        counters,
        InstructionCounters.Snapshot::restoreAttempts);
    cpuCounter(
        "klcrypt.iwkey.restore.failures",
        "IWKey restores that failed (Key Locker is then soft-disabled)",
        counters,
        InstructionCounters.Snapshot::restoreFailures);
    cpuCounter(
        "klcrypt.keylocker.emulated.cycles",
        "Cycles the spec's cost figures charge for LOADIWKEY and platform copies",
        counters,
        InstructionCounters.Snapshot::emulatedCycles);
    Gauge.builder("klcrypt.platform.suspended", status, s -> s.get().suspended() ? 1 : 0)
        .description("1 while the platform is suspended (S3/S4) and volumes are quiesced, else 0")
        .register(registry);
    Gauge.builder("klcrypt.keylocker.disabled", status, s -> s.get().softDisabled() ? 1 : 0)
        .description(
            "1 after a failed IWKey restore soft-disabled Key Locker (requests fail with ENODEV)")
        .register(registry);
    Gauge.builder("klcrypt.platform.boot", status, s -> s.get().bootNumber())
        .description("The emulated platform's boot number (a reboot loads a fresh IWKey)")
        .register(registry);
  }

  private void cpuCounter(
      String name,
      String description,
      Supplier<InstructionCounters.Snapshot> counters,
      ToLongFunction<InstructionCounters.Snapshot> value) {
    FunctionCounter.builder(name, counters, c -> value.applyAsLong(c.get()))
        .description(description)
        .register(registry);
  }

  private static String label(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * An IWKey restore was refused for {@code reason} (from the resume's {@code RestoreOutcome}); the
   * CPU's counters give the totals, this counter gives the why.
   */
  public void restoreRefused(BackupRefusedException.Reason reason) {
    Counter.builder("klcrypt.iwkey.restore.refusals")
        .description("IWKey restores refused, by the reason the platform gave")
        .tag("reason", label(reason))
        .register(registry)
        .increment();
  }

  // ---- table and faults ----

  /** The number of refused table lines at the last (re)load. */
  public void tableProblems(int count) {
    tableProblems.set(count);
    tableProblemsSource = tableProblems::get;
  }

  /** Reads the number of refused table lines from {@code source} at every scrape. */
  public void tableProblems(java.util.function.IntSupplier source) {
    tableProblemsSource = java.util.Objects.requireNonNull(source, "source");
  }

  /**
   * The fault-injection harness injected a fault of this kind ({@code eio}, {@code
   * restore-corrupt}, ...).
   */
  public void faultInjected(String kind) {
    Counter.builder("klcrypt.faults.injected")
        .description("Faults injected by the fault harness, by kind")
        .tag("kind", kind)
        .register(registry)
        .increment();
  }
}
