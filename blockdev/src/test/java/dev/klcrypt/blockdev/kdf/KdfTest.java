package dev.klcrypt.blockdev.kdf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.klcrypt.blockdev.KdfMemoryLimitException;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.io.ByteArrayInputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KdfTest {
  @TempDir Path dir;

  private static byte[] bytes(ClearKey k) {
    return k.segment().asSlice(0, k.length()).toArray(ValueLayout.JAVA_BYTE);
  }

  /** RFC 6070 PBKDF2-HMAC-SHA1 vectors and RFC 7914 §11 PBKDF2-HMAC-SHA256. */
  @ParameterizedTest
  @CsvSource({
    "sha1, password, salt, 1, 20, 0c60c80f961f0e71f3a9b524af6012062fe037a6",
    "sha1, password, salt, 4096, 20, 4b007901b765489abead49d926f721d065a429c1",
    "sha256, passwd, salt, 1, 64, 55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
  })
  void pbkdf2MatchesPublishedVectors(
      String hash, String pw, String salt, int iter, int len, String hex) throws Exception {
    KdfSpec spec =
        new KdfSpec(
            KdfSpec.Type.PBKDF2, HashAlgorithm.byLuksName(hash).orElseThrow(), iter, 0, 0, 0, 0);
    try (Passphrase p = Passphrase.fromBytes(pw.getBytes(StandardCharsets.US_ASCII));
        ClearKey k =
            Kdf.derive(
                p, spec, salt.getBytes(StandardCharsets.US_ASCII), len, Long.MAX_VALUE, "test")) {
      assertThat(HexFormat.of().formatHex(bytes(k))).isEqualTo(hex);
    }
  }

  /**
   * Argon2id reference output (phc-winner-argon2 test.c, v=0x13: t=2, m=2^16, p=1,
   * "password"/"somesalt").
   */
  @Test
  void argon2idMatchesTheReferenceImplementation() throws Exception {
    KdfSpec spec = new KdfSpec(KdfSpec.Type.ARGON2ID, HashAlgorithm.SHA256, 0, 65536, 2, 1, 0);
    try (Passphrase p = Passphrase.fromBytes("password".getBytes(StandardCharsets.US_ASCII));
        ClearKey k =
            Kdf.derive(
                p, spec, "somesalt".getBytes(StandardCharsets.US_ASCII), 32, 1 << 20, "test")) {
      assertThat(HexFormat.of().formatHex(bytes(k)))
          .isEqualTo("09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7");
    }
  }

  @Test
  void argon2MemoryAboveTheCeilingIsRefusedWithTheAmountNeeded() throws Exception {
    KdfSpec spec = KdfSpec.argon2id(1048576, 4, 4);
    try (Passphrase p = Passphrase.fromBytes("x".getBytes(StandardCharsets.US_ASCII))) {
      assertThatThrownBy(() -> Kdf.derive(p, spec, new byte[32], 64, 65536, "keyslot 3"))
          .isInstanceOf(KdfMemoryLimitException.class)
          .hasMessageContaining("keyslot 3")
          .hasMessageContaining("1048576 KiB")
          .hasMessageContaining("65536 KiB")
          .satisfies(
              e -> {
                assertThat(((KdfMemoryLimitException) e).neededKiB()).isEqualTo(1048576);
                assertThat(((KdfMemoryLimitException) e).ceilingKiB()).isEqualTo(65536);
              });
    }
  }

  @Test
  void passphraseSourcesFollowCryptsetupSemantics() throws Exception {
    Path f = dir.resolve("key");
    Files.write(f, "secret\n".getBytes(StandardCharsets.US_ASCII));
    byte[] arg = "secret".getBytes(StandardCharsets.US_ASCII);
    try (Passphrase file = Passphrase.fromFile(f);
        Passphrase stream =
            Passphrase.fromStream(
                new ByteArrayInputStream("secret\n".getBytes(StandardCharsets.US_ASCII)));
        Passphrase typed = Passphrase.fromChars("sécret".toCharArray());
        Passphrase given = Passphrase.fromBytes(arg)) {
      assertThat(file.length()).as("key file keeps its newline").isEqualTo(7);
      assertThat(stream.length()).isEqualTo(7);
      assertThat(typed.length()).as("UTF-8").isEqualTo(7);
      assertThat(given.length()).isEqualTo(6);
      assertThat(arg).as("argument wiped").containsOnly(0);
      assertThat(file.toString()).doesNotContain("secret").contains("7 bytes");
    }
  }
}
