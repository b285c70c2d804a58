package dev.klcrypt.blockdev.bench;

import dev.klcrypt.blockdev.FormatSpec;
import dev.klcrypt.blockdev.LuksImage;
import dev.klcrypt.blockdev.OpenOptions;
import dev.klcrypt.blockdev.kdf.KdfSpec;
import dev.klcrypt.blockdev.kdf.Passphrase;
import dev.klcrypt.blockdev.testing.TestCpu;
import dev.klcrypt.blockdev.testing.Tools;
import dev.klcrypt.blockdev.volume.Volume;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Random;

/**
 * blockdev benchmark (plain main, run by {@code mvn -pl blockdev -Pbench test-compile exec:exec}):
 *
 * <ol>
 *   <li>argon2id unlock with cryptsetup's default costs: {@code cryptsetup open --test-passphrase}
 *       vs klcrypt's unlock of the same header (target: klcrypt ≤ 1.5× cryptsetup's time);
 *   <li>Volume sequential read/write MB/s with 4096-byte sectors and 1 MiB requests vs the raw
 *       backing file with the same requests (target: ≥ 0.7 of raw).
 * </ol>
 *
 * Properties: {@code bench.mib} (data size, default 256), {@code bench.runs} (default 3, median
 * reported), {@code bench.skipUnlock=true} to skip the (slow, 1 GiB) argon2 part. Prints a markdown
 * table.
 */
public final class BlockdevBench {
  private static final int MIB = 1 << 20;

  private BlockdevBench() {}

  public static void main(String[] args) throws Exception {
    int mib = Integer.getInteger("bench.mib", 256);
    int runs = Integer.getInteger("bench.runs", 3);
    Path dir = Files.createTempDirectory("klcrypt-blockdev-bench");
    try {
      StringBuilder out = new StringBuilder();
      out.append("| measurement | klcrypt | reference | ratio | target |\n|---|---|---|---|---|\n");
      if (!Boolean.getBoolean("bench.skipUnlock")) {
        unlock(dir, runs, out);
      }
      throughput(dir, mib, runs, out);
      System.out.print(out);
    } finally {
      try (var s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void unlock(Path dir, int runs, StringBuilder out) throws Exception {
    Path img = dir.resolve("unlock.img");
    Path pw = dir.resolve("pw");
    Files.writeString(pw, "bench passphrase");
    Tools.ok(dir, "truncate", "-s", "32M", img.toString());
    // cryptsetup's defaults: argon2id, 1 GiB (capped to half of RAM), 4 threads, time benchmarked
    // for 2 s
    Tools.ok(
        dir,
        "cryptsetup",
        "luksFormat",
        "--batch-mode",
        "--disable-locks",
        "--type",
        "luks2",
        "--key-file",
        pw.toString(),
        img.toString());
    String dump = Tools.ok(dir, "cryptsetup", "luksDump", "--disable-locks", img.toString());
    String costs =
        dump.replaceAll(
            "(?s).*Time cost:\\s+(\\d+).*Memory:\\s+(\\d+).*Threads:\\s+(\\d+).*",
            "t=$1 m=$2KiB p=$3");
    double[] cs = new double[runs];
    double[] kl = new double[runs];
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      Tools.ok(dir, Tools.testPassphrase(img.toString(), pw.toString()));
      cs[i] = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      try (Passphrase p = Passphrase.fromFile(pw);
          Volume v =
              LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults().withReadOnly(true))) {
        kl[i] = (System.nanoTime() - t0) / 1e9;
        if (v.size() <= 0) {
          throw new AssertionError("empty volume");
        }
      }
    }
    double k = median(kl);
    double c = median(cs);
    out.append(
        String.format(
            Locale.ROOT,
            "| argon2id unlock (%s), s | %.2f | %.2f (cryptsetup open --test-passphrase) | %.2f× | ≤ 1.5× |%n",
            costs,
            k,
            c,
            k / c));
  }

  private static void throughput(Path dir, int mib, int runs, StringBuilder out) throws Exception {
    long dataOffset = 16L * MIB;
    long size = (long) mib * MIB;
    Path img = dir.resolve("tp.img");
    Path raw = dir.resolve("raw.img");
    for (Path p : new Path[] {img, raw}) {
      try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
        f.setLength(dataOffset + size);
      }
    }
    try (Passphrase p = Passphrase.fromChars("bench".toCharArray())) {
      LuksImage.format(
          img,
          FormatSpec.defaults().withKdf(KdfSpec.pbkdf2(1000)).withSectorSize(4096),
          p,
          TestCpu.cpu());
    }
    double[] vw = new double[runs];
    double[] vr = new double[runs];
    double[] rw = new double[runs];
    double[] rr = new double[runs];
    try (Arena arena = Arena.ofShared()) {
      MemorySegment buf = arena.allocate(MIB, 4096);
      byte[] fill = new byte[MIB];
      new Random(1).nextBytes(fill);
      MemorySegment.copy(MemorySegment.ofArray(fill), 0, buf, 0, MIB);
      MemorySegment rbuf = arena.allocate(MIB, 4096);
      for (int i = 0; i < runs; i++) {
        try (Passphrase p = Passphrase.fromChars("bench".toCharArray());
            Volume v = LuksImage.open(img, p, TestCpu.cpu(), OpenOptions.defaults())) {
          long t0 = System.nanoTime();
          for (long off = 0; off < size; off += MIB) {
            v.write(off, buf);
          }
          v.flush();
          vw[i] = size / 1e6 / ((System.nanoTime() - t0) / 1e9);
          t0 = System.nanoTime();
          for (long off = 0; off < size; off += MIB) {
            v.read(off, rbuf);
          }
          vr[i] = size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
        try (FileChannel ch =
            FileChannel.open(raw, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          ByteBuffer bb = buf.asByteBuffer();
          ByteBuffer rb = rbuf.asByteBuffer();
          long t0 = System.nanoTime();
          for (long off = 0; off < size; off += MIB) {
            bb.clear();
            while (bb.hasRemaining()) {
              ch.write(bb, dataOffset + off + bb.position());
            }
          }
          ch.force(true);
          rw[i] = size / 1e6 / ((System.nanoTime() - t0) / 1e9);
          t0 = System.nanoTime();
          for (long off = 0; off < size; off += MIB) {
            rb.clear();
            while (rb.hasRemaining()) {
              ch.read(rb, dataOffset + off + rb.position());
            }
          }
          rr[i] = size / 1e6 / ((System.nanoTime() - t0) / 1e9);
        }
      }
    }
    out.append(
        String.format(
            Locale.ROOT,
            "| Volume seq write, 4096-B sectors, 1 MiB requests, %d MiB + fsync, MB/s | %.0f | %.0f (raw file) | %.2f | ≥ 0.7 |%n",
            mib,
            median(vw),
            median(rw),
            median(vw) / median(rw)));
    out.append(
        String.format(
            Locale.ROOT,
            "| Volume seq read, 4096-B sectors, 1 MiB requests, %d MiB (page cache), MB/s | %.0f | %.0f (raw file) | %.2f | ≥ 0.7 |%n",
            mib,
            median(vr),
            median(rr),
            median(vr) / median(rr)));
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
