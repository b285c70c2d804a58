package dev.klcrypt.daemon.cli;

import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code klcrypt benchmark}: aes-xts-plain64 through the emulated AES-KL instructions, 4096-byte
 * sectors, in memory (like {@code cryptsetup benchmark}, no storage I/O).
 */
@Command(name = "benchmark", description = "Measure aes-xts (Key Locker) speed in memory.")
final class BenchmarkCommand implements Callable<Integer> {
  private static final int SECTOR = 4096;
  private static final int BATCH_SECTORS = 64;

  @Option(
      names = "--time-ms",
      paramLabel = "MS",
      description = "time per measurement (default 1000)")
  long timeMillis = 1000;

  @Override
  public Integer call() throws Exception {
    System.out.println("# Tests are approximate using memory only (no storage IO).");
    System.out.println("# Data unit: 4096-byte sectors, emulated AES-KL (software Key Locker).");
    System.out.printf(
        Locale.ROOT, "#%14s %9s %17s %17s%n", "Algorithm |", "Key |", "Encryption |", "Decryption");
    SecureRandom random = new SecureRandom();
    try (LocalPlatform platform = LocalPlatform.boot();
        Arena arena = Arena.ofConfined()) {
      MemorySegment buf = arena.allocate((long) SECTOR * BATCH_SECTORS, SECTOR);
      byte[] noise = new byte[(int) buf.byteSize()];
      random.nextBytes(noise);
      MemorySegment.copy(MemorySegment.ofArray(noise), 0, buf, 0, noise.length);
      for (int keyBits : new int[] {256, 512}) {
        XtsSectorCipher cipher;
        try (ClearKey key = ClearKey.allocate(keyBits / 8)) {
          byte[] k = new byte[keyBits / 8];
          random.nextBytes(k);
          MemorySegment.copy(MemorySegment.ofArray(k), 0, key.segment(), 0, k.length);
          java.util.Arrays.fill(k, (byte) 0);
          cipher = XtsSectorCipher.create(platform.cpu(), key, SECTOR);
        }
        double enc = mibPerSecond(buf, (sector, seg) -> cipher.encrypt(sector, seg, seg));
        double dec = mibPerSecond(buf, (sector, seg) -> cipher.decrypt(sector, seg, seg));
        System.out.printf(
            Locale.ROOT, "%15s %8db %12.1f MiB/s %12.1f MiB/s%n", "aes-xts(kl)", keyBits, enc, dec);
      }
    }
    return ExitCode.SUCCESS.code();
  }

  private interface SectorOp {
    void apply(long sector, MemorySegment segment);
  }

  private double mibPerSecond(MemorySegment buf, SectorOp op) {
    op.apply(0, buf); // warm-up
    long bytes = 0;
    long sector = 0;
    long start = System.nanoTime();
    long deadline = start + timeMillis * 1_000_000L;
    long now;
    do {
      op.apply(sector, buf);
      sector += BATCH_SECTORS * (SECTOR / 512);
      bytes += buf.byteSize();
      now = System.nanoTime();
    } while (now < deadline);
    return bytes / (1024.0 * 1024.0) / ((now - start) / 1e9);
  }
}
