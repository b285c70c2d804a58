package dev.klcrypt.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two volumes at once, parallel writers, and overlapping unaligned writes through the real FUSE
 * mount.
 */
class ConcurrencyTest {
  private static final long IMAGE_BYTES = 80L * 1024 * 1024;

  private static Workspace ws;
  private static DaemonProcess daemon;

  @BeforeAll
  static void startDaemon() throws Exception {
    ws = Workspace.create("concurrency");
    daemon = DaemonProcess.start(ws.resolve("run"));
    for (String name : List.of("a", "b")) {
      Path image = ws.resolve(name + ".img");
      ImageMaker.KLCRYPT_LUKS2.make(ws, image, IMAGE_BYTES, "pass-" + name);
      daemon
          .klcrypt(
              "open",
              "--key-file",
              ws.resolve(name + ".img.key").toString(),
              image.toString(),
              name)
          .ok();
    }
  }

  @AfterAll
  static void stopDaemon() throws Exception {
    try {
      if (daemon != null) {
        daemon.klcrypt("close", "a");
        daemon.klcrypt("close", "b");
        assertThat(daemon.terminate()).as("exit code after SIGTERM%n%s", daemon.log()).isZero();
      }
    } finally {
      ws.close();
    }
  }

  @Test
  void parallelFioWritersOnTwoVolumesVerify() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<com.fasterxml.jackson.databind.JsonNode>> runs = new ArrayList<>();
      for (String name : List.of("a", "b")) {
        String file = daemon.volumeFile(name).toString();
        runs.add(
            pool.submit(
                () ->
                    FioVerifyTest.fio(
                        file,
                        "--rw=randwrite",
                        "--bs=8k",
                        "--size=24M",
                        "--numjobs=2",
                        "--offset_increment=24M",
                        "--direct=1",
                        "--ioengine=psync",
                        "--group_reporting")));
      }
      for (var run : runs) {
        var job = run.get();
        assertThat(job.path("error").asInt()).isZero();
        assertThat(job.path("write").path("io_bytes").asLong()).isEqualTo(48L * 1024 * 1024);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Eight threads write interleaved 700-byte pieces, so neighbouring threads share every 4096-byte
   * sector: a lost read-modify-write update would show as another thread's (or old) bytes.
   */
  @Test
  void unalignedWritesSharingSectorsLoseNothing() throws Exception {
    Path volume = daemon.volumeFile("a");
    int threads = 8;
    int piece = 700;
    int rounds = 300;
    long base = 40L * 1024 * 1024 + 123;
    byte[][] patterns = new byte[threads][piece];
    for (int t = 0; t < threads; t++) {
      new Random(100 + t).nextBytes(patterns[t]);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (FileChannel ch =
        FileChannel.open(volume, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      List<Callable<Void>> writers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        writers.add(
            () -> {
              List<Integer> order = new ArrayList<>();
              for (int k = 0; k < rounds; k++) {
                order.add(k);
              }
              Collections.shuffle(order, new Random(id));
              for (int k : order) {
                long off = base + ((long) k * threads + id) * piece;
                ByteBuffer b = ByteBuffer.wrap(patterns[id]);
                while (b.hasRemaining()) {
                  ch.write(b, off + b.position());
                }
              }
              return null;
            });
      }
      for (Future<Void> f : pool.invokeAll(writers)) {
        f.get();
      }
      ch.force(true);
      ByteBuffer all = ByteBuffer.allocate(threads * piece * rounds);
      while (all.hasRemaining()) {
        assertThat(ch.read(all, base + all.position())).isPositive();
      }
      for (int k = 0; k < rounds; k++) {
        for (int t = 0; t < threads; t++) {
          int at = (k * threads + t) * piece;
          byte[] got = java.util.Arrays.copyOfRange(all.array(), at, at + piece);
          assertThat(got).as("piece %d of thread %d", k, t).isEqualTo(patterns[t]);
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Two threads hammer the same unaligned range: each byte ends as one writer's, the surroundings
   * stay intact.
   */
  @Test
  void overlappingUnalignedWritesKeepTheSurroundings() throws Exception {
    Path volume = daemon.volumeFile("b");
    long around = 10L * 1024 * 1024;
    int span = 64 * 1024;
    long start = around + 1000;
    int length = 20_000;
    byte[] background = new byte[span];
    new Random(1).nextBytes(background);
    byte[][] fills = {new byte[length], new byte[length]};
    java.util.Arrays.fill(fills[0], (byte) 0x5a);
    java.util.Arrays.fill(fills[1], (byte) 0xa5);
    try (FileChannel ch =
        FileChannel.open(volume, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(background), around);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Callable<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
          byte[] fill = fills[w];
          writers.add(
              () -> {
                for (int i = 0; i < 200; i++) {
                  ch.write(ByteBuffer.wrap(fill), start);
                }
                return null;
              });
        }
        for (Future<Void> f : pool.invokeAll(writers)) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      ByteBuffer got = ByteBuffer.allocate(span);
      while (got.hasRemaining()) {
        assertThat(ch.read(got, around + got.position())).isPositive();
      }
      byte[] g = got.array();
      int from = (int) (start - around);
      for (int i = 0; i < span; i++) {
        if (i >= from && i < from + length) {
          assertThat(g[i])
              .as("byte %d inside the overlapped range", i)
              .isIn((byte) 0x5a, (byte) 0xa5);
        } else {
          assertThat(g[i]).as("byte %d outside the overlapped range", i).isEqualTo(background[i]);
        }
      }
    }
  }
}
