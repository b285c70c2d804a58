package dev.klcrypt.keylocker.xts;

import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.cpu.KeyLockerUnavailableException;
import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * {@code aes-xts-plain64} over two key handles (data key K1, tweak key K2), as dm-crypt uses it:
 * whole sectors of 512 to 4096 bytes, tweak = LE64 sector number counted in 512-byte units (so a
 * 4096-byte sector n of a LUKS2 volume is tweak 8n; the caller passes the 512-byte sector number).
 * Holds no clear key. XTS has no integrity.
 *
 * <p>Thread-safe: any number of threads may encrypt and decrypt at once.
 */
public final class XtsSectorCipher {
  private static final long MAX_UNIT_BYTES =
      (1L << 20) * 16; // IEEE 1619: at most 2^20 blocks per data unit

  private final KeyLockerCpu cpu;
  private final KeyHandle dataKey;
  private final KeyHandle tweakKey;
  private final int sectorSize;
  private final int keyBytes;

  private XtsSectorCipher(
      KeyLockerCpu cpu, KeyHandle dataKey, KeyHandle tweakKey, int sectorSize, int keyBytes) {
    this.cpu = cpu;
    this.dataKey = dataKey;
    this.tweakKey = tweakKey;
    this.sectorSize = sectorSize;
    this.keyBytes = keyBytes;
  }

  /**
   * Wraps both halves of an XTS key ({@code K1 || K2}, 32 bytes for XTS-AES-128 or 64 for
   * XTS-AES-256) into handles with ENCODEKEY. Close {@code xtsKey} right after: the cipher keeps
   * only the handles.
   *
   * @throws IllegalArgumentException for a 48-byte key (AES-192 has no AES-KL instruction), other
   *     sizes, or a sector size that is not a power of two from 512 to 4096
   * @throws KeyLockerUnavailableException when the CPU has no usable Key Locker
   */
  public static XtsSectorCipher create(KeyLockerCpu cpu, ClearKey xtsKey, int sectorSize) {
    Objects.requireNonNull(cpu, "cpu");
    checkSectorSize(sectorSize);
    int len = xtsKey.length();
    if (len == 48) {
      throw new IllegalArgumentException(
          "aes-xts with a 384-bit key (AES-192) is not supported: Key Locker has no AES-192 instructions;"
              + " use a 256- or 512-bit key");
    }
    if (len != 32 && len != 64) {
      throw new IllegalArgumentException(
          "aes-xts keys are 256 or 512 bits (32 or 64 bytes), not " + len + " bytes");
    }
    if (!cpu.cpuid().keyLocker()) {
      throw new KeyLockerUnavailableException("this CPU has no Key Locker (CPUID.07H:ECX[23]=0)");
    }
    int half = len / 2;
    try (ClearKey k1 = xtsKey.slice(0, half);
        ClearKey k2 = xtsKey.slice(half, half)) {
      KeyHandle data =
          half == 16
              ? cpu.encodeKey128(Restrictions.NONE, k1)
              : cpu.encodeKey256(Restrictions.NONE, k1);
      KeyHandle tweak =
          half == 16
              ? cpu.encodeKey128(Restrictions.NONE, k2)
              : cpu.encodeKey256(Restrictions.NONE, k2);
      return new XtsSectorCipher(cpu, data, tweak, sectorSize, len);
    }
  }

  /** A cipher over existing handles (both AES-128 or both AES-256). */
  public static XtsSectorCipher ofHandles(
      KeyLockerCpu cpu, KeyHandle dataKey, KeyHandle tweakKey, int sectorSize) {
    checkSectorSize(sectorSize);
    if (dataKey.handleSize() != tweakKey.handleSize()) {
      throw new IllegalArgumentException("XTS data and tweak handles must have the same key type");
    }
    return new XtsSectorCipher(
        cpu, dataKey, tweakKey, sectorSize, dataKey.handleSize().keyBytes() * 2);
  }

  private static void checkSectorSize(int s) {
    if (s < 512 || s > 4096 || Integer.bitCount(s) != 1) {
      throw new IllegalArgumentException("sector size must be 512, 1024, 2048 or 4096, not " + s);
    }
  }

  public int sectorSize() {
    return sectorSize;
  }

  /** 32 (XTS-AES-128) or 64 (XTS-AES-256). */
  public int keyBytes() {
    return keyBytes;
  }

  /**
   * Encrypts whole sectors. Sector i of {@code src} uses tweak {@code sector + i * sectorSize /
   * 512}.
   *
   * @param sector the 512-byte sector number of the first sector (dm-crypt's plain64 IV)
   * @param src plaintext, a whole number of sectors (native or heap)
   * @param dst same length as {@code src}; may be {@code src} itself
   */
  public void encrypt(long sector, MemorySegment src, MemorySegment dst) {
    run(true, sector, src, dst);
  }

  /** Decrypts whole sectors; see {@link #encrypt}. */
  public void decrypt(long sector, MemorySegment src, MemorySegment dst) {
    run(false, sector, src, dst);
  }

  private void run(boolean encrypt, long sector, MemorySegment src, MemorySegment dst) {
    long n = src.byteSize();
    if (n == 0) {
      return;
    }
    if (n % sectorSize != 0 || dst.byteSize() != n) {
      throw new IllegalArgumentException(
          "XTS needs whole "
              + sectorSize
              + "-byte sectors and equal lengths: src "
              + n
              + ", dst "
              + dst.byteSize());
    }
    if (sector < 0) {
      throw new IllegalArgumentException("negative sector number " + sector);
    }
    cpu.xtsSequence(dataKey, tweakKey, encrypt, sector, sectorSize / 512, src, dst, sectorSize);
  }

  /**
   * One XTS data unit of any length of at least 16 bytes (ciphertext stealing for a partial last
   * block) with a full 128-bit tweak value, as IEEE 1619 defines it. For known-answer tests and
   * non-disk uses.
   */
  public void encryptDataUnit(byte[] tweak16, MemorySegment src, MemorySegment dst) {
    runUnit(true, tweak16, src, dst);
  }

  public void decryptDataUnit(byte[] tweak16, MemorySegment src, MemorySegment dst) {
    runUnit(false, tweak16, src, dst);
  }

  private void runUnit(boolean encrypt, byte[] tweak16, MemorySegment src, MemorySegment dst) {
    long n = src.byteSize();
    if (tweak16.length != 16) {
      throw new IllegalArgumentException("XTS tweak is 16 bytes, not " + tweak16.length);
    }
    if (n < 16 || n > MAX_UNIT_BYTES || dst.byteSize() != n) {
      throw new IllegalArgumentException(
          "XTS data unit must be 16 bytes to 2^20 blocks with equal src/dst, was " + n);
    }
    cpu.xtsSequence(dataKey, tweakKey, encrypt, MemorySegment.ofArray(tweak16.clone()), src, dst);
  }

  @Override
  public String toString() {
    return "XtsSectorCipher[aes-xts-plain64, "
        + keyBytes * 8
        + "-bit key, "
        + sectorSize
        + "-byte sectors]";
  }
}
