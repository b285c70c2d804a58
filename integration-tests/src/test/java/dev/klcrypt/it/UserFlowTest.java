package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The user's flow, end to end, on images made by klcrypt, cryptsetup and qemu-img: open --loop,
 * mkfs.ext4, mount, copy files in, unmount, close, reopen, files intact (SHA-256), fsck clean, no
 * plaintext on the image.
 */
class UserFlowTest {
  private static final long IMAGE_BYTES = 96L * 1024 * 1024;
  private static final String PASSPHRASE = "correct horse battery staple";

  private static Workspace ws;
  private static DaemonProcess daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    ws = Workspace.create("userflow");
    daemon = DaemonProcess.start(ws.resolve("run"));
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

  @ParameterizedTest
  @EnumSource(ImageMaker.class)
  void filesSurviveCloseAndReopen(ImageMaker maker) throws Exception {
    String name = "flow-" + maker.name().toLowerCase();
    Path image = ws.resolve(name + ".img");
    maker.make(ws, image, IMAGE_BYTES, PASSPHRASE);
    Path key = ws.resolve(name + ".img.key");
    Path mnt = Files.createDirectories(ws.resolve(name + "-mnt"));
    String marker = "klcrypt-plaintext-marker-" + maker.name();
    Map<String, byte[]> files = sourceFiles(maker.ordinal(), marker);

    String loop = daemon.openWithLoop(image, name, key);
    assertThat(Files.size(daemon.volumeFile(name))).isGreaterThan(IMAGE_BYTES - 20L * 1024 * 1024);
    Cmd.run("mkfs.ext4", "-q", "-F", loop).ok();
    Cmd.run("mount", loop, mnt.toString()).ok();
    for (var f : files.entrySet()) {
      Files.write(mnt.resolve(f.getKey()), f.getValue());
    }
    Cmd.run("umount", mnt.toString()).ok();
    daemon.klcrypt("close", name).ok();
    assertThat(Files.exists(daemon.volumeFile(name))).isFalse();
    assertThat(Leftovers.loopDevicesBelow(daemon.runtimeDir())).isEmpty();

    // the image holds ciphertext only: neither the file contents nor ext4's superblock magic
    assertThat(Cmd.run("grep", "-c", "--binary-files=text", marker, image.toString()).exit())
        .as("plaintext marker found in the image")
        .isEqualTo(1);

    loop = daemon.openWithLoop(image, name, key);
    Cmd.run("e2fsck", "-f", "-n", loop).ok();
    Cmd.run("mount", "-o", "ro", loop, mnt.toString()).ok();
    try {
      for (var f : files.entrySet()) {
        assertThat(sha256(Files.readAllBytes(mnt.resolve(f.getKey()))))
            .as("SHA-256 of %s after reopen", f.getKey())
            .isEqualTo(sha256(f.getValue()));
      }
    } finally {
      Cmd.run("umount", mnt.toString()).ok();
    }
    daemon.klcrypt("close", name).ok();

    if (maker == ImageMaker.CRYPTSETUP_LUKS2 || maker == ImageMaker.KLCRYPT_LUKS2) {
      // cryptsetup still accepts the header and keyslot after our use
      Cmd.run(
              "cryptsetup",
              "open",
              "--test-passphrase",
              "--key-file",
              key.toString(),
              image.toString())
          .ok();
    }
  }

  /** Data written through klcrypt reads back through qemu's LUKS driver and the other way round. */
  @Test
  void qemuAndKlcryptReadEachOthersWrites() throws Exception {
    Path image = ws.resolve("qemu-cross.img");
    ImageMaker.QEMU_LUKS1.make(ws, image, 40L * 1024 * 1024, PASSPHRASE);
    Path key = ws.resolve("qemu-cross.img.key");
    String secret = "secret,id=sec0,file=" + key;
    // qemu writes 1 MiB of 0xab at 1 MiB
    Cmd.run(
            "qemu-io",
            "--object",
            secret,
            "--image-opts",
            ImageMaker.qemuImageOpts(image),
            "-c",
            "write -P 0xab 1M 1M")
        .ok();
    daemon.klcrypt("open", "--key-file", key.toString(), image.toString(), "cross").ok();
    Path volume = daemon.volumeFile("cross");
    byte[] ours = new byte[3 * 4096 + 123];
    new Random(7).nextBytes(ours);
    try (var ch =
        java.nio.channels.FileChannel.open(
            volume,
            java.nio.file.StandardOpenOption.READ,
            java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer got = java.nio.ByteBuffer.allocate(1024 * 1024);
      while (got.hasRemaining()) {
        assertThat(ch.read(got, 1024 * 1024 + got.position())).isPositive();
      }
      for (byte b : got.array()) {
        assertThat(b).isEqualTo((byte) 0xab);
      }
      // we write an unaligned random block at offset 5000, then fsync
      ch.write(java.nio.ByteBuffer.wrap(ours), 5000);
      ch.force(true);
    }
    daemon.klcrypt("close", "cross").ok();
    Path raw = ws.resolve("qemu-cross.raw");
    Cmd.run(
            "qemu-img",
            "convert",
            "--object",
            secret,
            "--image-opts",
            ImageMaker.qemuImageOpts(image),
            "-O",
            "raw",
            raw.toString())
        .ok();
    byte[] plain = Files.readAllBytes(raw);
    byte[] region = java.util.Arrays.copyOfRange(plain, 5000, 5000 + ours.length);
    assertThat(region).isEqualTo(ours);
    assertThat(plain[1024 * 1024]).isEqualTo((byte) 0xab);
  }

  private static Map<String, byte[]> sourceFiles(long seed, String marker) {
    Random r = new Random(seed);
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int size : new int[] {0, 1, 511, 4097, 65_536, 1_000_003, 6 * 1024 * 1024}) {
      byte[] b = new byte[size];
      r.nextBytes(b);
      files.put("random-" + size + ".bin", b);
    }
    files.put(
        "marker.txt",
        (marker + "\n").repeat(4096).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return files;
  }

  private static String sha256(byte[] data) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }
}
