package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.keylocker.memory.ClearKey;
import dev.klcrypt.keylocker.xts.XtsSectorCipher;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The handle path against an independent XTS built here on JCE AES/ECB (test-only, where a key on
 * the heap does not matter), on both native code paths (AES-NI and VAES when the host has it), for
 * batches of 512- and 4096-byte sectors whose tweaks advance in 512-byte units as dm-crypt's do.
 */
class XtsCrossCheckTest {
  @TempDir static Path state;
  private static EmulatedPlatform platform;

  @BeforeAll
  static void boot() {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(state));
  }

  @AfterAll
  static void off() {
    platform.close();
  }

  @AfterEach
  void autoPath() {
    NativeCore.selectPath(-1);
  }

  @ParameterizedTest(name = "key {0} bytes, sector {1}, path {2}")
  @CsvSource({
    "64, 4096, 0",
    "64, 4096, 1",
    "64, 512, 0",
    "64, 512, 1",
    "32, 4096, 0",
    "32, 4096, 1",
    "32, 512, 1"
  })
  void matchesReference(int keyLen, int sectorSize, int path) throws Exception {
    NativeCore.selectPath(path);
    Random rnd = new Random(keyLen * 31L + sectorSize + path);
    byte[] key = new byte[keyLen];
    rnd.nextBytes(key);
    byte[] plain = new byte[sectorSize * 5];
    rnd.nextBytes(plain);
    long firstSector = 0x1_0000_0000L - 16; // crosses 2^32 (plain64, not plain)
    XtsSectorCipher c;
    try (ClearKey k = ClearKey.copyOf(key, 0, keyLen)) {
      c = XtsSectorCipher.create(platform.cpu(), k, sectorSize);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment src = arena.allocate(plain.length);
      MemorySegment.copy(plain, 0, src, ValueLayout.JAVA_BYTE, 0, plain.length);
      MemorySegment dst = arena.allocate(plain.length);
      c.encrypt(firstSector, src, dst);
      byte[] ct = dst.toArray(ValueLayout.JAVA_BYTE);
      for (int s = 0; s < 5; s++) {
        long tweak = firstSector + (long) s * (sectorSize / 512);
        byte[] expected = referenceXts(key, tweak, plain, s * sectorSize, sectorSize);
        byte[] got = java.util.Arrays.copyOfRange(ct, s * sectorSize, (s + 1) * sectorSize);
        assertThat(got).as("sector %d", s).isEqualTo(expected);
      }
      c.decrypt(firstSector, dst, dst);
      assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(plain);
    }
  }

  /** IEEE 1619 XTS from AES/ECB, plain64 tweak. */
  static byte[] referenceXts(byte[] key, long sector, byte[] data, int off, int len)
      throws Exception {
    int half = key.length / 2;
    Cipher k1 = Cipher.getInstance("AES/ECB/NoPadding");
    k1.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, half, "AES"));
    Cipher k2 = Cipher.getInstance("AES/ECB/NoPadding");
    k2.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, half, half, "AES"));
    byte[] t = new byte[16];
    for (int i = 0; i < 8; i++) {
      t[i] = (byte) (sector >>> (8 * i));
    }
    t = k2.doFinal(t);
    byte[] out = new byte[len];
    for (int b = 0; b < len; b += 16) {
      byte[] x = new byte[16];
      for (int i = 0; i < 16; i++) {
        x[i] = (byte) (data[off + b + i] ^ t[i]);
      }
      x = k1.doFinal(x);
      for (int i = 0; i < 16; i++) {
        out[b + i] = (byte) (x[i] ^ t[i]);
      }
      int carry = 0;
      for (int i = 0; i < 16; i++) {
        int v = (t[i] & 0xff) << 1 | carry;
        carry = (t[i] & 0x80) != 0 ? 1 : 0;
        t[i] = (byte) v;
      }
      if (carry != 0) {
        t[0] ^= (byte) 0x87;
      }
    }
    return out;
  }

  @Test
  void aes192KeysAndBadSizesAreRefused() {
    try (ClearKey k = ClearKey.allocate(48)) {
      assertThatThrownBy(() -> XtsSectorCipher.create(platform.cpu(), k, 512))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("AES-192");
    }
    try (ClearKey k = ClearKey.allocate(64)) {
      assertThatThrownBy(() -> XtsSectorCipher.create(platform.cpu(), k, 520))
          .hasMessageContaining("sector size");
      XtsSectorCipher c = XtsSectorCipher.create(platform.cpu(), k, 4096);
      assertThatThrownBy(
              () ->
                  c.encrypt(
                      0,
                      MemorySegment.ofArray(new byte[512]),
                      MemorySegment.ofArray(new byte[512])))
          .hasMessageContaining("whole 4096-byte sectors");
    }
  }
}
