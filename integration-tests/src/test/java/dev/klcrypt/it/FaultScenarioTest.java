package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fault scenarios of issue 5 against a real klcryptd: a failed IWKey restore under load (FUSE
 * file and ext4 on a loop device), a power cut during fio, and scenario files through the CLI.
 * After every scenario the images are scanned for the plaintext marker.
 */
class FaultScenarioTest {
  private static final int BLOCK = 64 * 1024;
  private static final long MIB = 1024L * 1024;

  private static Workspace ws;
  private static DaemonProcess daemon;
  private static ExecutorService pool;

  @BeforeAll
  static void startDaemon() throws Exception {
    ws = Workspace.create("faults");
    daemon = DaemonProcess.start(ws.resolve("run"));
    pool = Executors.newCachedThreadPool();
  }

  @AfterEach
  void backToRunning() throws Exception {
    PowerControl.rebootIfNotRunning(daemon);
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    try {
      pool.shutdownNow();
      if (daemon != null) {
        assertThat(daemon.terminate()).as("exit code after SIGTERM%n%s", daemon.log()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void aFailedRestoreFailsEveryRequestWithEnodevAndWritesNoSector() throws Exception {
    Path fsImage = ws.resolve("fs.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, fsImage, 128 * MIB, "fs-pass");
    Path fsKey = ws.resolve("fs.img.key");
    Path rawImage = ws.resolve("raw.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, rawImage, 64 * MIB, "raw-pass");
    Path rawKey = ws.resolve("raw.img.key");
    Path marked = markedFile("marked.bin", 16, 0);

    String loop = daemon.openWithLoop(fsImage, "fs", fsKey);
    Cmd.run("mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", loop).ok();
    Path mnt = Files.createDirectories(ws.resolve("mnt"));
    Cmd.run("mount", loop, mnt.toString()).ok();
    Map<String, byte[]> synced = new LinkedHashMap<>();
    for (int f = 0; f < 4; f++) {
      byte[] content = Files.readAllBytes(markedFile("f" + f + ".src", 8, 100 * f));
      Files.write(mnt.resolve("f" + f), content);
      synced.put("f" + f, content);
    }
    Cmd.run("sync", "-f", mnt.resolve("f0").toString()).ok();

    daemon.klcrypt("open", "--key-file", rawKey.toString(), rawImage.toString(), "raw").ok();
    Path raw = daemon.volumeFile("raw");
    writeBlocks(raw, 0, 16);

    PowerControl.ok(daemon, "platform-suspend");
    // everything acknowledged so far is on the images now; nothing may change from here on
    String fsBefore = PowerControl.sha256(fsImage);
    String rawBefore = PowerControl.sha256(rawImage);
    Future<Cmd.Result> rawWriter =
        pool.submit(
            () ->
                Cmd.run(
                    "dd",
                    "if=" + marked,
                    "of=" + raw,
                    "bs=64k",
                    "count=4",
                    "seek=32",
                    "conv=notrunc,fsync"));
    Future<Cmd.Result> rawReader =
        pool.submit(
            () ->
                Cmd.run(
                    "dd",
                    "if=" + raw,
                    "of=/dev/null",
                    "bs=64k",
                    "count=4",
                    "skip=64",
                    "iflag=direct"));
    Future<Cmd.Result> fsWriter =
        pool.submit(
            () ->
                Cmd.run(
                    "dd",
                    "if=" + marked,
                    "of=" + mnt.resolve("late"),
                    "bs=64k",
                    "oflag=direct",
                    "conv=fsync"));
    PowerControl.awaitStatus(daemon, s -> s.path("requestsWaiting").asLong() >= 1);
    Thread.sleep(300); // let the other two queue behind it in the kernel

    assertThat(daemon.klcrypt("fault", "add", "restore-failure").ok()).contains("restore-forced");
    Cmd.Result resume = daemon.klcrypt("platform", "resume");
    assertThat(resume.exit()).as("%s", resume).isEqualTo(7);
    assertThat(resume.err()).contains("IWKey restore failed (forced)");

    Cmd.Result w = rawWriter.get(40, TimeUnit.SECONDS);
    assertThat(w.exit()).as("%s", w).isNotZero();
    assertThat(w.err()).contains("No such device");
    Cmd.Result r = rawReader.get(40, TimeUnit.SECONDS);
    assertThat(r.exit()).as("%s", r).isNotZero();
    assertThat(r.err()).contains("No such device");
    Cmd.Result fw = fsWriter.get(40, TimeUnit.SECONDS);
    assertThat(fw.exit()).as("ext4 over the loop device sees I/O errors: %s", fw).isNotZero();
    assertThat(fw.err()).containsAnyOf("No such device", "Input/output error");
    // new requests fail at once, reads and writes, on every volume
    Cmd.Result late =
        Cmd.run("dd", "if=" + marked, "of=" + raw, "bs=4k", "count=1", "conv=notrunc,fsync");
    assertThat(late.err()).contains("No such device");
    assertThat(Cmd.run("dd", "if=" + raw, "of=/dev/null", "bs=4k", "count=1").err())
        .contains("No such device");
    assertThat(daemon.klcrypt("platform", "status").ok())
        .contains("Key Locker DISABLED", "failed (forced)", "gate failed");

    if (Cmd.run("umount", mnt.toString()).exit() != 0) {
      Cmd.run("umount", "-l", mnt.toString()).ok();
    }
    daemon.klcrypt("close", "fs").ok();
    daemon.klcrypt("close", "raw").ok();
    assertThat(PowerControl.sha256(fsImage)).as("fs image after the failure").isEqualTo(fsBefore);
    assertThat(PowerControl.sha256(rawImage))
        .as("raw image after the failure")
        .isEqualTo(rawBefore);

    assertThat(daemon.klcrypt("platform", "reboot").ok()).contains("Platform rebooted");
    String loop2 = daemon.openWithLoop(fsImage, "fs", fsKey);
    Cmd.run("mount", loop2, mnt.toString()).ok(); // replays the journal
    for (var e : synced.entrySet()) {
      assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue()))
          .as("fsync'd file %s intact", e.getKey())
          .isTrue();
    }
    Cmd.run("umount", mnt.toString()).ok();
    Cmd.Result fsck = Cmd.run("e2fsck", "-fn", loop2);
    assertThat(fsck.exit()).as("%s", fsck).isZero();
    daemon.klcrypt("close", "fs").ok();
    daemon.klcrypt("open", "--key-file", rawKey.toString(), rawImage.toString(), "raw").ok();
    verifyBlocks(raw, 0, 16);
    daemon.klcrypt("close", "raw").ok();
    PowerControl.assertNoPlaintext(fsImage);
    PowerControl.assertNoPlaintext(rawImage);
  }

  @Test
  void aPowerCutDuringFioLosesOnlyUnflushedWrites() throws Exception {
    Path image = ws.resolve("cut.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 160 * MIB, "cut-pass");
    Path key = ws.resolve("cut.img.key");
    String loop =
        daemon
            .klcrypt(
                "open",
                "--fault-injection",
                "--loop",
                "--key-file",
                key.toString(),
                image.toString(),
                "cut")
            .ok()
            .strip();
    assertThat(loop).startsWith("/dev/loop");
    Cmd.run("mkfs.ext4", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", loop).ok();
    Path mnt = Files.createDirectories(ws.resolve("cutmnt"));
    Cmd.run("mount", loop, mnt.toString()).ok();
    Map<String, byte[]> flushed = new LinkedHashMap<>();
    for (int f = 0; f < 3; f++) {
      byte[] content = Files.readAllBytes(markedFile("cut" + f + ".src", 16, 1000 * f));
      Files.write(mnt.resolve("kept" + f), content);
      flushed.put("kept" + f, content);
    }
    Cmd.run("sync", "-f", mnt.resolve("kept0").toString()).ok();

    String id =
        daemon
            .klcrypt("fault", "add", "--volume", "cut", "after", "100", "writes", "powercut")
            .ok();
    assertThat(id.strip()).matches("\\d+");
    Cmd.Result fio =
        Cmd.run(
            java.util.List.of(
                "fio",
                "--name=cut",
                "--filename=" + mnt.resolve("fio.dat"),
                "--rw=randwrite",
                "--bs=64k",
                "--size=32M",
                "--ioengine=psync",
                "--direct=1",
                "--fsync=8",
                "--buffer_pattern=\""
                    + new String(PowerControl.MARKER, java.nio.charset.StandardCharsets.US_ASCII)
                    + "\"",
                "--output-format=json"),
            null,
            120);
    assertThat(fio.exit()).as("fio must see the dead disk: %s", fio).isNotZero();
    assertThat(fio.err()).contains("Input/output error");
    String list = daemon.klcrypt("fault", "list", "--volume", "cut").ok();
    assertThat(list).contains("volume cut (POWERED OFF)", "after 100 writes powercut");
    JsonNode faults = PowerControl.ok(daemon, "fault-list", "volume", "cut").path("volumes").get(0);
    assertThat(faults.path("injections").path("power_cut").asLong()).isEqualTo(1);
    assertThat(daemon.log()).contains("event=fault kind=\"armed: after 100 writes powercut\"");

    if (Cmd.run("umount", mnt.toString()).exit() != 0) {
      Cmd.run("umount", "-l", mnt.toString()).ok();
    }
    daemon
        .klcrypt("fault", "clear", "--volume", "cut")
        .ok(); // power back on; lost writes stay lost
    daemon.klcrypt("close", "cut").ok();
    // the "reboot" of the disk: open again without fault injection, replay the journal, verify
    String loop2 = daemon.openWithLoop(image, "cut", key);
    Cmd.run("mount", loop2, mnt.toString()).ok();
    for (var e : flushed.entrySet()) {
      assertThat(Arrays.equals(Files.readAllBytes(mnt.resolve(e.getKey())), e.getValue()))
          .as("flushed file %s intact after the power cut", e.getKey())
          .isTrue();
    }
    Cmd.run("umount", mnt.toString()).ok();
    Cmd.Result fsck = Cmd.run("e2fsck", "-fn", loop2);
    assertThat(fsck.exit()).as("%s", fsck).isZero();
    daemon.klcrypt("close", "cut").ok();
    PowerControl.assertNoPlaintext(image);
  }

  @Test
  void scenarioFilesAreArmedOrRefusedWithLineAndReason() throws Exception {
    Path image = ws.resolve("scen.img");
    ImageMaker.KLCRYPT_LUKS2.make(ws, image, 32 * MIB, "scen-pass");
    daemon
        .klcrypt(
            "open",
            "--fault-injection",
            "--key-file",
            ws.resolve("scen.img.key").toString(),
            image.toString(),
            "scen")
        .ok();
    Path bad = resource("bad-errno.faults");
    Cmd.Result refused =
        daemon.klcrypt("fault", "add", "--volume", "scen", "--file", bad.toString());
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err())
        .contains(bad + ": line 4, column ")
        .contains("errno 'EAGAIN' is not allowed");
    assertThat(daemon.klcrypt("fault", "list", "--volume", "scen").ok())
        .as("a refused file arms nothing")
        .doesNotContain("error write");

    Path crash = resource("crash.faults");
    String ids =
        daemon.klcrypt("fault", "add", "--volume", "scen", "--file", crash.toString()).ok();
    assertThat(ids.strip().split("\n")).hasSize(8);
    // (through the socket: the scenario's own clock is running, its power cut comes at 5 s)
    String list = PowerControl.ok(daemon, "fault-list", "volume", "scen").toString();
    assertThat(list)
        .contains("after 100 writes error write sectors 2048-4095")
        .contains("at 6s keylocker restore-failure kind=corrupt");
    PowerControl.ok(daemon, "fault-clear", "volume", "scen");
    PowerControl.ok(daemon, "fault-clear");
    assertThat(daemon.klcrypt("fault", "list", "--volume", "scen").ok()).doesNotContain("powercut");

    // an injected errno reaches the application unchanged
    daemon
        .klcrypt("fault", "add", "--volume", "scen", "error", "read", "errno=ENOSPC", "times=1")
        .ok();
    Cmd.Result read =
        Cmd.run("dd", "if=" + daemon.volumeFile("scen"), "of=/dev/null", "bs=4k", "count=1");
    assertThat(read.err()).contains("No space left on device");
    Cmd.Result bare = daemon.klcrypt("fault", "add", "error", "read");
    assertThat(bare.exit()).isEqualTo(1);
    assertThat(bare.err()).contains("block faults need --volume");
    daemon.klcrypt("close", "scen").ok();
    PowerControl.assertNoPlaintext(image);
  }

  private static Path resource(String name) throws Exception {
    return Path.of(FaultScenarioTest.class.getResource(name).toURI());
  }

  /** A file of {@code blocks} marked 64 KiB blocks numbered from {@code first}. */
  private static Path markedFile(String name, int blocks, long first) throws Exception {
    Path p = ws.resolve(name);
    try (FileChannel ch =
        FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < blocks; i++) {
        ch.write(ByteBuffer.wrap(PowerControl.markedBlock(BLOCK, first + i)));
      }
    }
    return p;
  }

  private static void writeBlocks(Path volume, int first, int count) throws Exception {
    try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.WRITE)) {
      for (int i = first; i < first + count; i++) {
        ch.write(ByteBuffer.wrap(PowerControl.markedBlock(BLOCK, i)), (long) i * BLOCK);
      }
      ch.force(false);
    }
  }

  private static void verifyBlocks(Path volume, int first, int count) throws Exception {
    try (FileChannel ch = FileChannel.open(volume, StandardOpenOption.READ)) {
      for (int i = first; i < first + count; i++) {
        ByteBuffer got = ByteBuffer.allocate(BLOCK);
        ch.read(got, (long) i * BLOCK);
        assertThat(Arrays.equals(got.array(), PowerControl.markedBlock(BLOCK, i)))
            .as("block %d", i)
            .isTrue();
      }
    }
  }
}
