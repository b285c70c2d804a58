package dev.klcrypt.keylocker.bench;

import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * AES-KL XTS throughput on 4096-byte sectors (the benchmark): ops/s x 4096 = bytes/s. Run
 * by {@code make bench} next to {@code openssl speed -evp aes-256-xts -bytes 4096}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class XtsBenchmark {
  /** 64 = XTS-AES-256 (aes-xts-plain64, 512-bit key), 32 = XTS-AES-128. */
  @Param({"64"})
  public int keyBytes;

  private EmulatedPlatform platform;
  private XtsSectorCipher cipher;
  private Path state;

  /** One sector buffer per thread, native like the FUSE buffers. */
  @State(Scope.Thread)
  public static class Sector {
    final Arena arena = Arena.ofShared();
    final MemorySegment buf = arena.allocate(4096, 64);
    long sector;

    @TearDown
    public void free() {
      arena.close();
    }
  }

  @Setup
  public void setUp() {
    try {
      state = Files.createTempDirectory("klcrypt-bench");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(state));
    try (ClearKey k = ClearKey.allocate(keyBytes)) {
      for (int i = 0; i < keyBytes; i++) {
        k.segment().set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
      }
      cipher = XtsSectorCipher.create(platform.cpu(), k, 4096);
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    platform.close();
    Files.deleteIfExists(state.resolve(PlatformConfig.BACKUP_FILE));
    Files.deleteIfExists(state);
  }

  @Benchmark
  public void encrypt(Sector s) {
    cipher.encrypt(s.sector, s.buf, s.buf);
    s.sector += 8;
  }

  @Benchmark
  public void decrypt(Sector s) {
    cipher.decrypt(s.sector, s.buf, s.buf);
    s.sector += 8;
  }
}
