package dev.klcrypt.blockdev.testing;

import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * A test-only aes-xts-plain64 (IEEE 1619) on JCE AES/ECB, independent of klcrypt's Key Locker path:
 * used to check what klcrypt wrote against keys that cryptsetup reports.
 */
public final class ReferenceXts {
  private ReferenceXts() {}

  /**
   * Decrypts {@code data} (whole sectors) in place.
   *
   * @param firstIv plain64 IV of the first sector (512-byte units)
   */
  public static void decrypt(byte[] key, int sectorSize, long firstIv, byte[] data) {
    crypt(key, sectorSize, firstIv, data, false);
  }

  public static void encrypt(byte[] key, int sectorSize, long firstIv, byte[] data) {
    crypt(key, sectorSize, firstIv, data, true);
  }

  private static void crypt(byte[] key, int sectorSize, long firstIv, byte[] data, boolean enc) {
    int half = key.length / 2;
    try {
      Cipher k1 = Cipher.getInstance("AES/ECB/NoPadding");
      k1.init(
          enc ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, 0, half, "AES"));
      Cipher k2 = Cipher.getInstance("AES/ECB/NoPadding");
      k2.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, half, half, "AES"));
      byte[] t = new byte[16];
      byte[] blk = new byte[16];
      for (int s = 0; s * sectorSize < data.length; s++) {
        long iv = firstIv + (long) s * (sectorSize / 512);
        byte[] ivb = new byte[16];
        for (int i = 0; i < 8; i++) {
          ivb[i] = (byte) (iv >>> (8 * i));
        }
        k2.doFinal(ivb, 0, 16, t, 0);
        for (int off = s * sectorSize; off < (s + 1) * sectorSize; off += 16) {
          for (int i = 0; i < 16; i++) {
            blk[i] = (byte) (data[off + i] ^ t[i]);
          }
          k1.doFinal(blk, 0, 16, blk, 0);
          for (int i = 0; i < 16; i++) {
            data[off + i] = (byte) (blk[i] ^ t[i]);
          }
          int carry = 0;
          for (int i = 0; i < 16; i++) {
            int b = t[i] & 0xff;
            t[i] = (byte) ((b << 1) | carry);
            carry = b >>> 7;
          }
          if (carry != 0) {
            t[0] ^= (byte) 0x87;
          }
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
