package dev.klcrypt.daemon.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one open volume, created once and reused on every request (the FUSE threads must
 * not look meters up by name). Obtain with {@link KlcryptMetrics#volume(String)}.
 */
public final class VolumeMeters {
  /** The latency histogram's bucket bounds: from a cached 4 KiB sector to a slow disk flush. */
  static final Duration[] LATENCY_BUCKETS = {
    Duration.ofNanos(50_000),
    Duration.ofNanos(100_000),
    Duration.ofNanos(250_000),
    Duration.ofNanos(500_000),
    Duration.ofMillis(1),
    Duration.ofNanos(2_500_000),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(1000),
  };

  private final String name;
  private final Io read;
  private final Io write;
  private final Io flush;
  private final Io discard;

  VolumeMeters(MeterRegistry registry, String name) {
    this.name = name;
    this.read = new Io(registry, name, "read", true);
    this.write = new Io(registry, name, "write", true);
    this.flush = new Io(registry, name, "flush", false);
    this.discard = new Io(registry, name, "discard", true);
  }

  /** The volume name these meters carry as the {@code volume} tag. */
  public String name() {
    return name;
  }

  /** A completed read of {@code bytes} that took {@code nanos}. */
  public void read(long bytes, long nanos) {
    read.record(bytes, nanos);
  }

  /** A completed write of {@code bytes} that took {@code nanos}. */
  public void write(long bytes, long nanos) {
    write.record(bytes, nanos);
  }

  /** A completed flush (fsync of the backing file). */
  public void flush(long nanos) {
    flush.record(0, nanos);
  }

  /** A completed discard of {@code bytes} (hole punched in the image). */
  public void discard(long bytes, long nanos) {
    discard.record(bytes, nanos);
  }

  /** Ops, bytes and latency of one kind of request. */
  private static final class Io {
    private final Counter ops;
    private final Counter bytes;
    private final Timer latency;

    Io(MeterRegistry registry, String volume, String op, boolean movesBytes) {
      ops =
          Counter.builder("klcrypt.volume.ops")
              .description("Completed requests per volume and kind")
              .tag("volume", volume)
              .tag("op", op)
              .register(registry);
      bytes =
          movesBytes
              ? Counter.builder("klcrypt.volume.io")
                  .baseUnit("bytes")
                  .description("Bytes moved per volume and kind (plaintext side)")
                  .tag("volume", volume)
                  .tag("op", op)
                  .register(registry)
              : null;
      latency =
          Timer.builder("klcrypt.volume.latency")
              .description("Latency of completed requests per volume and kind")
              .tag("volume", volume)
              .tag("op", op)
              .serviceLevelObjectives(LATENCY_BUCKETS)
              .register(registry);
    }

    void record(long byteCount, long nanos) {
      ops.increment();
      if (bytes != null && byteCount > 0) {
        bytes.increment(byteCount);
      }
      latency.record(nanos, TimeUnit.NANOSECONDS);
    }
  }
}
