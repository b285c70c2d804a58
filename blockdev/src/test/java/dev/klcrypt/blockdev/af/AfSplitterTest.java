package dev.klcrypt.blockdev.af;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AfSplitterTest {
  @ParameterizedTest
  @CsvSource({
    "32, 4000, sha256",
    "64, 4000, sha256",
    "64, 4000, sha1",
    "64, 4000, sha512",
    "20, 3, sha1",
    "33, 7, sha256"
  })
  void mergeUndoesSplitAndEveryStripeMatters(int keyBytes, int stripes, String hash) {
    HashAlgorithm h = HashAlgorithm.byLuksName(hash).orElseThrow();
    byte[] key = new byte[keyBytes];
    new Random(keyBytes).nextBytes(key);
    try (Arena a = Arena.ofConfined();
        ClearKey k = ClearKey.copyOf(key.clone(), 0, keyBytes)) {
      MemorySegment split = a.allocate(AfSplitter.splitLength(keyBytes, stripes));
      AfSplitter.split(k, stripes, h, new SecureRandom(), split);
      try (ClearKey back = AfSplitter.merge(split, keyBytes, stripes, h)) {
        assertThat(back.segment().asSlice(0, keyBytes).toArray(ValueLayout.JAVA_BYTE))
            .isEqualTo(key);
      }
      // damage one byte of the first stripe: the merged key changes (diffusion)
      split.set(ValueLayout.JAVA_BYTE, 0, (byte) (split.get(ValueLayout.JAVA_BYTE, 0) ^ 1));
      try (ClearKey broken = AfSplitter.merge(split, keyBytes, stripes, h)) {
        assertThat(broken.segment().asSlice(0, keyBytes).toArray(ValueLayout.JAVA_BYTE))
            .isNotEqualTo(key);
      }
    }
  }
}
