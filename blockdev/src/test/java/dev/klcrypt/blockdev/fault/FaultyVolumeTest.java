package dev.klcrypt.blockdev.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.klcrypt.blockdev.BackingStoreIoException;
import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.store.FileBackingStore;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault store under a real encrypted volume: a LUKS2 image formatted by klcrypt, opened over a
 * {@link FaultyBackingStore}, with sector crypto on the emulated Key Locker CPU. Faults act on
 * ciphertext, so this shows what a volume user sees.
 */
class FaultyVolumeTest {
  private static final String PASS = "faulty volume";
  private static final byte[] MARKER =
      "KLCRYPT-PLAINTEXT-MARKER".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  private Path image;

  @BeforeEach
  void format() throws Exception {
    image = dir.resolve("vol.img");
    try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
      f.setLength(20L << 20); // 16 MiB LUKS2 header area + 4 MiB data
    }
    try (Passphrase p = passphrase()) {
      LuksImage.format(
          image,
          FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)).withSectorSize(4096),
          p,
          TestCpu.cpu());
    }
  }

  private static Passphrase passphrase() {
    return Passphrase.fromBytes(PASS.getBytes(StandardCharsets.UTF_8));
  }

  private Volume open(FaultyBackingStore store) throws Exception {
    try (Passphrase p = passphrase()) {
      return LuksImage.open(store, p, TestCpu.cpu(), OpenOptions.defaults());
    }
  }

  private Volume openClean() throws Exception {
    try (Passphrase p = passphrase()) {
      return LuksImage.open(image, p, TestCpu.cpu(), OpenOptions.defaults());
    }
  }

  private FaultyBackingStore faulty() {
    return FaultyBackingStore.builder(FileBackingStore.open(image, false)).seed(17).build();
  }

  private static byte[] plaintext(int len, int salt) {
    byte[] b = new byte[len];
    for (int i = 0; i < len; i++) {
      b[i] = i % 64 < MARKER.length ? MARKER[i % 64] : (byte) (i + salt);
    }
    return b;
  }

  private static void write(Volume v, long offset, byte[] data) {
    v.write(offset, MemorySegment.ofArray(data));
  }

  private static byte[] read(Volume v, long offset, int len) {
    byte[] b = new byte[len];
    v.read(offset, MemorySegment.ofArray(b));
    return b;
  }

  private static InjectedFaultException injected(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InjectedFaultException i) {
        return i;
      }
    }
    return null;
  }

  private boolean imageContainsMarker() throws Exception {
    byte[] file = Files.readAllBytes(image);
    outer:
    for (int i = 0; i + MARKER.length <= file.length; i++) {
      for (int j = 0; j < MARKER.length; j++) {
        if (file[i + j] != MARKER[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void powerCutUnderAVolumeKeepsFlushedDataAndLosesTheRest() throws Exception {
    byte[] p1 = plaintext(64 << 10, 1);
    byte[] p2 = plaintext(64 << 10, 2);
    byte[] p3 = plaintext(8 << 10, 3);
    long far = 1L << 20;
    byte[] farBefore;
    FaultyBackingStore store = faulty();
    try (Volume v = open(store)) {
      farBefore = read(v, far, p3.length);
      write(v, 0, p1);
      v.flush();
      write(v, 0, p2);
      write(v, far, p3);
      assertThat(read(v, 0, p2.length)).isEqualTo(p2);
      assertThat(store.unflushedBytes()).isGreaterThanOrEqualTo(p2.length + p3.length);

      store.powerCut(PowerCut.AfterCut.OFF);
      Throwable t = catchThrowable(() -> read(v, 0, 4096));
      assertThat(t).isInstanceOf(BackingStoreIoException.class);
      assertThat(injected(t).errno()).isEqualTo(FaultErrno.ENXIO);
    }
    try (Volume v = openClean()) {
      assertThat(read(v, 0, p1.length)).isEqualTo(p1);
      assertThat(read(v, far, p3.length)).isEqualTo(farBefore);
    }
    assertThat(imageContainsMarker()).as("plaintext on the image").isFalse();
  }

  @Test
  void corruptedCiphertextGarblesExactlyTheXtsBlocksItHits() throws Exception {
    byte[] data = plaintext(4096, 4);
    FaultyBackingStore store = faulty();
    try (Volume v = open(store)) {
      long sector =
          v.info().dataOffset() / SectorRange.SECTOR_BYTES + 8 * 3; // data sector 3 (4 KiB sectors)
      store.add(
          ScenarioParser.parseStep(
              "corrupt write sectors " + sector + "-" + (sector + 7) + " bytes=2 seed=3"));
      write(v, 3 * 4096L, data);
      write(v, 4 * 4096L, data);
      v.flush();
    }
    try (Volume v = openClean()) {
      assertThat(read(v, 4 * 4096L, 4096)).as("outside the range").isEqualTo(data);
      byte[] got = read(v, 3 * 4096L, 4096);
      List<Integer> blocks = new ArrayList<>();
      for (int b = 0; b < 4096 / 16; b++) {
        if (!Arrays.equals(got, b * 16, b * 16 + 16, data, b * 16, b * 16 + 16)) {
          blocks.add(b);
        }
      }
      // two changed ciphertext bytes garble one or two 16-byte blocks; XTS does not spread further
      assertThat(blocks).hasSizeBetween(1, 2);
      for (int b : blocks) {
        int same = 0;
        for (int i = b * 16; i < b * 16 + 16; i++) {
          same += got[i] == data[i] ? 1 : 0;
        }
        assertThat(same).as("block %d is garbage, not a bit flip", b).isLessThan(8);
      }
    }
  }

  @Test
  void injectedErrnoReachesTheVolumeCaller() throws Exception {
    FaultyBackingStore store = faulty();
    try (Volume v = open(store)) {
      store.add(ScenarioParser.parseStep("error write errno=ENOSPC"));
      store.add(ScenarioParser.parseStep("error flush errno=ETIMEDOUT"));
      assertThat(injected(catchThrowable(() -> write(v, 0, plaintext(4096, 5)))).errno())
          .isEqualTo(FaultErrno.ENOSPC);
      assertThat(injected(catchThrowable(v::flush)).errno()).isEqualTo(FaultErrno.ETIMEDOUT);
      assertThat(read(v, 0, 4096)).hasSize(4096);
      store.clear();
    }
  }
}
