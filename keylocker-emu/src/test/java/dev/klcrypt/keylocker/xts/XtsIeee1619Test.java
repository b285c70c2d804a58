package dev.klcrypt.keylocker.xts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.klcrypt.keylocker.cpu.EmulatedPlatform;
import dev.klcrypt.keylocker.cpu.PlatformConfig;
import dev.klcrypt.keylocker.memory.ClearKey;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every IEEE 1619 vector in the shared file (a byte-for-byte copy in test resources) through the
 * Key Locker handle path: whole-block vectors as data units and, where the unit is a disk sector,
 * through the sector API; vectors with a partial last block through ciphertext stealing.
 */
class XtsIeee1619Test {
  private static final HexFormat HEX = HexFormat.of();
  @TempDir static Path state;
  private static EmulatedPlatform platform;

  record Vector(String name, byte[] key, BigInteger dusn, byte[] tweak, byte[] pt, byte[] ct) {
    @Override
    public String toString() {
      return name + " (" + pt.length + " bytes)";
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

  static List<Vector> vectors() throws IOException {
    String text;
    try (InputStream in =
        XtsIeee1619Test.class.getResourceAsStream("/testvectors/xts-ieee1619.txt")) {
      text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
    List<Vector> out = new ArrayList<>();
    Map<String, String> cur = null;
    String name = null;
    for (String line : (text + "\n[END]").lines().toList()) {
      line = line.trim();
      if (line.startsWith("[")) {
        if (cur != null) {
          out.add(
              new Vector(
                  name,
                  HEX.parseHex(cur.get("KEY")),
                  new BigInteger(cur.get("DUSN").substring(2), 16),
                  HEX.parseHex(cur.get("TWEAK")),
                  HEX.parseHex(cur.get("PT")),
                  HEX.parseHex(cur.get("CT"))));
        }
        name = line.substring(1, line.length() - 1);
        cur = new HashMap<>();
      } else if (cur != null && line.contains("=") && !line.startsWith("#")) {
        String[] kv = line.split("=", 2);
        cur.put(kv[0].trim(), kv[1].trim());
      }
    }
    return out;
  }

  @Test
  void theFileHoldsTheElevenVectors() throws IOException {
    assertThat(vectors()).hasSize(11);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectors")
  void dataUnitThroughHandles(Vector v) {
    XtsSectorCipher c = cipher(v.key(), 512);
    byte[] out = new byte[v.pt().length];
    c.encryptDataUnit(v.tweak(), MemorySegment.ofArray(v.pt()), MemorySegment.ofArray(out));
    assertThat(HEX.formatHex(out)).isEqualTo(HEX.formatHex(v.ct()));
    byte[] back = new byte[out.length];
    c.decryptDataUnit(v.tweak(), MemorySegment.ofArray(out), MemorySegment.ofArray(back));
    assertThat(back).isEqualTo(v.pt());
  }

  static List<Vector> sectorVectors() throws IOException {
    return vectors().stream().filter(v -> v.pt().length == 512).toList();
  }

  @ParameterizedTest(name = "{0} as a 512-byte sector")
  @MethodSource("sectorVectors")
  void sectorApiUsesPlain64Tweak(Vector v) {
    XtsSectorCipher c = cipher(v.key(), 512);
    MemorySegment buf = MemorySegment.ofArray(v.pt().clone());
    c.encrypt(v.dusn().longValueExact(), buf, buf); // in place
    assertThat(buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(v.ct());
    c.decrypt(v.dusn().longValueExact(), buf, buf);
    assertThat(buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(v.pt());
  }

  private static XtsSectorCipher cipher(byte[] key, int sectorSize) {
    try (ClearKey k = ClearKey.copyOf(key, 0, key.length)) {
      return XtsSectorCipher.create(platform.cpu(), k, sectorSize);
    }
  }
}
