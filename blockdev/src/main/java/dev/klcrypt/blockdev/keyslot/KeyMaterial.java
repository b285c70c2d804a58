package dev.klcrypt.blockdev.keyslot;

import dev.klcrypt.blockdev.af.AfSplitter;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.kdf.Kdf;
import dev.klcrypt.blockdev.store.BackingStore;
import dev.klcrypt.keylocker.cpu.KeyLockerCpu;
import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.memory.LockedMemory;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * A keyslot's key material on disk: the AF-split volume key, encrypted with aes-xts-plain64 under
 * the passphrase-derived key in 512-byte sectors, IV 0 at the area start. All sector crypto goes
 * through the emulated AES-KL {@link XtsSectorCipher}; decrypted stripes stay in locked memory.
 */
public final class KeyMaterial {
  private static final int AREA_SECTOR = 512;

  private KeyMaterial() {}

  /** On-disk length of the material: the split length rounded up to 512 bytes. */
  public static long materialLength(int keyBytes, int stripes) {
    long l = AfSplitter.splitLength(keyBytes, stripes);
    return (l + AREA_SECTOR - 1) / AREA_SECTOR * AREA_SECTOR;
  }

  /**
   * Reads and decrypts the material at {@code areaOffset} with {@code derivedKey}, then AF-merges
   * it into a candidate volume key. The derived key is not closed here.
   */
  public static ClearKey unseal(
      BackingStore store,
      long areaOffset,
      int keyBytes,
      int stripes,
      HashAlgorithm afHash,
      ClearKey derivedKey,
      KeyLockerCpu cpu) {
    long len = materialLength(keyBytes, stripes);
    try (LockedMemory buf = LockedMemory.allocate(len)) {
      MemorySegment seg = buf.segment().asSlice(0, len);
      store.read(areaOffset, seg.asByteBuffer());
      XtsSectorCipher xts = XtsSectorCipher.create(cpu, derivedKey, AREA_SECTOR);
      xts.decrypt(0, seg, seg);
      return AfSplitter.merge(seg, keyBytes, stripes, afHash);
    }
  }

  /**
   * AF-splits {@code volumeKey}, encrypts it under {@code derivedKey} and writes it at {@code
   * areaOffset}.
   */
  public static void seal(
      BackingStore store,
      long areaOffset,
      ClearKey volumeKey,
      int stripes,
      HashAlgorithm afHash,
      ClearKey derivedKey,
      KeyLockerCpu cpu,
      SecureRandom random) {
    long len = materialLength(volumeKey.length(), stripes);
    try (LockedMemory buf = LockedMemory.allocate(len)) {
      MemorySegment seg = buf.segment().asSlice(0, len);
      AfSplitter.split(volumeKey, stripes, afHash, random, seg);
      XtsSectorCipher xts = XtsSectorCipher.create(cpu, derivedKey, AREA_SECTOR);
      xts.encrypt(0, seg, seg);
      store.write(areaOffset, seg.asByteBuffer());
    }
  }

  /** Overwrites a keyslot area with random bytes (keyslot removal). */
  public static void wipeArea(
      BackingStore store, long areaOffset, long areaLength, SecureRandom random) {
    byte[] junk = new byte[(int) Math.min(areaLength, 1 << 20)];
    long done = 0;
    while (done < areaLength) {
      int n = (int) Math.min(junk.length, areaLength - done);
      random.nextBytes(junk);
      store.write(areaOffset + done, java.nio.ByteBuffer.wrap(junk, 0, n));
      done += n;
    }
  }

  /** Whether PBKDF2(candidate) equals the stored digest, compared in constant time. */
  public static boolean digestMatches(
      ClearKey candidate, HashAlgorithm hash, byte[] salt, int iterations, byte[] expected) {
    byte[] got = Kdf.pbkdf2OfKey(candidate, hash, salt, iterations, expected.length);
    return MessageDigest.isEqual(got, expected);
  }
}
