package dev.klcrypt.blockdev.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.DiscardNotAllowedException;
import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.ReadOnlyVolumeException;
import dev.klcrypt.blockdev.VolumeClosedException;
import dev.klcrypt.blockdev.VolumeRangeException;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.TestCpu;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Volume semantics against an in-memory model: any range, RMW, concurrency, limits. */
class VolumeTest {
  private static final byte[] PASS = "volume test".getBytes(StandardCharsets.UTF_8);
  private static final long IMAGE = 16L * 1024 * 1024 + 4L * 1024 * 1024;

  @TempDir Path dir;

  private Path format(int sector) throws Exception {
    Path img = dir.resolve("v" + sector + ".img");
    try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
      f.setLength(IMAGE);
    }
    try (Passphrase p = Passphrase.fromBytes(PASS.clone())) {
      LuksImage.format(
          img,
          FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)).withSectorSize(sector),
          p,
          TestCpu.cpu());
    }
    return img;
  }

  private Volume open(Path img, OpenOptions o) throws Exception {
    try (Passphrase p = Passphrase.fromBytes(PASS.clone())) {
      return LuksImage.open(img, p, TestCpu.cpu(), o);
    }
  }

  @ParameterizedTest(name = "sector {0}")
  @ValueSource(ints = {512, 4096})
  void randomReadsAndWritesMatchAModelAcrossReopen(int sector) throws Exception {
    Path img = format(sector);
    Random rnd = new Random(sector);
    byte[] model;
    try (Volume v = open(img, OpenOptions.defaults());
        Arena a = Arena.ofShared()) {
      model = new byte[(int) v.size()];
      // the fresh data area decrypts to whatever the zeros give: take it as the model's start
      MemorySegment all = a.allocate(v.size());
      v.read(0, all);
      MemorySegment.copy(all, ValueLayout.JAVA_BYTE, 0, model, 0, model.length);
      for (int i = 0; i < 300; i++) {
        int kind = rnd.nextInt(4);
        int len =
            kind == 0
                ? rnd.nextInt(3 * sector) + 1
                : kind == 1 ? rnd.nextInt(2_500_000) + 1 : rnd.nextInt(200_000) + 1;
        if (rnd.nextInt(8) == 0) {
          len =
              (rnd.nextInt(512) + 1)
                  * sector; // whole sectors, large enough to be split across cores
        }
        long off = rnd.nextLong(model.length - len + 1);
        if (rnd.nextBoolean()) {
          byte[] data = new byte[len];
          rnd.nextBytes(data);
          MemorySegment src =
              rnd.nextBoolean()
                  ? MemorySegment.ofArray(data)
                  : a.allocateFrom(ValueLayout.JAVA_BYTE, data);
          v.write(off, src);
          System.arraycopy(data, 0, model, (int) off, len);
        } else {
          MemorySegment dst =
              rnd.nextBoolean() ? MemorySegment.ofArray(new byte[len]) : a.allocate(len);
          v.read(off, dst);
          byte[] want = new byte[len];
          System.arraycopy(model, (int) off, want, 0, len);
          assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).as("read %d+%d", off, len).isEqualTo(want);
        }
      }
      v.flush();
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .as(
            "the split (multi-threaded) sector crypto path ran: surefire sets klcrypt.xts.threads=2")
        .anyMatch(t -> t.getName().startsWith("klcrypt-xts-"));
    try (Volume v = open(img, OpenOptions.defaults().withReadOnly(true));
        Arena a = Arena.ofConfined()) {
      MemorySegment all = a.allocate(v.size());
      v.read(0, all);
      assertThat(all.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(model);
    }
  }

  @ParameterizedTest(name = "sector {0}")
  @ValueSource(ints = {512, 4096})
  void concurrentOverlappingPartialWritesLoseNoBytes(int sector) throws Exception {
    Path img = format(sector);
    int threads = 8;
    int rounds = 200;
    try (Volume v = open(img, OpenOptions.defaults())) {
      // every thread owns every 8th byte of the same two sectors and writes its bytes one by one
      // (each a RMW)
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CyclicBarrier start = new CyclicBarrier(threads);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int me = t;
        fs.add(
            pool.submit(
                () -> {
                  start.await();
                  Random r = new Random(me);
                  for (int i = 0; i < rounds; i++) {
                    int idx = r.nextInt(2 * sector / threads) * threads + me;
                    v.write(sector / 2 + idx, MemorySegment.ofArray(new byte[] {(byte) (me + 1)}));
                  }
                  // finally stamp all owned bytes
                  for (int idx = me; idx < 2 * sector; idx += threads) {
                    v.write(
                        sector / 2 + idx, MemorySegment.ofArray(new byte[] {(byte) (0x40 + me)}));
                  }
                  return null;
                }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
      pool.shutdown();
      byte[] got = new byte[2 * sector];
      v.read(sector / 2, MemorySegment.ofArray(got));
      for (int idx = 0; idx < got.length; idx++) {
        assertThat(got[idx]).as("byte %d", idx).isEqualTo((byte) (0x40 + idx % threads));
      }
    }
  }

  @ParameterizedTest(name = "sector {0}")
  @ValueSource(ints = {512, 4096})
  void limitsAreTypedErrors(int sector) throws Exception {
    Path img = format(sector);
    Volume v = open(img, OpenOptions.defaults());
    long size = v.size();
    assertThatThrownBy(() -> v.read(size - 1, MemorySegment.ofArray(new byte[2])))
        .isInstanceOf(VolumeRangeException.class)
        .hasMessageContaining("offset " + (size - 1));
    assertThatThrownBy(() -> v.write(-1, MemorySegment.ofArray(new byte[1])))
        .isInstanceOf(VolumeRangeException.class);
    assertThatThrownBy(() -> v.discard(0, sector)).isInstanceOf(DiscardNotAllowedException.class);
    v.read(size - 1, MemorySegment.ofArray(new byte[1]));
    v.close();
    v.close();
    assertThatThrownBy(() -> v.read(0, MemorySegment.ofArray(new byte[1])))
        .isInstanceOf(VolumeClosedException.class);
    try (Volume ro = open(img, OpenOptions.defaults().withReadOnly(true))) {
      assertThat(ro.info().readOnly()).isTrue();
      assertThatThrownBy(() -> ro.write(0, MemorySegment.ofArray(new byte[1])))
          .isInstanceOf(ReadOnlyVolumeException.class);
    }
  }

  @ParameterizedTest(name = "sector {0}")
  @ValueSource(ints = {512, 4096})
  void discardPunchesWholeSectorsOnlyAndNoPlaintextReachesTheFile(int sector) throws Exception {
    Path img = format(sector);
    byte[] marker = "PLAINTEXT-MARKER-".repeat(1000).getBytes(StandardCharsets.US_ASCII);
    long dataOffset;
    try (Volume v = open(img, OpenOptions.defaults().withAllowDiscards(true))) {
      dataOffset = v.info().dataOffset();
      v.write(0, MemorySegment.ofArray(marker.clone()));
      v.flush();
      byte[] file = Files.readAllBytes(img);
      assertThat(indexOf(file, "PLAINTEXT-MARKER-".getBytes(StandardCharsets.US_ASCII)))
          .isEqualTo(-1);
      // discard from the middle of sector 0 to the middle of sector 2: only sector 1 is punched
      v.discard(sector / 2, 2L * sector);
      v.flush();
    }
    byte[] file = Files.readAllBytes(img);
    assertThat(allZero(file, dataOffset + sector, sector)).isTrue();
    assertThat(allZero(file, dataOffset, sector)).isFalse();
    assertThat(allZero(file, dataOffset + 2L * sector, sector)).isFalse();
  }

  private static boolean allZero(byte[] b, long off, int len) {
    for (int i = 0; i < len; i++) {
      if (b[(int) off + i] != 0) {
        return false;
      }
    }
    return true;
  }

  static int indexOf(byte[] hay, byte[] needle) {
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
