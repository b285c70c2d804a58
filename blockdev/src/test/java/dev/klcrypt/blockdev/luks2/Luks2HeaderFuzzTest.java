package dev.klcrypt.blockdev.luks2;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.klcrypt.blockdev.HeaderFormatException;
import dev.klcrypt.blockdev.kdf.HashAlgorithm;
import dev.klcrypt.blockdev.testing.ByteArrayStore;
import java.util.Arrays;

/**
 * Fuzzes the LUKS2 header reader (binary headers, checksums, JSON validation). Half the inputs are
 * wrapped in two binary headers with correct checksums so the fuzzer reaches the JSON checks. Only
 * {@link HeaderFormatException} may escape; anything else is a finding.
 */
class Luks2HeaderFuzzTest {
  private static final int HDR = 16384;

  @FuzzTest(maxDuration = "25s")
  void readHeader(FuzzedDataProvider data) {
    boolean wrap = data.consumeBoolean();
    byte[] rest = data.consumeRemainingAsBytes();
    byte[] image = wrap ? imageWithJson(rest) : rest;
    try {
      Luks2HeaderReader.read(new ByteArrayStore(image));
    } catch (HeaderFormatException expected) {
      // the only allowed failure
    }
  }

  /** Two header copies around {@code json} (truncated to the JSON area), with valid checksums. */
  static byte[] imageWithJson(byte[] json) {
    byte[] image = new byte[2 * HDR];
    byte[] area = Arrays.copyOf(json, HDR - 4096);
    for (int copy = 0; copy < 2; copy++) {
      long at = (long) copy * HDR;
      Luks2BinaryHeader b =
          new Luks2BinaryHeader(
              copy == 0,
              2,
              HDR,
              7,
              "",
              "sha256",
              new byte[64],
              "6f1d0b4e-0000-4000-8000-000000000001",
              "",
              at,
              null);
      byte[] noCsum = b.encode(null);
      byte[] csum = Luks2HeaderReader.checksum(HashAlgorithm.SHA256, noCsum, area);
      System.arraycopy(b.encode(csum), 0, image, (int) at, 4096);
      System.arraycopy(area, 0, image, (int) at + 4096, area.length);
    }
    return image;
  }
}
