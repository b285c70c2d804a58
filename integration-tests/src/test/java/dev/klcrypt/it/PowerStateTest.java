package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Platform suspend, resume and the refused restores, against a real klcryptd through FUSE and the
 * CLI (docs/POWER.md).
 */
class PowerStateTest {
  private static final int BLOCK = 64 * 1024;

  private static Workspace ws;
  private static DaemonProcess daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    ws = Workspace.create("power");
    daemon = DaemonProcess.start(ws.resolve("run"));
  }

  @AfterEach
  void backToRunning() throws Exception {
    PowerControl.rebootIfNotRunning(daemon);
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    try {
      if (daemon != null) {
        assertThat(daemon.terminate()).as("exit code after SIGTERM%n%s", daemon.log()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void writesWaitWhileSuspendedAndCompleteAfterResume() throws Exception {
    Path image = ws.resolve("writer.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 64L * 1024 * 1024, "writer-pass");
    Path key = ws.resolve("writer.img.key");
    daemon.klcrypt("open", "--key-file", key.toString(), image.toString(), "writer").ok();
    Path volume = daemon.volumeFile("writer");
    int blocks = 240; // about 8 s of writing: longer than a CLI run
    Path source = ws.resolve("writer.src");
    try (FileChannel ch =
        FileChannel.open(source, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < blocks; i++) {
        ch.write(ByteBuffer.wrap(PowerControl.markedBlock(BLOCK, i)));
      }
    }
    // The writer is its own process (dd per block, each synced, then a line in the progress
    // file): a JVM with a thread blocked in a FUSE request here could not start the CLI.
    Path progress = ws.resolve("writer.progress");
    Files.writeString(progress, "");
    ExecutorService writerThread = Executors.newSingleThreadExecutor();
    Future<Cmd.Result> writer =
        writerThread.submit(
            () ->
                Cmd.sh(
                    "for i in $(seq 0 "
                        + (blocks - 1)
                        + "); do dd if="
                        + source
                        + " of="
                        + volume
                        + " bs=64k count=1 skip=$i seek=$i conv=notrunc,fsync status=none;"
                        + " echo $i >> "
                        + progress
                        + "; sleep 0.025; done"));
    writerThread.shutdown();
    IntSupplier written = () -> lines(progress);
    while (written.getAsInt() < 8) {
      assertThat(writer).as("the writer ended early").isNotDone();
      Thread.sleep(10);
    }
    String suspended = daemon.klcrypt("platform", "suspend").ok();
    assertThat(suspended).contains("Platform suspended", "IWKey backed up");
    assertThat(writer).as("the writer ended before the suspend").isNotDone();
    ObjectNode status =
        PowerControl.awaitStatus(daemon, s -> s.path("requestsWaiting").asLong() >= 1);
    assertThat(status.path("suspended").asBoolean()).isTrue();
    int atSuspend = written.getAsInt();
    Thread.sleep(1000);
    assertThat(written.getAsInt()).as("writes completed while suspended").isEqualTo(atSuspend);
    assertThat(writer).isNotDone();
    long t0 = System.nanoTime();
    String cliStatus = daemon.klcrypt("platform", "status").ok();
    long cliMillis = (System.nanoTime() - t0) / 1_000_000;
    assertThat(cliStatus)
        .as("CLI status took %d ms; daemon log:%n%s", cliMillis, daemon.log())
        .contains("platform: suspended", "gate closed", "1 waiting");

    String resumed = daemon.klcrypt("platform", "resume").ok();
    assertThat(resumed).contains("IWKey restored");
    writer.get(60, TimeUnit.SECONDS).ok();
    assertThat(written.getAsInt()).isEqualTo(blocks);

    // read back from the image, not the kernel's cache: close and open again
    daemon.klcrypt("close", "writer").ok();
    daemon.klcrypt("open", "--key-file", key.toString(), image.toString(), "writer").ok();
    try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.READ)) {
      for (int i = 0; i < blocks; i++) {
        ByteBuffer got = ByteBuffer.allocate(BLOCK);
        ch.read(got, (long) i * BLOCK);
        assertThat(Arrays.equals(got.array(), PowerControl.markedBlock(BLOCK, i)))
            .as("block %d after resume and reopen", i)
            .isTrue();
      }
    }
    // the scan finds the marker in the plaintext view, and never in the image
    assertThat(PowerControl.markerOffsets(volume)).isNotEmpty();
    daemon.klcrypt("close", "writer").ok();
    PowerControl.assertNoPlaintext(image);
  }

  private static int lines(Path file) {
    try {
      return (int) Files.readString(file).lines().count();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void rebootReopensATableVolumeWithItsKeyFileAndOpenHandlesKeepWorking() throws Exception {
    Path image = ws.resolve("tab.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 32L * 1024 * 1024, "tab-pass");
    Path table = daemon.runtimeDir().resolve("klcrypttab");
    Files.writeString(table, "tab " + image + " " + ws.resolve("tab.img.key") + "\n");
    Cmd.run("kill", "-HUP", Long.toString(daemon.pid())).ok();
    Path volume = daemon.volumeFile("tab");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Files.exists(volume)) {
      assertThat(System.nanoTime())
          .as("table volume never opened:%n%s", daemon.log())
          .isLessThan(deadline);
      Thread.sleep(50);
    }
    try (FileChannel ch =
        FileChannel.open(volume, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      for (int i = 0; i < 8; i++) {
        ch.write(ByteBuffer.wrap(PowerControl.markedBlock(BLOCK, i)), (long) i * BLOCK);
      }
      ch.force(false);
      long bootBefore = PowerControl.ok(daemon, "platform-status").path("bootNumber").asLong();
      String out = daemon.klcrypt("platform", "reboot").ok();
      assertThat(out).contains("reopened:          tab");
      assertThat(PowerControl.ok(daemon, "platform-status").path("bootNumber").asLong())
          .isEqualTo(bootBefore + 1);
      // the same open file handle now reads and writes through the new key handles
      for (int i = 0; i < 8; i++) {
        ByteBuffer got = ByteBuffer.allocate(BLOCK);
        ch.read(got, (long) i * BLOCK);
        assertThat(Arrays.equals(got.array(), PowerControl.markedBlock(BLOCK, i)))
            .as("block %d after the reboot", i)
            .isTrue();
      }
      ch.write(ByteBuffer.wrap(PowerControl.markedBlock(BLOCK, 8)), 8L * BLOCK);
      ch.force(false);
    }
    Files.delete(table);
    daemon.klcrypt("close", "tab").ok();
    PowerControl.assertNoPlaintext(image);
  }

  @Test
  void everyBadBackupIsRefusedWithItsOwnReason() throws Exception {
    Path image = ws.resolve("kinds.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 32L * 1024 * 1024, "kinds-pass");
    Path key = ws.resolve("kinds.img.key");
    Map<String, String> reasons =
        new java.util.LinkedHashMap<>(
            Map.of(
                "missing", "(missing): backup is missing",
                "truncated", "(truncated): backup is truncated",
                "corrupt", "(corrupted): backup is corrupted",
                "earlier-boot", "(earlier-boot): backup is from an earlier boot",
                "replayed", "(replayed): backup is a replayed older copy",
                "foreign", "(foreign): backup was sealed by another platform",
                "unsealable", "(unsealable): backup cannot be unsealed",
                "forced", "(forced): restore failure forced by fault injection"));
    for (var kind : reasons.entrySet()) {
      PowerControl.ok(
          daemon, "open", "image", image.toString(), "name", "kinds", "keyFile", key.toString());
      PowerControl.addFault(daemon, null, "restore-failure", "kind=" + kind.getKey());
      PowerControl.ok(daemon, "platform-suspend");
      Cmd.Result resume = daemon.klcrypt("platform", "resume");
      assertThat(resume.exit()).as("%s: %s", kind.getKey(), resume).isEqualTo(7);
      assertThat(resume.err())
          .as(kind.getKey())
          .contains("IWKey restore failed " + kind.getValue());
      ObjectNode s = PowerControl.ok(daemon, "platform-status");
      assertThat(s.path("softDisabled").asBoolean()).isTrue();
      String text = kind.getValue().substring(kind.getValue().indexOf("): ") + 3);
      assertThat(s.path("lastRestoreFailure").path("message").asText()).startsWith(text);
      assertThat(s.path("disabledReason").asText()).contains(text);
      // Key Locker is off for every request on the volume, and the daemon keeps serving
      Cmd.Result read =
          Cmd.run("dd", "if=" + daemon.volumeFile("kinds"), "of=/dev/null", "bs=4096", "count=1");
      assertThat(read.exit()).isNotZero();
      assertThat(read.err()).contains("No such device");
      ObjectNode reboot = PowerControl.ok(daemon, "platform-reboot");
      // opened with --key-file: the reboot reopens it from the key file under the new IWKey
      assertThat(reboot.path("reopened").toString()).contains("kinds");
      Cmd.Result again =
          Cmd.run("dd", "if=" + daemon.volumeFile("kinds"), "of=/dev/null", "bs=4096", "count=1");
      assertThat(again.exit()).as(again.err()).isZero();
      PowerControl.ok(daemon, "close", "name", "kinds");
    }
    String metrics =
        Cmd.run(
                "curl",
                "-sf",
                "--unix-socket",
                daemon.controlSocket().toString(),
                "http://localhost/metrics")
            .ok();
    for (String label :
        new String[] {"missing", "truncated", "corrupted", "foreign", "unsealable", "forced"}) {
      assertThat(metrics).contains("reason=\"" + label);
    }
    assertThat(daemon.log())
        .contains("event=restore-failed reason=\"truncated: backup is truncated")
        .contains("event=fault kind=keylocker-restore-foreign");
  }

  @Test
  void aFailedBackupWriteMakesTheResumeFail() throws Exception {
    PowerControl.addFault(daemon, null, "backup-write-failure");
    String suspended = daemon.klcrypt("platform", "suspend").ok();
    assertThat(suspended).contains("NOT backed up");
    Cmd.Result resume = daemon.klcrypt("platform", "resume");
    assertThat(resume.exit()).isEqualTo(7);
    assertThat(resume.err()).contains("IWKey restore failed");
    String status = daemon.klcrypt("platform", "status").ok();
    assertThat(status)
        .contains("Key Locker DISABLED", "soft-disabled: yes", "last restore:  failed");
    String rebooted = daemon.klcrypt("platform", "reboot").ok();
    assertThat(rebooted).contains("Platform rebooted (boot");
    assertThat(daemon.klcrypt("platform", "status").ok())
        .contains("platform: running", "soft-disabled: no", "gate open");
  }

  @Test
  void featureSwitchesTakeEffectAtTheNextReboot() throws Exception {
    assertThat(daemon.klcrypt("fault", "add", "keylocker", "no-backup-support").exit()).isZero();
    // CPUID does not change while a boot lasts: this suspend/resume still works
    assertThat(daemon.klcrypt("platform", "suspend").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "resume").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "reboot").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "suspend").exit()).isZero();
    Cmd.Result resume = daemon.klcrypt("platform", "resume");
    assertThat(resume.exit()).isEqualTo(7);
    assertThat(resume.err()).contains("no backup MSRs");
    // fault clear switches it back for the reboot after
    assertThat(daemon.klcrypt("fault", "clear").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "reboot").exit()).isZero();
    assertThat(daemon.klcrypt("fault", "add", "nobackup-iwkey").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "reboot").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "suspend").exit()).isZero();
    Cmd.Result noBackup = daemon.klcrypt("platform", "resume");
    assertThat(noBackup.exit()).isEqualTo(7);
    assertThat(noBackup.err()).contains("invalid backup status");
    // leave the shared daemon as the other tests expect it: first boot's configuration, running
    assertThat(daemon.klcrypt("fault", "clear").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "reboot").exit()).isZero();
    assertThat(daemon.klcrypt("platform", "status").ok()).contains("soft-disabled: no");
  }

  @Test
  void resumeWithoutSuspendAndUnknownFaultsAreRefusedWithReasons() throws Exception {
    Cmd.Result resume = daemon.klcrypt("platform", "resume");
    assertThat(resume.exit()).isEqualTo(1);
    assertThat(resume.err()).contains("not suspended");
    Cmd.Result unknown = daemon.klcrypt("fault", "add", "restore-failure", "kind=stale");
    assertThat(unknown.exit()).isEqualTo(1);
    assertThat(unknown.err()).contains("kind 'stale' is unknown");
    assertThat(Files.exists(daemon.runtimeDir().resolve("platform").resolve("iwkey.backup")))
        .isTrue();
  }
}
