package dev.klcrypt.blockdev.af;

import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.Digest;

/**
 * LUKS anti-forensic information splitter (LUKS1 spec §2.4, used unchanged by LUKS2
 * "af":{"type":"luks1"}).
 *
 * <p>The running accumulator is a heap array because the digest (Bouncy Castle) takes {@code
 * byte[]}; it and every digest buffer are wiped before returning. Split material and the merged key
 * live in native segments.
 */
public final class AfSplitter {
  private AfSplitter() {}

  /** Bytes of split material for a key: {@code keyBytes * stripes}. */
  public static long splitLength(int keyBytes, int stripes) {
    return (long) keyBytes * stripes;
  }

  /**
   * Splits {@code key} into {@code stripes} stripes written to {@code dst} (at least {@link
   * #splitLength} bytes).
   */
  public static void split(
      ClearKey key, int stripes, HashAlgorithm hash, SecureRandom random, MemorySegment dst) {
    int n = key.length();
    checkArgs(n, stripes, dst);
    byte[] acc = new byte[n];
    byte[] stripe = new byte[n];
    try {
      for (int j = 0; j < stripes - 1; j++) {
        random.nextBytes(stripe);
        MemorySegment.copy(stripe, 0, dst, ValueLayout.JAVA_BYTE, (long) j * n, n);
        xorInto(acc, stripe);
        diffuse(acc, hash);
      }
      MemorySegment.copy(key.segment(), ValueLayout.JAVA_BYTE, 0, stripe, 0, n);
      xorInto(stripe, acc);
      MemorySegment.copy(stripe, 0, dst, ValueLayout.JAVA_BYTE, (long) (stripes - 1) * n, n);
    } finally {
      Arrays.fill(acc, (byte) 0);
      Arrays.fill(stripe, (byte) 0);
    }
  }

  /**
   * Merges {@code stripes} stripes of {@code keyBytes} each from {@code src} into a new clear key.
   */
  public static ClearKey merge(MemorySegment src, int keyBytes, int stripes, HashAlgorithm hash) {
    checkArgs(keyBytes, stripes, src);
    byte[] acc = new byte[keyBytes];
    byte[] stripe = new byte[keyBytes];
    try {
      for (int j = 0; j < stripes - 1; j++) {
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, (long) j * keyBytes, stripe, 0, keyBytes);
        xorInto(acc, stripe);
        diffuse(acc, hash);
      }
      MemorySegment.copy(
          src, ValueLayout.JAVA_BYTE, (long) (stripes - 1) * keyBytes, stripe, 0, keyBytes);
      xorInto(acc, stripe);
      return ClearKey.copyOf(acc, 0, keyBytes);
    } finally {
      Arrays.fill(acc, (byte) 0);
      Arrays.fill(stripe, (byte) 0);
    }
  }

  private static void checkArgs(int keyBytes, int stripes, MemorySegment seg) {
    if (keyBytes <= 0 || stripes <= 0) {
      throw new IllegalArgumentException("key length and stripes must be positive");
    }
    if (seg.byteSize() < splitLength(keyBytes, stripes)) {
      throw new IllegalArgumentException(
          "AF material needs "
              + splitLength(keyBytes, stripes)
              + " bytes, segment has "
              + seg.byteSize());
    }
  }

  private static void xorInto(byte[] acc, byte[] b) {
    for (int i = 0; i < acc.length; i++) {
      acc[i] ^= b[i];
    }
  }

  /** Chunk i of b becomes the first len(chunk) bytes of H(BE32(i) || chunk). */
  static void diffuse(byte[] b, HashAlgorithm hash) {
    Digest d = hash.newDigest();
    int ds = d.getDigestSize();
    byte[] out = new byte[ds];
    byte[] iv = new byte[4];
    try {
      int chunks = (b.length + ds - 1) / ds;
      for (int i = 0; i < chunks; i++) {
        int off = i * ds;
        int len = Math.min(ds, b.length - off);
        iv[0] = (byte) (i >>> 24);
        iv[1] = (byte) (i >>> 16);
        iv[2] = (byte) (i >>> 8);
        iv[3] = (byte) i;
        d.update(iv, 0, 4);
        d.update(b, off, len);
        d.doFinal(out, 0);
        System.arraycopy(out, 0, b, off, len);
      }
    } finally {
      Arrays.fill(out, (byte) 0);
      d.reset();
    }
  }
}
