package dev.klcrypt.blockdev.fault;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.blockdev.store.FileBackingStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random sequences of unaligned writes, discards, flushes, reads and power cuts against a plain
 * byte-array model: reads always see the latest writes, and the image file always holds exactly the
 * state of the last flush.
 */
class VolatileWriteCacheModelTest {
  private static final int SIZE = 96 * 1024 + 1000; // the last page is partial

  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4})
  void matchesTheModel(long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    Path image = dir.resolve("model.img");
    byte[] current = new byte[SIZE];
    rnd.nextBytes(current);
    Files.write(image, current);
    byte[] durable = current.clone();
    try (FaultyBackingStore store = FaultyBackingStore.wrap(FileBackingStore.open(image, false))) {
      for (int step = 0; step < 400; step++) {
        int off = rnd.nextInt(SIZE);
        int len = 1 + rnd.nextInt(Math.min(SIZE - off, 3 * VolatileWriteCache.PAGE));
        int kind = rnd.nextInt(100);
        if (kind < 45) {
          byte[] data = new byte[len];
          rnd.nextBytes(data);
          store.write(off, ByteBuffer.wrap(data));
          System.arraycopy(data, 0, current, off, len);
        } else if (kind < 60) {
          store.discard(off, len);
          Arrays.fill(current, off, off + len, (byte) 0);
        } else if (kind < 70) {
          store.flush();
          durable = current.clone();
          assertThat(store.unflushedBytes()).isZero();
        } else if (kind < 74) {
          store.powerCut(PowerCut.AfterCut.CONTINUE);
          current = durable.clone();
        } else {
          ByteBuffer got = ByteBuffer.allocateDirect(len);
          store.read(off, got);
          byte[] g = new byte[len];
          got.flip().get(g);
          assertThat(g)
              .as("step %d read at %d+%d", step, off, len)
              .isEqualTo(Arrays.copyOfRange(current, off, off + len));
        }
        if (step % 8 == 0) {
          assertThat(Files.readAllBytes(image)).as("file after step %d", step).isEqualTo(durable);
        }
      }
      store.flush();
      assertThat(Files.readAllBytes(image)).isEqualTo(current);
    }
  }
}
