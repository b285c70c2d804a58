package dev.klcrypt.blockdev.luks1;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.klcrypt.blockdev.HeaderFormatException;

/** Fuzzes the LUKS1 header parser: only {@link HeaderFormatException} may escape. */
class Luks1HeaderFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void parseHeader(FuzzedDataProvider data) {
    long imageSize = data.consumeLong(-1, 1L << 40);
    byte[] bytes = data.consumeRemainingAsBytes();
    try {
      Luks1Header h = Luks1HeaderCodec.parse(bytes, imageSize);
      // whatever parses must survive encode + parse with the same layout
      Luks1Header again = Luks1HeaderCodec.parse(Luks1HeaderCodec.encode(h), imageSize);
      if (again.payloadOffset() != h.payloadOffset() || again.keyBytes() != h.keyBytes()) {
        throw new AssertionError("re-encoded header differs");
      }
    } catch (HeaderFormatException expected) {
      // the only allowed failure
    }
  }
}
