package dev.klcrypt.daemon.metrics;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.fuse.FuseOp;
import dev.klcrypt.daemon.fuse.FuseOpListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

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
  private final AtomicInteger suspended = new AtomicInteger();
  private final AtomicInteger keyLockerDisabled = new AtomicInteger();
  private final AtomicInteger tableProblems = new AtomicInteger();

  public KlcryptMetrics() {
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Gauge.builder("klcrypt.platform.suspended", suspended, AtomicInteger::get)
        .description("1 while volumes are quiesced for S3/S4 suspend, else 0")
        .register(registry);
    Gauge.builder("klcrypt.keylocker.disabled", keyLockerDisabled, AtomicInteger::get)
        .description(
            "1 after a failed IWKey restore soft-disabled Key Locker (requests fail with ENODEV)")
        .register(registry);
    Gauge.builder("klcrypt.table.problems", tableProblems, AtomicInteger::get)
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

  // ---- Key Locker ----

  /**
   * Exposes the emulated CPU's count of AES-KL instructions of one kind ({@code aesenc128kl},
   * {@code aesdecwide256kl}, {@code encodekey256}, ...) as {@code
   * klcrypt_aeskl_instructions_total{kind}}. The CPU keeps the counts; the supplier is read at
   * scrape time, so the crypto path pays nothing. Register each kind once.
   */
  public void aesKlInstructions(String kind, LongSupplier count) {
    FunctionCounter.builder("klcrypt.aeskl.instructions", count, c -> (double) c.getAsLong())
        .description("AES-KL instructions executed by the emulated CPU, by kind")
        .tag("kind", kind)
        .register(registry);
  }

  /**
   * An AES-KL instruction refused a handle: {@code reason} is e.g. {@code rejected} (ZF=1: tampered
   * handle, restriction, other IWKey), {@code unavailable} (Key Locker disabled) or {@code fault}
   * (#GP/#UD).
   */
  public void handleFailure(String reason) {
    Counter.builder("klcrypt.keylocker.handle.failures")
        .description("AES-KL instructions that refused their key handle, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  /** A LOADIWKEY ran with this key source ({@code software}, {@code hardware-random}). */
  public void loadIwKey(String keySource) {
    Counter.builder("klcrypt.keylocker.loadiwkey")
        .description("LOADIWKEY executions, by key source")
        .tag("source", keySource)
        .register(registry)
        .increment();
  }

  /** An IWKey backup to the platform (suspend) was attempted. */
  public void backupAttempt() {
    attempts("backup");
  }

  /** An IWKey backup failed for {@code reason}. */
  public void backupFailure(String reason) {
    failures("backup", reason);
  }

  /** An IWKey restore from the platform (resume) was attempted. */
  public void restoreAttempt() {
    attempts("restore");
  }

  /**
   * An IWKey restore failed for {@code reason} ({@code missing}, {@code corrupt}, {@code
   * wrong-boot}, {@code unsealable}, ...); Key Locker is now soft-disabled, so also call {@link
   * #keyLockerDisabled(boolean)}.
   */
  public void restoreFailure(String reason) {
    failures("restore", reason);
  }

  private void attempts(String action) {
    Counter.builder("klcrypt.iwkey." + action + ".attempts")
        .description("IWKey " + action + " attempts")
        .register(registry)
        .increment();
  }

  private void failures(String action, String reason) {
    Counter.builder("klcrypt.iwkey." + action + ".failures")
        .description("IWKey " + action + " failures, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
  }

  // ---- platform, table, faults ----

  /** Volumes are quiesced for suspend ({@code true}) or running again ({@code false}). */
  public void suspended(boolean value) {
    suspended.set(value ? 1 : 0);
  }

  /**
   * Key Locker is soft-disabled after a failed restore ({@code true}), or usable again after a
   * reboot.
   */
  public void keyLockerDisabled(boolean value) {
    keyLockerDisabled.set(value ? 1 : 0);
  }

  /** The number of refused table lines at the last (re)load. */
  public void tableProblems(int count) {
    tableProblems.set(count);
  }

  /** Exposes the number of open volumes, read at scrape time. Register once. */
  public void openVolumes(IntSupplier count) {
    Gauge.builder("klcrypt.volumes.open", count, c -> c.getAsInt())
        .description("Volumes currently open")
        .register(registry);
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
