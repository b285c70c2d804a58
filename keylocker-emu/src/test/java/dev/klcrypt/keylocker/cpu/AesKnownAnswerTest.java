package dev.klcrypt.keylocker.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.keylocker.handle.KeyHandle;
import dev.klcrypt.keylocker.handle.Restrictions;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * FIPS-197 and SP 800-38A known answers through ENCODEKEY and the single-block and WIDE AES-KL
 * instructions.
 */
class AesKnownAnswerTest {
  private static final HexFormat HEX = HexFormat.of();
  @TempDir static Path state;
  private static EmulatedPlatform platform;

  record Kat(String name, byte[] key, byte[] pt, byte[] ct) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void boot() {
    platform = EmulatedPlatform.boot(PlatformConfig.defaults(state));
  }

  @AfterAll
  static void off() {
    platform.close();
  }

  static Stream<Kat> vectors() throws IOException {
    try (InputStream in =
        AesKnownAnswerTest.class.getResourceAsStream("/testvectors/aes-kat.txt")) {
      List<String> lines =
          new String(in.readAllBytes(), StandardCharsets.US_ASCII).lines().toList();
      return lines.stream()
          .filter(l -> !l.isBlank() && !l.startsWith("#"))
          .map(l -> l.trim().split("\\s+"))
          .map(f -> new Kat(f[0], HEX.parseHex(f[1]), HEX.parseHex(f[2]), HEX.parseHex(f[3])))
          .toList()
          .stream();
    }
  }

  private static KeyHandle encode(KeyLockerCpu cpu, byte[] key) {
    try (ClearKey k = ClearKey.copyOf(key, 0, key.length)) {
      return key.length == 16
          ? cpu.encodeKey128(Restrictions.NONE, k)
          : cpu.encodeKey256(Restrictions.NONE, k);
    }
  }

  @ParameterizedTest(name = "{0} single-block")
  @MethodSource("vectors")
  void singleBlockInstructionsMatch(Kat v) {
    KeyLockerCpu cpu = platform.cpu();
    KeyHandle h = encode(cpu, v.key());
    for (int off = 0; off < v.pt().length; off += 16) {
      byte[] block = Arrays.copyOfRange(v.pt(), off, off + 16);
      if (v.key().length == 16) {
        cpu.aesenc128kl(block, h);
      } else {
        cpu.aesenc256kl(block, h);
      }
      assertThat(block).isEqualTo(Arrays.copyOfRange(v.ct(), off, off + 16));
      if (v.key().length == 16) {
        cpu.aesdec128kl(block, h);
      } else {
        cpu.aesdec256kl(block, h);
      }
      assertThat(block).isEqualTo(Arrays.copyOfRange(v.pt(), off, off + 16));
    }
  }

  @ParameterizedTest(name = "{0} wide")
  @MethodSource("vectors")
  void wideInstructionsMatch(Kat v) {
    KeyLockerCpu cpu = platform.cpu();
    KeyHandle h = encode(cpu, v.key());
    byte[] eight = new byte[128];
    byte[] expected = new byte[128];
    for (int i = 0; i < 128; i += v.pt().length) {
      System.arraycopy(v.pt(), 0, eight, i, Math.min(v.pt().length, 128 - i));
      System.arraycopy(v.ct(), 0, expected, i, Math.min(v.ct().length, 128 - i));
    }
    byte[] plain = eight.clone();
    if (v.key().length == 16) {
      cpu.aesencwide128kl(eight, h);
    } else {
      cpu.aesencwide256kl(eight, h);
    }
    assertThat(eight).isEqualTo(expected);
    if (v.key().length == 16) {
      cpu.aesdecwide128kl(eight, h);
    } else {
      cpu.aesdecwide256kl(eight, h);
    }
    assertThat(eight).isEqualTo(plain);
  }
}
