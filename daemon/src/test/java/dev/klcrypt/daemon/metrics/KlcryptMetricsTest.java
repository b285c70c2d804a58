package dev.klcrypt.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.fuse.FuseOp;
import dev.klcrypt.daemon.fuse.FuseOpListener;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.HandleRejectedException;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.cpu.PlatformFault;
import dev.klcrypt.keylocker.cpu.RestoreOutcome;
import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KlcryptMetricsTest {
  private final KlcryptMetrics metrics = new KlcryptMetrics();

  private static Map<String, String> io(String volume, String op) {
    return Map.of("volume", volume, "op", op);
  }

  @Test
  void volumeCountersAndHistogramsMoveWithIoThroughTheFuseListener() {
    FuseOpListener fuse = metrics.fuseListener();
    PrometheusText before = PrometheusText.parse(metrics.scrape());
    assertThat(before.find("klcrypt_volume_ops_total", io("data", "read"))).isEmpty();

    fuse.completed(FuseOp.READ, "data", 4096, 80_000); // 80 us
    fuse.completed(FuseOp.READ, "data", 65536, 3_000_000); // 3 ms
    fuse.completed(FuseOp.WRITE, "data", 512, 400_000);
    fuse.completed(FuseOp.FSYNC, "data", 0, 20_000_000);
    fuse.completed(FuseOp.GETATTR, "data", 0, 1_000); // metadata: not volume I/O
    fuse.completed(FuseOp.READDIR, "", 0, 1_000);
    fuse.failed(FuseOp.WRITE, "data", Errno.ENODEV, 5_000);
    fuse.failed(FuseOp.WRITE, "data", Errno.ENODEV, 5_000);
    fuse.failed(FuseOp.READ, "data", Errno.EIO, 5_000);
    fuse.failed(FuseOp.GETATTR, "", Errno.ENOENT, 5_000);

    PrometheusText after = PrometheusText.parse(metrics.scrape());
    assertThat(after.type("klcrypt_volume_ops_total")).isEqualTo("counter");
    assertThat(after.type("klcrypt_volume_latency_seconds")).isEqualTo("histogram");
    assertThat(after.value("klcrypt_volume_ops_total", io("data", "read"))).isEqualTo(2);
    assertThat(after.value("klcrypt_volume_io_bytes_total", io("data", "read"))).isEqualTo(69632);
    assertThat(after.value("klcrypt_volume_ops_total", io("data", "write"))).isEqualTo(1);
    assertThat(after.value("klcrypt_volume_io_bytes_total", io("data", "write"))).isEqualTo(512);
    assertThat(after.value("klcrypt_volume_ops_total", io("data", "flush"))).isEqualTo(1);
    assertThat(after.find("klcrypt_volume_io_bytes_total", io("data", "flush"))).isEmpty();
    assertThat(after.value("klcrypt_volume_latency_seconds_count", io("data", "read")))
        .isEqualTo(2);
    assertThat(after.value("klcrypt_volume_latency_seconds_sum", io("data", "read")))
        .isCloseTo(0.00308, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(bucket(after, "read", "1.0E-4")).isEqualTo(1); // the 80 us read
    assertThat(bucket(after, "read", "0.0025")).isEqualTo(1);
    assertThat(bucket(after, "read", "0.005")).isEqualTo(2); // + the 3 ms read
    assertThat(bucket(after, "flush", "0.01")).isZero();
    assertThat(bucket(after, "flush", "0.025")).isEqualTo(1);

    assertThat(
            after.value(
                "klcrypt_fuse_errors_total",
                Map.of("volume", "data", "op", "write", "errno", "ENODEV")))
        .isEqualTo(2);
    assertThat(
            after.value(
                "klcrypt_fuse_errors_total",
                Map.of("volume", "data", "op", "read", "errno", "EIO")))
        .isEqualTo(1);
    assertThat(
            after.value(
                "klcrypt_fuse_errors_total",
                Map.of(
                    "volume",
                    KlcryptMetrics.ROOT_VOLUME_LABEL,
                    "op",
                    "getattr",
                    "errno",
                    "ENOENT")))
        .isEqualTo(1);
    assertThat(after.samples())
        .noneMatch(
            s -> s.name().startsWith("klcrypt_volume") && "".equals(s.labels().get("volume")));
  }

  private static double bucket(PrometheusText text, String op, String le) {
    return text.value(
        "klcrypt_volume_latency_seconds_bucket", Map.of("volume", "data", "op", op, "le", le));
  }

  @Test
  void keyLockerCountersAndPlatformStateComeFromARealEmulatedPlatform(@TempDir Path state) {
    AtomicInteger open = new AtomicInteger(2);
    metrics.openVolumes(open::get);
    metrics.tableProblems(3);
    metrics.faultInjected("restore-corrupt");
    try (EmulatedPlatform platform = EmulatedPlatform.boot(PlatformConfig.defaults(state))) {
      metrics.bindPlatform(platform);
      PrometheusText booted = PrometheusText.parse(metrics.scrape());
      assertThat(booted.value("klcrypt_platform_boot", Map.of())).isEqualTo(1);
      assertThat(booted.value("klcrypt_keylocker_loadiwkey_total", Map.of("source", "software")))
          .isEqualTo(1);
      assertThat(booted.value("klcrypt_iwkey_backup_attempts_total", Map.of())).isEqualTo(1);
      assertThat(booted.value("klcrypt_aeskl_instructions_total", Map.of("kind", "aesenc256kl")))
          .isZero();
      assertThat(booted.value("klcrypt_volumes_open", Map.of())).isEqualTo(2);
      assertThat(booted.value("klcrypt_table_problems", Map.of())).isEqualTo(3);
      assertThat(booted.value("klcrypt_faults_injected_total", Map.of("kind", "restore-corrupt")))
          .isEqualTo(1);

      KeyLockerCpu cpu = platform.cpu();
      KeyHandle handle;
      try (ClearKey key = ClearKey.allocate(32)) {
        handle = cpu.encodeKey256(Restrictions.NONE, key);
      }
      byte[] block = new byte[16];
      for (int i = 0; i < 5; i++) {
        cpu.aesenc256kl(block, handle);
      }
      cpu.aesdecwide256kl(new byte[128], handle);
      platform.replaceIwKeyWithoutBackup(); // the handle now fails authentication (ZF=1)
      assertThatThrownBy(() -> cpu.aesenc256kl(block, handle))
          .isInstanceOf(HandleRejectedException.class);
      assertThat(platform.suspend()).isTrue();
      PrometheusText suspended = PrometheusText.parse(metrics.scrape());
      assertThat(suspended.value("klcrypt_platform_suspended", Map.of())).isEqualTo(1);

      platform.arm(PlatformFault.RESTORE_CORRUPT);
      RestoreOutcome outcome = platform.resume();
      assertThat(outcome.restored()).isFalse();
      metrics.restoreRefused(outcome.reason());

      PrometheusText after = PrometheusText.parse(metrics.scrape());
      assertThat(after.value("klcrypt_aeskl_instructions_total", Map.of("kind", "encodekey256")))
          .isEqualTo(1);
      assertThat(after.value("klcrypt_aeskl_instructions_total", Map.of("kind", "aesenc256kl")))
          .isEqualTo(5);
      assertThat(after.value("klcrypt_aeskl_instructions_total", Map.of("kind", "aesdecwide256kl")))
          .isEqualTo(1);
      assertThat(
              after.value(
                  "klcrypt_keylocker_handle_failures_total", Map.of("reason", "authentication")))
          .isEqualTo(1);
      assertThat(after.value("klcrypt_keylocker_loadiwkey_total", Map.of("source", "software")))
          .isEqualTo(2);
      assertThat(after.value("klcrypt_iwkey_restore_attempts_total", Map.of())).isEqualTo(1);
      assertThat(after.value("klcrypt_iwkey_restore_failures_total", Map.of())).isEqualTo(1);
      assertThat(after.value("klcrypt_iwkey_restore_refusals_total", Map.of("reason", "corrupted")))
          .isEqualTo(1);
      assertThat(after.value("klcrypt_platform_suspended", Map.of())).isZero();
      assertThat(after.value("klcrypt_keylocker_disabled", Map.of())).isEqualTo(1);
      assertThat(after.value("klcrypt_keylocker_emulated_cycles_total", Map.of())).isPositive();

      platform.reboot();
      open.set(0);
      PrometheusText rebooted = PrometheusText.parse(metrics.scrape());
      assertThat(rebooted.value("klcrypt_keylocker_disabled", Map.of())).isZero();
      assertThat(rebooted.value("klcrypt_platform_boot", Map.of())).isEqualTo(2);
      assertThat(rebooted.value("klcrypt_volumes_open", Map.of())).isZero();
    }
  }

  @Test
  void everyExposedMetricFamilyIsDocumentedInOperationsMd(@TempDir Path state) throws Exception {
    String doc = java.nio.file.Files.readString(Path.of("..", "docs", "OPERATIONS.md"));
    try (EmulatedPlatform platform = EmulatedPlatform.boot(PlatformConfig.defaults(state))) {
      metrics.bindPlatform(platform);
      metrics.openVolumes(() -> 1);
      metrics.fuseListener().completed(FuseOp.READ, "v", 512, 1000);
      metrics.fuseListener().failed(FuseOp.READ, "v", Errno.EIO, 1000);
      metrics.restoreRefused(dev.klcrypt.keylocker.backup.BackupRefusedException.Reason.MISSING);
      metrics.faultInjected("eio");
      PrometheusText text = PrometheusText.parse(metrics.scrape());
      java.util.Set<String> families = new java.util.TreeSet<>();
      for (PrometheusText.Sample s : text.samples()) {
        families.add(s.name().replaceAll("_(bucket|count|sum)$", ""));
      }
      assertThat(families).hasSizeGreaterThan(15);
      for (String family : families) {
        assertThat(doc).as("docs/OPERATIONS.md documents %s", family).contains("`" + family + "`");
      }
    }
  }

  @Test
  void functionMetersSurviveGarbageCollectionOfTheCallersLambdas(@TempDir Path state) {
    try (EmulatedPlatform platform = EmulatedPlatform.boot(PlatformConfig.defaults(state))) {
      int[] open = {4};
      metrics.openVolumes(() -> open[0]); // the caller keeps no reference to either lambda
      metrics.bindPlatform(() -> platform.counters(), () -> platform.status());
      for (int i = 0; i < 3; i++) {
        System.gc(); // Micrometer holds function meters' state weakly
      }
      PrometheusText text = PrometheusText.parse(metrics.scrape());
      assertThat(text.value("klcrypt_volumes_open", Map.of())).isEqualTo(4);
      assertThat(text.value("klcrypt_platform_boot", Map.of())).isEqualTo(1);
      assertThat(text.value("klcrypt_keylocker_loadiwkey_total", Map.of("source", "software")))
          .isEqualTo(1);
    }
  }

  @Test
  void closingAVolumeRemovesItsSeriesButNotOthers() {
    metrics.volume("a").write(4096, 1000);
    metrics.volume("b").write(4096, 1000);
    metrics.fuseError("a", "read", Errno.EIO);
    metrics.removeVolume("a");

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.samples()).noneMatch(s -> "a".equals(s.labels().get("volume")));
    assertThat(text.value("klcrypt_volume_ops_total", io("b", "write"))).isEqualTo(1);

    metrics.volume("a").read(512, 1000); // reopened under the same name: counts start again
    assertThat(
            PrometheusText.parse(metrics.scrape())
                .value("klcrypt_volume_ops_total", io("a", "read")))
        .isEqualTo(1);
  }

  @Test
  void theStrictParserRejectsBrokenExpositions() {
    assertThatThrownBy(() -> PrometheusText.parse("x_total 1\n"))
        .hasMessageContaining("without a preceding TYPE");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE x counter\nx 1"))
        .hasMessageContaining("newline");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n"))
        .hasMessageContaining("duplicate series");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx{a=1} 1\n"))
        .hasMessageContaining("not quoted");
    assertThatThrownBy(() -> PrometheusText.parse("# TYPE x gauge\nx one\n"))
        .hasMessageContaining("not a number");
    assertThatThrownBy(
            () ->
                PrometheusText.parse(
                    "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1\n"))
        .hasMessageContaining("buckets not increasing");
  }
}
