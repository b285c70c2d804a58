package dev.klcrypt.daemon.fuse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.daemon.errno.Errno;
import dev.klcrypt.daemon.errno.RequestRefusedException;
import dev.klcrypt.daemon.volumes.OpenVolumes;
import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The volume filesystem mounted for real (libfuse 2 via jnr-fuse), driven through the kernel with
 * plain file I/O.
 */
class VolumeFileSystemTest {
  private static final long IMAGE_BYTES = 24L * 1024 * 1024;

  @TempDir static Path dir;
  private static EmulatedPlatform platform;
  private static OpenVolumes volumes;
  private static FuseMount mount;
  private static FuseGuardTest.Recorder recorder;
  private static Path mp;

  @BeforeAll
  static void mountWithThreeVolumes() throws Exception {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(dir.resolve("platform")));
    volumes = new OpenVolumes(Clock.systemUTC());
    open("rw", OpenOptions.defaults());
    open("discard", OpenOptions.defaults().withAllowDiscards(true));
    open("ro", OpenOptions.defaults().withReadOnly(true));
    recorder = new FuseGuardTest.Recorder();
    VolumeFileSystem fs = new VolumeFileSystem(volumes, new FuseGuard(recorder), 0, 0);
    mount = FuseMount.mount(fs, dir.resolve("volumes"), FuseMount.DEFAULT_OPTIONS);
    mp = mount.mountPoint();
  }

  private static void open(String name, OpenOptions options) throws Exception {
    Path image = dir.resolve(name + ".img");
    try (FileChannel ch =
        FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(new byte[1]), IMAGE_BYTES - 1);
    }
    FormatSpec spec = FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000));
    try (Passphrase p = Passphrase.fromBytes(name.getBytes(StandardCharsets.UTF_8))) {
      LuksImage.format(image, spec, p, platform.cpu());
    }
    try (Passphrase p = Passphrase.fromBytes(name.getBytes(StandardCharsets.UTF_8))) {
      volumes.add(name, image.toRealPath(), LuksImage.open(image, p, platform.cpu(), options));
    }
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
    if (volumes != null) {
      volumes.closeAll();
    }
    if (platform != null) {
      platform.close();
    }
  }

  @Test
  void listsOneRegularFilePerVolumeWithItsSize() throws Exception {
    try (var listing = Files.list(mp)) {
      assertThat(listing.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("discard", "ro", "rw");
    }
    long size = volumes.get("rw").volume().size();
    assertThat(Files.size(mp.resolve("rw"))).isEqualTo(size).isLessThan(IMAGE_BYTES);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mp.resolve("rw"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(mp.resolve("ro"))))
        .isEqualTo("r--------");
    assertThat(Files.getFileStore(mp).getTotalSpace()).isEqualTo(3 * size);
    assertThatThrownBy(() -> Files.size(mp.resolve("missing")))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void unalignedWritesReadBackAndReadsStopAtTheEnd() throws Exception {
    Path file = mp.resolve("rw");
    long size = Files.size(file);
    byte[] data = new byte[10_000];
    new Random(5).nextBytes(data);
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), 4096 * 3 + 17);
      ch.force(true);
      ByteBuffer back = ByteBuffer.allocate(data.length);
      ch.read(back, 4096 * 3 + 17);
      assertThat(back.array()).isEqualTo(data);
      ByteBuffer tail = ByteBuffer.allocate(4096);
      assertThat(ch.read(tail, size - 100)).isEqualTo(100);
      assertThat(ch.read(ByteBuffer.allocate(16), size)).isEqualTo(-1);
    }
    // the image under it holds no plaintext copy of the data
    byte[] image = Files.readAllBytes(dir.resolve("rw.img"));
    assertThat(indexOf(image, java.util.Arrays.copyOf(data, 64))).isEqualTo(-1);
  }

  @Test
  void writesBeyondTheEndAndSizeChangesFailWithEinval() throws Exception {
    Path file = mp.resolve("rw");
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(100), size - 10))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("Invalid argument");
      assertThatThrownBy(() -> ch.truncate(size - 4096))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("Invalid argument");
    }
    assertThat(recorder.events).anyMatch(e -> e.equals("fail write rw EINVAL"));
  }

  @Test
  void readOnlyVolumesRefuseWriters() {
    assertThatThrownBy(() -> FileChannel.open(mp.resolve("ro"), StandardOpenOption.WRITE).close())
        .isInstanceOf(FileSystemException.class)
        .hasMessageContaining("Read-only file system");
  }

  @Test
  void punchHoleOnlyWhereDiscardsAreAllowed() throws Exception {
    String ok =
        run(
            "fallocate",
            "--punch-hole",
            "--offset",
            "0",
            "--length",
            "65536",
            mp.resolve("discard").toString());
    assertThat(ok).isEqualTo("exit 0: ");
    String refused =
        run(
            "fallocate",
            "--punch-hole",
            "--offset",
            "0",
            "--length",
            "65536",
            mp.resolve("rw").toString());
    assertThat(refused).startsWith("exit 1").contains("unsupported"); // EOPNOTSUPP
  }

  @Test
  void aVolumeWithAnOpenFileIsBusyUntilItIsClosed() throws Exception {
    open("busy", OpenOptions.defaults());
    FileChannel ch = FileChannel.open(mp.resolve("busy"), StandardOpenOption.READ);
    assertThatThrownBy(() -> volumes.close("busy", 200))
        .isInstanceOfSatisfying(
            RequestRefusedException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
    ch.close();
    volumes.close("busy", 5_000);
    assertThat(Files.exists(mp.resolve("busy"))).isFalse();
  }

  private static String run(String... argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return "exit " + p.waitFor() + ": " + out;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
